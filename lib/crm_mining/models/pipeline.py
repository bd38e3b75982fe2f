"""The MLlib pipelines: preprocessing, the GBT, the two baselines, class weights and hyperopt tuning.

Preprocessing (fitted on the training rows only):
- categoricals: ``StringIndexer(handleInvalid="keep")`` (unseen and null values get the extra last index),
  then cast to a plain double so the GBT splits them as ordered codes (frequency order). Plain
  threshold splits keep every tree a binary threshold tree, which the TreeSHAP reason codes need;
- numerics: cast to double and ``Imputer`` (median of the training rows);
- ``VectorAssembler`` into ``features`` (order: numerics, then categoricals; see ``feature_names``).
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np
from hyperopt import STATUS_OK, hp, tpe
from pyspark.ml import Pipeline
from pyspark.ml.classification import GBTClassifier, LogisticRegression
from pyspark.ml.evaluation import BinaryClassificationEvaluator
from pyspark.ml.feature import Imputer, OneHotEncoder, SQLTransformer, StringIndexer, VectorAssembler
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from crm_mining.config.models import TuningSettings, WeightSettings
from crm_mining.models.data import Feature
from crm_mining.models.parallel_tpe import minimize
from crm_mining.models.selection import chosen_trial


def class_weights(negatives: int, positives: int, settings: WeightSettings) -> tuple[float, float]:
    """(weight of a 0 row, weight of a 1 row) under the configured rule, each capped at max_weight."""
    if settings.rule == "none":
        w0, w1 = 1.0, 1.0
    elif settings.rule == "ratio":
        w0, w1 = 1.0, settings.positive_weight
    else:  # balanced: each class carries half the total weight
        n = negatives + positives
        w0, w1 = n / (2.0 * negatives), n / (2.0 * positives)
    return min(w0, settings.max_weight), min(w1, settings.max_weight)


def with_weight(df: DataFrame, weights: tuple[float, float]) -> DataFrame:
    w0, w1 = weights
    return df.withColumn("weight", F.when(F.col("label") == 1, F.lit(w1)).otherwise(F.lit(w0)))


def numerics(features: list[Feature]) -> list[str]:
    return [f.name for f in features if f.kind == "numeric"]


def categoricals(features: list[Feature]) -> list[str]:
    return [f.name for f in features if f.kind == "categorical"]


def feature_names(features: list[Feature]) -> list[str]:
    """Names of the ``features`` vector's slots, in order."""
    return numerics(features) + categoricals(features)


def preprocessing(features: list[Feature], one_hot: bool = False, output: str = "features") -> list:
    """Stages turning the feature columns into the vector ``output`` (see the module docstring)."""
    nums, cats = numerics(features), categoricals(features)
    stages: list = []
    if cats:
        stages.append(
            StringIndexer(
                inputCols=cats, outputCols=[f"{c}__idx" for c in cats], handleInvalid="keep",
                stringOrderType="frequencyDesc",
            )
        )  # fmt: skip
    # A cast drops the indexer's nominal metadata, so trees split the codes with thresholds.
    casts = [f"CAST(`{c}` AS DOUBLE) AS `{c}__num`" for c in nums]
    casts += [f"CAST(`{c}__idx` AS DOUBLE) AS `{c}__ord`" for c in cats]
    stages.append(SQLTransformer(statement=f"SELECT *, {', '.join(casts)} FROM __THIS__"))
    if nums:
        stages.append(
            Imputer(
                inputCols=[f"{c}__num" for c in nums],
                outputCols=[f"{c}__imp" for c in nums],
                strategy="median",
            )
        )
    slots = [f"{c}__imp" for c in nums]
    if one_hot and cats:
        stages.append(
            OneHotEncoder(
                inputCols=[f"{c}__idx" for c in cats],
                outputCols=[f"{c}__oh" for c in cats],
                handleInvalid="keep",
            )
        )
        slots += [f"{c}__oh" for c in cats]
    else:
        slots += [f"{c}__ord" for c in cats]
    stages.append(VectorAssembler(inputCols=slots, outputCol=output, handleInvalid="keep"))
    return stages


def gbt(params: dict, seed: int) -> GBTClassifier:
    return GBTClassifier(
        labelCol="label",
        featuresCol="features",
        weightCol="weight",
        seed=seed,
        maxDepth=int(params["max_depth"]),
        maxIter=int(params["max_iter"]),
        stepSize=float(params["step_size"]),
        subsamplingRate=float(params["subsampling_rate"]),
        minInstancesPerNode=int(params["min_instances_per_node"]),
        maxBins=int(params["max_bins"]),
    )


def gbt_pipeline(features: list[Feature], params: dict, seed: int) -> Pipeline:
    return Pipeline(stages=[*preprocessing(features), gbt(params, seed)])


def logistic_pipeline(features: list[Feature]) -> Pipeline:
    """Baseline: weighted, lightly L2-regularised logistic regression on the same (one-hot) features."""
    lr = LogisticRegression(
        labelCol="label", featuresCol="lr_features", weightCol="weight", regParam=0.01, maxIter=100
    )
    return Pipeline(stages=[*preprocessing(features, one_hot=True, output="lr_features"), lr])


def search_space(settings: TuningSettings) -> dict:
    s = settings.space
    return {
        "max_depth": hp.quniform("max_depth", s.max_depth[0], s.max_depth[1], 1),
        "max_iter": hp.quniform("max_iter", s.max_iter[0], s.max_iter[1], 1),
        "step_size": hp.loguniform("step_size", math.log(s.step_size[0]), math.log(s.step_size[1])),
        "subsampling_rate": hp.uniform("subsampling_rate", s.subsampling_rate[0], s.subsampling_rate[1]),
        "min_instances_per_node": hp.quniform(
            "min_instances_per_node", s.min_instances_per_node[0], s.min_instances_per_node[1], 1
        ),
        "max_bins": hp.quniform("max_bins", s.max_bins[0], s.max_bins[1], 1),
    }


def as_params(raw: dict) -> dict:
    ints = ("max_depth", "max_iter", "min_instances_per_node", "max_bins")
    return {k: int(v) if k in ints else float(v) for k, v in raw.items()}


def tune_gbt(
    train: DataFrame, validation: DataFrame, features: list[Feature], settings: TuningSettings
) -> tuple[dict, list[dict], dict]:
    """hyperopt TPE over the GBT's parameters; returns (chosen params, trials as dicts, selection).

    Preprocessing is fitted once on ``train``; both vector sets are cached for the trials. The loss is
    minus the validation AUC-ROC. Each trial is itself a distributed MLlib fit, up to ``parallel_trials`` at
    a time from driver threads (``models.parallel_tpe``). The kept trial follows ``settings.selection``
    (see ``models.selection``); ``selection`` records how.
    """
    prep = Pipeline(stages=preprocessing(features)).fit(train)
    cols = ["features", "label", "weight"]
    train_vec = prep.transform(train).select(*cols).cache()
    valid_vec = prep.transform(validation).select(*cols).cache()
    counts = valid_vec.agg(F.count(F.lit(1)).alias("rows"), F.sum("label").alias("positives")).first()
    positives = int(counts["positives"] or 0)
    negatives = int(counts["rows"]) - positives

    def objective(raw: dict) -> dict:  # called from up to parallel_trials threads at once
        params = as_params(raw)
        model = gbt(params, settings.seed).fit(train_vec)
        evaluator = BinaryClassificationEvaluator(labelCol="label", rawPredictionCol="rawPrediction")
        auc = evaluator.evaluate(model.transform(valid_vec))
        return {"loss": -auc, "status": STATUS_OK, "validation_auc": auc, "params": params}

    try:
        trials = minimize(
            objective,
            search_space(settings),
            algo=partial(tpe.suggest, n_startup_jobs=settings.startup_trials),
            max_evals=settings.max_evals,
            rstate=np.random.default_rng(settings.seed),
            parallel=settings.parallel_trials,
        )
    finally:
        train_vec.unpersist()
        valid_vec.unpersist()
    history = [
        {"trial": i, "validation_auc": r["validation_auc"], "params": r["params"]}
        for i, r in enumerate(trials.results)
    ]
    chosen = chosen_trial(history, positives, negatives, settings.selection)
    selection = {
        "rule": settings.selection,
        "best_validation_auc": max(t["validation_auc"] for t in history),
        "auc_floor": chosen["auc_floor"],
        "chosen_trial": chosen["trial"],
        "validation_positives": positives,
        "validation_negatives": negatives,
    }
    return chosen["params"], history, selection
