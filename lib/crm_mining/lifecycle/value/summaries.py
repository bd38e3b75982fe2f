"""Per-customer purchase summaries for BG/NBD + Gamma-Gamma, computed distributed in Spark.

A purchase occasion is a day with at least one DEBIT (spend) transaction; its value is that day's
spend. The definitions are those of ``lifetimes.utils.summary_data_from_transaction_data`` with
``freq="D"``, so the two agree on the same transactions:

- ``frequency``: repeat purchase days (purchase days - 1),
- ``recency_days``: days from the first to the last purchase day,
- ``t_days``: days from the first purchase day to ``as_of`` (the customer's age, "T"),
- ``monetary``: mean spend per repeat purchase day (0 without repeats; the first day is left out).
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)

SUMMARY_COLUMNS = ("customer_id", "frequency", "recency_days", "t_days", "monetary")


def purchase_days(transactions: DataFrame) -> DataFrame:
    """customer_id, txn_date, day_spend: one row per customer and purchase day."""
    return (
        transactions.where(F.col("direction") == "DEBIT")
        .groupBy("customer_id", "txn_date")
        .agg(F.sum("amount_base").alias("day_spend"))
    )


def purchase_summaries(transactions: DataFrame, as_of: dt.date) -> DataFrame:
    """``transactions`` (customer_id, txn_date, amount_base, direction) -> one summary row per customer
    with a purchase on or before ``as_of`` (``SUMMARY_COLUMNS``; money in the input's currency)."""
    return summaries_from_days(purchase_days(transactions), as_of)


def summaries_from_days(days: DataFrame, as_of: dt.date) -> DataFrame:
    """``SUMMARY_COLUMNS`` from ``purchase_days`` rows on or before ``as_of`` (one set of purchase days can
    serve several snapshots)."""
    per_customer = (
        days.where(F.col("txn_date") <= F.lit(as_of))
        .groupBy("customer_id")
        .agg(
            F.min("txn_date").alias("first_day"),
            F.max("txn_date").alias("last_day"),
            F.count(F.lit(1)).alias("purchase_days"),
            F.sum("day_spend").alias("total_spend"),
            F.min_by("day_spend", "txn_date").alias("first_day_spend"),
        )
    )
    frequency = F.col("purchase_days") - 1
    return per_customer.select(
        "customer_id",
        frequency.cast("int").alias("frequency"),
        F.datediff("last_day", "first_day").cast("double").alias("recency_days"),
        F.datediff(F.lit(as_of), "first_day").cast("double").alias("t_days"),
        F.when(frequency > 0, (F.col("total_spend") - F.col("first_day_spend")) / frequency)
        .otherwise(0.0)
        .alias("monetary"),
    )
