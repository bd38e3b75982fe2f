"""Gradient boosting in which every tree is shrunk, built from MLlib's own decision trees.

MLlib's GBTRegressor fits its first tree to the labels at full weight (``treeWeights[0]`` is 1.0) and
each later tree to the squared-error gradient, twice the residual, at ``stepSize``. On the value
backtests the unshrunk first tree costs accuracy: the same features in scikit-learn's
GradientBoostingRegressor, which starts from the mean and shrinks every tree, reached 7.1% below
BG/NBD's MAE on Complete Journey against MLlib's 3.9%, and emulating the full first tree in scikit-learn
gave back most of the gap (5.1%). MLlib has no initial model or offset to start from, so this fits
Friedman's least-squares boosting with MLlib's DecisionTreeRegressor: start from the weighted mean
(a tree of depth 0), then each tree of ``max_depth`` fits the residual of the trees so far and enters
at ``step``. The result is an ordinary MLlib ``GBTRegressionModel`` (tree weights 1, step, step, ...),
so transform, save and load are MLlib's. Distributed like GBTRegressor: one tree fit per iteration,
rows never reach the driver.
"""

from __future__ import annotations

from functools import partial

from pyspark import SparkContext
from pyspark.ml.regression import DecisionTreeRegressionModel, DecisionTreeRegressor, GBTRegressionModel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)

RESIDUAL = "_boosting_residual"
SO_FAR = "_boosting_so_far"


def tree_ensemble(
    sc: SparkContext, trees: list[DecisionTreeRegressionModel], weights: list[float]
) -> GBTRegressionModel:
    """The MLlib model predicting sum(weight x tree) (its constructor is package-private in Scala, public
    to the JVM)."""
    gateway, jvm = sc._gateway, sc._jvm
    java_trees = gateway.new_array(jvm.org.apache.spark.ml.regression.DecisionTreeRegressionModel, len(trees))
    java_weights = gateway.new_array(jvm.double, len(weights))
    for i, (tree, weight) in enumerate(zip(trees, weights, strict=True)):
        java_trees[i], java_weights[i] = tree._java_obj, float(weight)
    uid = jvm.org.apache.spark.ml.util.Identifiable.randomUID("gbtr")
    java_model = jvm.org.apache.spark.ml.regression.GBTRegressionModel(
        uid, java_trees, java_weights, trees[0].numFeatures
    )
    return GBTRegressionModel(java_model)


def boosted_trees(
    rows: DataFrame,
    *,
    label: str,
    weight: str,
    max_depth: int,
    iterations: int,
    step: float,
    min_instances_per_node: int,
    seed: int,
    features: str = "features",
) -> GBTRegressionModel:
    """Least-squares boosting of ``label`` on the vector column ``features``, rows weighted by ``weight``:
    the weighted mean, then ``iterations`` trees each fitted to the residual and added at ``step``.

    ``rows`` should be cached: every iteration reads it once to fit a tree."""
    tree = partial(
        DecisionTreeRegressor,
        featuresCol=features,
        weightCol=weight,
        predictionCol=SO_FAR,
        minInstancesPerNode=min_instances_per_node,
        seed=seed,
    )
    trees = [tree(labelCol=label, maxDepth=0).fit(rows)]
    weights = [1.0]
    for _ in range(iterations):
        so_far = (
            tree_ensemble(rows.sparkSession.sparkContext, trees, weights)
            .setFeaturesCol(features)
            .setPredictionCol(SO_FAR)
        )
        residuals = so_far.transform(rows).select(
            features, weight, (F.col(label) - F.col(SO_FAR)).alias(RESIDUAL)
        )
        trees.append(tree(labelCol=RESIDUAL, maxDepth=max_depth).fit(residuals))
        weights.append(step)
    return tree_ensemble(rows.sparkSession.sparkContext, trees, weights)
