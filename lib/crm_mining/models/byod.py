"""Bring your own data: train on any labelled table and score any table with the model's columns.

``models.input``: source and location, id column, label column and its positive value, an optional date
column (out-of-time split and the scores' snapshot_date; without it the split is random by id and
snapshot_date is the scoring day) and the features (listed, or every other column: string columns are
categorical, numbers and booleans numeric). The split's sizes and seed come from models.churn.split. A BYOD label is taken as known at its
row's date. Scores go to gold.model_scores.
"""

from __future__ import annotations

import dataclasses

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from crm_mining import CrmMiningError
from crm_mining.config import Config
from crm_mining.config.models import ModelInputSettings
from crm_mining.inputs import read_user_data
from crm_mining.models.artifacts import load_model, model_folder
from crm_mining.models.data import KEYS, feature_columns
from crm_mining.models.score import (
    MODEL_SCORE_COLUMNS,
    MODEL_SCORES,
    check_columns,
    monitoring_rows,
    score_table,
    write_snapshots,
)
from crm_mining.models.train import TrainingData
from crm_mining.tables import Lake


def read_table(spark: SparkSession, settings: ModelInputSettings, location: str) -> DataFrame:
    what = f"the model input (models.input.source={settings.source} at {location})"
    return read_user_data(spark, settings.source, location, settings.csv_options, what)


def keyed(df: DataFrame, settings: ModelInputSettings, where: str) -> DataFrame:
    """The user's table with ``customer_id`` and ``snapshot_date`` (from the id and date columns) first."""
    needed = [settings.id_column] + ([settings.snapshot_column] if settings.snapshot_column else [])
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise CrmMiningError(
            f"{where} has no column(s) {', '.join(missing)}; columns: {', '.join(df.columns)}"
        )
    snap = F.to_date(F.col(settings.snapshot_column)) if settings.snapshot_column else F.current_date()
    rest = [c for c in df.columns if c not in (*needed, *KEYS)]
    return df.select(
        F.col(settings.id_column).cast("string").alias("customer_id"), snap.alias("snapshot_date"), *rest
    )


def byod_features(df: DataFrame, settings: ModelInputSettings) -> list:
    skip = (*KEYS, settings.id_column, settings.label_column, settings.snapshot_column or "")
    found = feature_columns(df, skip)
    if not settings.features:
        return found
    by_name = {f.name: f for f in found}
    unknown = [c for c in settings.features if c not in by_name]
    if unknown:
        raise CrmMiningError(
            f"models.input.features {', '.join(unknown)} are not numeric/string columns of {settings.location}"
        )
    return [by_name[c] for c in settings.features]


def byod_training_data(spark: SparkSession, config: Config) -> TrainingData:
    settings = config.models.input
    raw = read_table(spark, settings, settings.location)
    if settings.label_column not in raw.columns:
        raise CrmMiningError(
            f"{settings.location} has no label column '{settings.label_column}'; columns: {', '.join(raw.columns)}"
        )
    df = keyed(raw, settings, settings.location)
    label = (F.trim(F.col(settings.label_column).cast("string")) == F.lit(settings.positive_value)).cast(
        "int"
    )
    population = df.where(F.col(settings.label_column).isNotNull()).select(
        *[c for c in df.columns if c != settings.label_column],
        label.alias("label"),
        F.col("snapshot_date").alias("horizon_end"),
    )
    features = byod_features(df, settings)
    method = "out_of_time" if settings.snapshot_column else "random"
    split = dataclasses.replace(config.models.churn.split, method=method)
    return TrainingData(
        name=settings.name,
        population=population,
        features=features,
        split=split,
        baseline_feature=None,
        sources={settings.location: settings.source},
        spec={"label": settings.label_column, **dataclasses.asdict(settings)},
    )


def score_byod(spark: SparkSession, config: Config) -> dict:
    settings = config.models.input
    location = settings.score_location or settings.location
    folder = model_folder(config, settings.name, config.models.score.model_version)
    model, metadata = load_model(folder)
    rows = keyed(read_table(spark, settings, location), settings, location)
    check_columns(rows, metadata, location)
    scores, monitored = score_table(spark, config, rows, model, metadata, folder, list(KEYS), risk=False)
    lake = Lake(config)
    condition = f"model_name = '{settings.name}'"
    write_snapshots(lake, spark, scores.select(*MODEL_SCORE_COLUMNS), MODEL_SCORES, condition)
    write_snapshots(
        lake, spark, monitoring_rows(spark, monitored, metadata, config), "gold.model_monitoring", condition
    )
    return {"models": [{"model": settings.name, "version": metadata["version"], "table": MODEL_SCORES,
                        "rows": lake.read(spark, MODEL_SCORES).where(F.col("model_name") == settings.name).count()}]}  # fmt: skip
