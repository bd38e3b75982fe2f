"""gold.lifecycle_transitions: stage-to-stage counts and rates between consecutive snapshots."""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)

TRANSITION_COLUMNS = ("from_snapshot", "to_snapshot", "from_stage", "to_stage", "customers", "rate")


def stage_transitions(stages: DataFrame) -> DataFrame:
    """Counts and rates of customers moving from_stage -> to_stage between consecutive snapshots.

    ``stages``: customer_id, snapshot_date, stage (gold.lifecycle_stage). Consecutive = adjacent dates
    among the snapshots present in ``stages``; only customers staged at both dates are counted.
    ``rate`` = customers / customers in from_stage at from_snapshot (who were staged at both dates),
    so the rates out of one stage sum to 1.
    """
    stages = stages.select("customer_id", "snapshot_date", "stage")
    dates = stages.select("snapshot_date").distinct()
    # The next date after each: a self-join of the few snapshot dates, not a window without a partition
    # (which moves all rows to one partition and logs a warning).
    later = dates.select(F.col("snapshot_date").alias("to_snapshot"))
    pairs = (
        dates.join(F.broadcast(later), F.col("to_snapshot") > F.col("snapshot_date"))
        .groupBy(F.col("snapshot_date").alias("from_snapshot"))
        .agg(F.min("to_snapshot").alias("to_snapshot"))
    )
    before = stages.select(
        "customer_id", F.col("snapshot_date").alias("from_snapshot"), F.col("stage").alias("from_stage")
    )
    after = stages.select(
        "customer_id", F.col("snapshot_date").alias("to_snapshot"), F.col("stage").alias("to_stage")
    )
    moves = before.join(F.broadcast(pairs), "from_snapshot").join(after, ["customer_id", "to_snapshot"])
    counts = moves.groupBy("from_snapshot", "to_snapshot", "from_stage", "to_stage").agg(
        F.count(F.lit(1)).alias("customers")
    )
    out_of_stage = Window.partitionBy("from_snapshot", "from_stage")
    return counts.withColumn("rate", F.col("customers") / F.sum("customers").over(out_of_stage)).select(
        *TRANSITION_COLUMNS
    )


def overall_transitions(transitions: DataFrame) -> DataFrame:
    """All snapshot pairs pooled: from_stage, to_stage, customers, rate (rates out of a stage sum to 1)."""
    pooled = transitions.groupBy("from_stage", "to_stage").agg(F.sum("customers").alias("customers"))
    return pooled.withColumn(
        "rate", F.col("customers") / F.sum("customers").over(Window.partitionBy("from_stage"))
    ).select("from_stage", "to_stage", "customers", "rate")
