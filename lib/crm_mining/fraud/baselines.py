"""Per-customer behavioural baselines, computed distributed from the history before the scored window.

Robust amount statistics (median and MAD via ``percentile_approx``), the shares of the customer's
channels, merchant categories and clock hours, and the busiest clock hour (velocity).
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

BASELINE_COLUMNS = (
    "customer_id",
    "history_txns",
    "median_amount",
    "mad_amount",
    "channel_share",
    "category_share",
    "hour_share",
    "max_per_hour",
    "first_txn_date",
    "last_txn_date",
)
ACCURACY = 10_000  # percentile_approx accuracy: relative error 1/10,000 of the rank


def shares(history: DataFrame, column: str, name: str) -> DataFrame:
    """customer_id, ``name``: map of each value of ``column`` to its share of the customer's transactions."""
    counts = history.groupBy("customer_id", column).count()
    total = F.sum("count").over(Window.partitionBy("customer_id"))
    return (
        counts.withColumn("share", F.col("count") / total)
        .groupBy("customer_id")
        .agg(F.map_from_entries(F.collect_list(F.struct(F.col(column), F.col("share")))).alias(name))
    )


def customer_baselines(history: DataFrame) -> DataFrame:
    """One row per customer of ``history`` (DEBIT events: customer_id, txn_ts, txn_date, amount, channel,
    merchant_category, hour), with BASELINE_COLUMNS.

    mad_amount is the median absolute deviation from median_amount (unscaled); max_per_hour the most
    transactions the customer made in one clock hour.
    """
    medians = history.groupBy("customer_id").agg(
        F.count("*").alias("history_txns"),
        F.percentile_approx("amount", 0.5, ACCURACY).alias("median_amount"),
        F.min("txn_date").alias("first_txn_date"),
        F.max("txn_date").alias("last_txn_date"),
    )
    mad = (
        history.join(medians.select("customer_id", "median_amount"), "customer_id")
        .groupBy("customer_id")
        .agg(
            F.percentile_approx(F.abs(F.col("amount") - F.col("median_amount")), 0.5, ACCURACY).alias(
                "mad_amount"
            )
        )
    )
    busiest = (
        history.groupBy("customer_id", F.date_trunc("hour", "txn_ts").alias("clock_hour"))
        .count()
        .groupBy("customer_id")
        .agg(F.max("count").alias("max_per_hour"))
    )
    return (
        medians.join(mad, "customer_id")
        .join(shares(history, "channel", "channel_share"), "customer_id")
        .join(shares(history, "merchant_category", "category_share"), "customer_id")
        .join(shares(history, "hour", "hour_share"), "customer_id")
        .join(busiest, "customer_id")
        .select(
            "customer_id",
            F.col("history_txns").cast("long").alias("history_txns"),
            F.col("median_amount").cast("double").alias("median_amount"),
            F.col("mad_amount").cast("double").alias("mad_amount"),
            "channel_share",
            "category_share",
            F.col("hour_share").cast("map<int,double>").alias("hour_share"),
            F.col("max_per_hour").cast("int").alias("max_per_hour"),
            "first_txn_date",
            "last_txn_date",
        )
    )
