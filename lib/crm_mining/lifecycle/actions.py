"""gold.lifecycle_actions: the recommended CRM action for each customer's current stage."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)

from crm_mining.config.lifecycle import LifecycleSettings

ACTION_COLUMNS = ("customer_id", "snapshot_date", "stage", "action", "rule")


def action_map(spark: SparkSession, settings: LifecycleSettings) -> DataFrame:
    """stage -> action from ``lifecycle.actions`` (config validation guarantees every stage has one)."""
    return spark.createDataFrame(sorted(settings.actions.items()), "stage string, action string")


def with_actions(spark: SparkSession, stages: DataFrame, settings: LifecycleSettings) -> DataFrame:
    """``stages`` (customer_id, snapshot_date, stage, rule) with the stage's ``action``."""
    actions = F.broadcast(action_map(spark, settings))
    return stages.join(actions, "stage", "left").select(*ACTION_COLUMNS)
