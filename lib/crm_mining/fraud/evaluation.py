"""Alerts measured against known fraud: precision, recall and alert rate, overall and per fraud kind.

Rows (EVALUATION_COLUMNS) per method and fraud_kind ('all' first). For a kind, ``precision`` is the
share of all alerts that hit fraud of that kind (the kinds' precisions add up to the overall one);
``recall`` the share of its fraud transactions alerted; ``episode_recall`` the share of its episodes
with at least one alerted transaction (an analyst who opens one alert finds the episode).
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

EVALUATION_COLUMNS = (
    "method",
    "fraud_kind",
    "scored_transactions",
    "alerts",
    "alerts_per_10k",
    "fraud_transactions",
    "caught",
    "precision",
    "recall",
    "episodes",
    "episodes_caught",
    "episode_recall",
)


def evaluate_alerts(scored: DataFrame, alerted: DataFrame, labels: DataFrame, method: str) -> DataFrame:
    """EVALUATION_COLUMNS for one ``method``.

    ``scored``: txn_id of every scored transaction; ``alerted``: txn_id of its alerts; ``labels``: txn_id,
    episode_id, fraud_kind of known fraud.
    """
    flags = (
        scored.select("txn_id")
        .join(labels.select("txn_id", "episode_id", "fraud_kind"), "txn_id", "left")
        .join(alerted.select("txn_id").distinct().withColumn("alerted", F.lit(True)), "txn_id", "left")
        .withColumn("alerted", F.coalesce("alerted", F.lit(False)))
    )
    totals = flags.agg(
        F.count("*").alias("scored_transactions"), F.sum(F.col("alerted").cast("long")).alias("alerts")
    )
    fraud = flags.where(F.col("fraud_kind").isNotNull())
    caught_episode = F.when(F.col("alerted"), F.col("episode_id"))
    measures = [
        F.count("*").alias("fraud_transactions"),
        F.sum(F.col("alerted").cast("long")).alias("caught"),
        F.countDistinct("episode_id").alias("episodes"),
        F.countDistinct(caught_episode).alias("episodes_caught"),
    ]
    per_kind = fraud.groupBy("fraud_kind").agg(*measures)
    overall = fraud.agg(*measures).withColumn("fraud_kind", F.lit("all"))
    alerts = F.col("alerts")
    return (
        overall.unionByName(per_kind)
        .crossJoin(totals)
        .select(
            F.lit(method).alias("method"),
            "fraud_kind",
            F.col("scored_transactions").cast("long").alias("scored_transactions"),
            F.coalesce(alerts, F.lit(0)).cast("long").alias("alerts"),
            (F.coalesce(alerts, F.lit(0)) * 10_000 / F.col("scored_transactions")).alias("alerts_per_10k"),
            F.col("fraud_transactions").cast("long").alias("fraud_transactions"),
            F.coalesce(F.col("caught"), F.lit(0)).cast("long").alias("caught"),
            F.when(alerts > 0, F.col("caught") / alerts).cast("double").alias("precision"),
            F.when(F.col("fraud_transactions") > 0, F.col("caught") / F.col("fraud_transactions"))
            .cast("double")
            .alias("recall"),
            F.col("episodes").cast("long").alias("episodes"),
            F.col("episodes_caught").cast("long").alias("episodes_caught"),
            F.when(F.col("episodes") > 0, F.col("episodes_caught") / F.col("episodes"))
            .cast("double")
            .alias("episode_recall"),
        )
    )
