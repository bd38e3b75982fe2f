"""The value method's boosting (every tree shrunk, from MLlib's decision trees) against scikit-learn's
GradientBoostingRegressor, which boosts the same way: start from the weighted mean, fit each tree to
the residual, add it at the learning rate."""

from __future__ import annotations

import numpy as np
import pytest
from pyspark.ml.feature import VectorAssembler
from pyspark.ml.linalg import Vectors
from pyspark.ml.regression import GBTRegressionModel
from sklearn.ensemble import GradientBoostingRegressor

from crm_mining.lifecycle.value.boosting import boosted_trees

DEPTH, TREES, STEP, MIN_LEAF = 2, 6, 0.3, 3


def rows(seed: int = 5, n: int = 28) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct feature values (fewer than MLlib's 32 bins, so both libraries consider every split) and
    a label with an interaction, so later trees have residual structure to find."""
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.permutation(n) * 1.5, rng.permutation(n) - 10.0])
    y = 3.0 * (x[:, 0] > 20) + 0.2 * x[:, 1] * (x[:, 0] < 12) + rng.normal(0, 0.5, n)
    weight = rng.uniform(0.5, 2.0, n)
    return x, y, weight


def frame(spark, x, y, weight):
    data = [(float(a), float(b), float(t), float(w)) for (a, b), t, w in zip(x, y, weight, strict=True)]
    df = spark.createDataFrame(data, "x1 double, x2 double, label double, weight double")
    return VectorAssembler(inputCols=["x1", "x2"], outputCol="features").transform(df).cache()


def fit(df):
    return boosted_trees(
        df,
        label="label",
        weight="weight",
        max_depth=DEPTH,
        iterations=TREES,
        step=STEP,
        min_instances_per_node=MIN_LEAF,
        seed=1,
    )


def test_boosting_matches_scikit_learn_on_the_training_rows(spark):
    x, y, weight = rows()
    model = fit(frame(spark, x, y, weight))
    reference = GradientBoostingRegressor(
        loss="squared_error",
        learning_rate=STEP,
        n_estimators=TREES,
        max_depth=DEPTH,
        min_samples_leaf=MIN_LEAF,
        random_state=0,
    ).fit(x, y, sample_weight=weight)
    ours = [r.prediction for r in model.transform(frame(spark, x, y, weight)).orderBy("x1").collect()]
    theirs = reference.predict(x[np.argsort(x[:, 0])])
    assert model.treeWeights == [1.0] + [STEP] * TREES
    assert model.trees[0].depth == 0  # the start: the weighted mean
    assert np.average(y, weights=weight) == pytest.approx(
        model.trees[0].predict(Vectors.dense(x[0])), abs=1e-12
    )
    np.testing.assert_allclose(ours, theirs, atol=1e-9)
    # Boosting learned something: far below the error of the mean alone.
    assert np.mean((np.array(ours) - y[np.argsort(x[:, 0])]) ** 2) < 0.3 * np.var(y)


def test_boosted_model_saves_and_reloads(spark, tmp_path):
    x, y, weight = rows(seed=8)
    df = frame(spark, x, y, weight)
    model = fit(df)
    model.save(str(tmp_path / "model"))
    loaded = GBTRegressionModel.load(str(tmp_path / "model"))
    before = [r.prediction for r in model.transform(df).orderBy("x1").collect()]
    after = [r.prediction for r in loaded.transform(df).orderBy("x1").collect()]
    assert after == before
    assert loaded.treeWeights == model.treeWeights
