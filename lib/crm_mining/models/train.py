"""`crm-mining train`: split, tune, fit, evaluate against baselines, save a versioned model, write metrics.

For each spec (``models.specs``): the labelled population, the split (out of time by default), hyperopt
TPE on train vs validation, a final fit on train + validation, and on the test split the GBT, a logistic
regression and the one-feature rule (a logistic regression on the spec's ``baseline_feature``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from pathlib import Path

import pyspark
from pyspark.ml.functions import vector_to_array
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

import crm_mining
from crm_mining import CrmMiningError
from crm_mining.config import Config
from crm_mining.config.models import ModelSpec, SplitSettings
from crm_mining.layout import in_canonical_layout, partitions_for
from crm_mining.models.artifacts import METADATA, model_folder, save_model
from crm_mining.models.data import KEYS, Feature, feature_columns, lake_population, with_split
from crm_mining.models.metrics import binary_metrics, calibration_table, gains_table
from crm_mining.models.monitor import reference_bins
from crm_mining.models.pipeline import (
    categoricals,
    class_weights,
    feature_names,
    gbt_pipeline,
    logistic_pipeline,
    numerics,
    tune_gbt,
    with_weight,
)
from crm_mining.models.tracking import log_model_run
from crm_mining.tables import Lake

log = logging.getLogger(__name__)

TRAINING_TABLES = ("gold.customer_features", "gold.labels")


@dataclasses.dataclass(frozen=True)
class TrainingData:
    """A labelled population ready for training: rows, features and where it came from."""

    name: str
    population: DataFrame  # customer_id, snapshot_date, label, horizon_end, features...
    features: list[Feature]
    split: SplitSettings
    baseline_feature: str | None
    sources: dict  # table -> Delta version (or the BYOD location)
    spec: dict


def score_column(df: DataFrame) -> DataFrame:
    """Model output rows -> (label, score = P(label = 1))."""
    return df.select("label", vector_to_array("probability")[1].alias("score"))


def table_versions(spark: SparkSession, lake: Lake, names: tuple[str, ...]) -> dict[str, int]:
    """Current Delta version of each training table (recorded in the model's metadata)."""
    return {n: lake.delta(spark, n).history(1).select("version").first()["version"] for n in names}


def lake_training_data(spark: SparkSession, config: Config, name: str, spec: ModelSpec) -> TrainingData:
    lake = Lake(config)
    features = lake.read(spark, "gold.customer_features")
    labels = lake.read(spark, "gold.labels")
    population = lake_population(features, labels, spec, config.labels.default_dpd)
    feats = feature_columns(features, (*KEYS, *spec.exclude_features))
    return TrainingData(
        name=name,
        population=population,
        features=feats,
        split=spec.split,
        baseline_feature=spec.baseline_feature,
        sources=table_versions(spark, lake, TRAINING_TABLES),
        spec=dataclasses.asdict(spec),
    )


def non_null_features(train: DataFrame, features: list[Feature]) -> list[Feature]:
    """``features`` without the columns that are null on every training row (nothing to learn or impute)."""
    counts = train.agg(*[F.count(F.col(f.name)).alias(f.name) for f in features]).first()
    return [f for f in features if counts[f.name] > 0]


def weighted(df: DataFrame, config: Config) -> DataFrame:
    counts = (
        df.groupBy()
        .agg(F.sum(F.when(F.col("label") == 0, 1).otherwise(0)).alias("n0"), F.sum("label").alias("n1"))
        .first()
    )
    return with_weight(df, class_weights(int(counts["n0"]), int(counts["n1"]), config.models.weights))


def evaluate(test: DataFrame, models: dict, bins: int) -> tuple[list[dict], DataFrame, DataFrame]:
    """Metrics rows, gains and calibration tables of each fitted model (name -> PipelineModel) on ``test``."""
    metrics, gains, calibration = [], [], []
    for model_kind, fitted in models.items():
        scored = score_column(fitted.transform(test)).cache()
        metrics.append({"model": model_kind, **binary_metrics(scored)})
        gains.append(gains_table(scored).withColumn("model", F.lit(model_kind)))
        calibration.append(calibration_table(scored, bins).withColumn("model", F.lit(model_kind)))
    union = lambda dfs: dfs[0] if len(dfs) == 1 else dfs[0].unionByName(union(dfs[1:]))  # noqa: E731
    return metrics, union(gains), union(calibration)


def train_one(spark: SparkSession, config: Config, data: TrainingData) -> dict:
    """Train, evaluate, save and record one model; returns its summary."""
    settings = config.models
    df, split_summary = with_split(data.population, data.split, data.name)
    # The GBT subsamples, and the trials see rows, partition by partition: without this the model followed
    # the feature table's file layout (test AUC 0.72 to 0.96 over six layouts of the same rows; docs/models.md).
    rows = sum(c["negatives"] + c["positives"] for c in split_summary["counts"].values())
    partitions = partitions_for(spark, rows, settings.rows_per_partition)
    df = in_canonical_layout(df, *KEYS, partitions=partitions).cache()
    train = df.where(F.col("split") == "train")
    features = non_null_features(train, data.features)
    dropped = sorted({f.name for f in data.features} - {f.name for f in features})
    log.info(
        "model %s: %d features (%d all-null dropped); %d rows in %d partitions; split %s",
        data.name,
        len(features),
        len(dropped),
        rows,
        partitions,
        split_summary,
    )
    validation = df.where(F.col("split") == "validation")
    best, trials, selection = tune_gbt(
        weighted(train, config), weighted(validation, config), features, settings.tuning
    )
    fit_rows = weighted(df.where(F.col("split").isin("train", "validation")), config).cache()
    model = gbt_pipeline(features, best, settings.tuning.seed).fit(fit_rows)
    models = {"gbt": model, "logistic_regression": logistic_pipeline(features).fit(fit_rows)}
    baseline = [f for f in features if f.name == data.baseline_feature and f.kind == "numeric"]
    if data.baseline_feature and not baseline:
        raise CrmMiningError(
            f"model '{data.name}': baseline_feature '{data.baseline_feature}' is not a numeric feature of the table"
        )
    if baseline:
        models[f"rule_{data.baseline_feature}"] = logistic_pipeline(baseline).fit(fit_rows)
    test = df.where(F.col("split") == "test")
    metrics, gains, calibration = evaluate(test, models, settings.calibration_bins)
    names = feature_names(features)
    importances = model.stages[-1].featureImportances.toArray().tolist()
    reference_rows = fit_rows
    if split_summary["method"] == "out_of_time":
        reference_rows = fit_rows.where(
            F.col("snapshot_date") == F.lit(dt.date.fromisoformat(split_summary["validation"]))
        )
    with_score = reference_rows.join(
        model.transform(reference_rows).select(*KEYS, vector_to_array("probability")[1].alias("__score")),
        list(KEYS),
    )
    reference = reference_bins(
        with_score, [*numerics(features), "__score"], categoricals(features), settings.monitor.psi_bins
    )
    metadata = {
        "label": data.spec.get("label"),
        "spec": data.spec,
        "features": [dataclasses.asdict(f) for f in features],
        "feature_order": names,
        "dropped_features": dropped,
        "hyperparameters": best,
        "tuning": dataclasses.asdict(settings.tuning),
        "weights": dataclasses.asdict(settings.weights),
        "trials": trials,
        "selection": selection,
        "split": split_summary,
        "training_tables": data.sources,
        "metrics": metrics,
        "importances": dict(zip(names, importances, strict=True)),
        "reference": reference,
        "reference_snapshot": split_summary.get("validation"),
        "package_version": crm_mining.__version__,
        "spark_version": pyspark.__version__,
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    version, folder = save_model(config, data.name, model, metadata)
    write_results(spark, config, data.name, version, metrics, gains, calibration, names, importances)
    mlflow_run = log_model_run(config, data.name, version, model, metadata)
    fit_rows.unpersist()
    df.unpersist()
    return {
        "model": data.name,
        "version": version,
        "folder": folder,
        "split": split_summary,
        "hyperparameters": best,
        "selection": selection,
        "metrics": {
            m["model"]: {k: m[k] for k in ("auc_roc", "auc_pr", "ks", "gini", "brier")} for m in metrics
        },
        **({"mlflow_run_id": mlflow_run} if mlflow_run else {}),
    }


def write_results(spark, config, name, version, metrics, gains, calibration, names, importances) -> None:
    lake = Lake(config)
    tag = [F.lit(name).alias("model_name"), F.lit(version).alias("model_version")]
    metric_rows = spark.createDataFrame(
        [
            (
                m["model"],
                "test",
                m["rows"],
                m["positives"],
                m["auc_roc"],
                m["auc_pr"],
                m["ks"],
                m["gini"],
                m["brier"],
            )
            for m in metrics
        ],
        "model string, split string, rows long, positives long, auc_roc double, auc_pr double, ks double, gini double, brier double",
    )
    lake.write(metric_rows.select(*tag, "*"), "gold.model_metrics", mode="append")
    lake.write(
        gains.select(*tag, "model", *[c for c in gains.columns if c != "model"]),
        "gold.model_gains",
        mode="append",
    )
    lake.write(
        calibration.select(*tag, "model", *[c for c in calibration.columns if c != "model"]),
        "gold.model_calibration",
        mode="append",
    )
    ranked = sorted(zip(names, importances, strict=True), key=lambda p: -p[1])
    imp = spark.createDataFrame(
        [(f, float(v), i + 1) for i, (f, v) in enumerate(ranked)],
        "feature string, importance double, rank int",
    )
    lake.write(imp.select(*tag, "*"), "gold.model_importances", mode="append")


def saved_model(config: Config, name: str) -> dict | None:
    """The summary of the latest saved version of ``name``, or None when there is none."""
    try:
        folder = model_folder(config, name)
    except CrmMiningError:
        return None
    meta = json.loads(Path(folder, METADATA).read_text())
    return {
        "model": name,
        "reused": True,
        "version": meta["version"],
        "folder": folder,
        "message": f"reused model '{name}' version {meta['version']} (models.retrain / --retrain trains a new one)",
    }


def train_models(spark: SparkSession, config: Config) -> dict:
    """Entry point of `crm-mining train`: one versioned model per spec (or the bring-your-own table).

    A model that already has a saved version is reused (its summary says which) unless
    ``models.retrain`` is true, so `crm-mining pipeline` trains once and then only scores.
    """
    settings = config.models
    if settings.input.source != "lake":
        from crm_mining.models.byod import byod_training_data

        names = [settings.input.name]
        fit = lambda name: train_one(spark, config, byod_training_data(spark, config))  # noqa: E731
    else:
        names = list(settings.specs)
        fit = lambda name: train_one(  # noqa: E731
            spark, config, lake_training_data(spark, config, name, getattr(settings, name))
        )
    out = []
    for name in names:
        reused = None if settings.retrain else saved_model(config, name)
        if reused:
            log.info(reused["message"])
        out.append(reused or fit(name))
    return {"models": out}
