"""Per-customer history features at a cut-off, and what the customer did in the window after it.

Both are computed distributed in Spark from the canonical transactions (``crm_mining.inputs`` shape).
A purchase is a day with at least one DEBIT transaction (as in ``summaries``); a window of H months is
30 x H days, the month BG/NBD's horizon uses, so predictions and outcomes cover the same days.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)

from crm_mining.lifecycle.value.summaries import purchase_days, purchase_summaries

DAYS_PER_MONTH = 30
# Recent windows (days before the cut-off) whose purchase days and spend the learned method reads.
RECENT_WINDOWS_DAYS = (30, 90, 180, 365)  # includes TREND_DAYS and twice it
HISTORY_FEATURES = (
    "frequency",
    "recency_days",
    "t_days",
    "monetary",
    "days_since_last",
    *(f"purchases_{d}d" for d in RECENT_WINDOWS_DAYS),
    *(f"spend_{d}d" for d in RECENT_WINDOWS_DAYS),
    "purchase_trend",
    "spend_trend",
)
# Trends compare the last TREND_DAYS with the TREND_DAYS before them (both windows are recent windows).
TREND_DAYS = 90
NO_TREND = -1.0  # the previous window had no purchase: a value no ratio takes, which the trees split apart
OUTCOME_COLUMNS = ("customer_id", "actual_purchases", "actual_spend")


def history_features(transactions: DataFrame, as_of: dt.date) -> DataFrame:
    """One row per customer with a purchase on or before ``as_of``: customer_id and ``HISTORY_FEATURES``
    (the BG/NBD summary, days since the last purchase, purchase days and spend in each recent window)."""
    days = purchase_days(transactions).where(F.col("txn_date") <= F.lit(as_of))
    age = F.datediff(F.lit(as_of), F.col("txn_date"))
    windows = []
    for d in RECENT_WINDOWS_DAYS:
        inside = age < d
        windows.append(F.sum(inside.cast("int")).cast("double").alias(f"purchases_{d}d"))
        windows.append(F.sum(F.when(inside, F.col("day_spend")).otherwise(0.0)).alias(f"spend_{d}d"))
    recent = days.groupBy("customer_id").agg(*windows)
    summaries = purchase_summaries(transactions, as_of)
    return summaries.join(recent, "customer_id").select(
        "customer_id",
        F.col("frequency").cast("double").alias("frequency"),
        "recency_days",
        "t_days",
        "monetary",
        (F.col("t_days") - F.col("recency_days")).alias("days_since_last"),
        *(F.col(f"purchases_{d}d") for d in RECENT_WINDOWS_DAYS),
        *(F.col(f"spend_{d}d").cast("double") for d in RECENT_WINDOWS_DAYS),
        trend("purchases").alias("purchase_trend"),
        trend("spend").cast("double").alias("spend_trend"),
    )


def trend(measure: str) -> Column:
    """``measure`` (purchases or spend) in the last ``TREND_DAYS`` over the ``TREND_DAYS`` before them;
    ``NO_TREND`` when the earlier window had none. A decline BG/NBD's constant rate does not see."""
    last, both = F.col(f"{measure}_{TREND_DAYS}d"), F.col(f"{measure}_{2 * TREND_DAYS}d")
    return F.when(both > last, last / (both - last)).otherwise(F.lit(NO_TREND))


def outcomes(transactions: DataFrame, after: dt.date, months: int) -> DataFrame:
    """``OUTCOME_COLUMNS`` for customers with a purchase in (``after``, ``after`` + 30 x months days]:
    purchase days and spend there (customers without one have no row: join and fill 0)."""
    end = after + dt.timedelta(days=DAYS_PER_MONTH * months)
    window = purchase_days(transactions).where(
        (F.col("txn_date") > F.lit(after)) & (F.col("txn_date") <= F.lit(end))
    )
    return window.groupBy("customer_id").agg(
        F.count(F.lit(1)).cast("double").alias("actual_purchases"),
        F.sum("day_spend").cast("double").alias("actual_spend"),
    )


def with_outcomes(customers: DataFrame, transactions: DataFrame, after: dt.date, months: int) -> DataFrame:
    """``customers`` plus actual_purchases and actual_spend in the window after ``after`` (0 when none)."""
    return customers.join(outcomes(transactions, after, months), "customer_id", "left").fillna(
        0.0, subset=["actual_purchases", "actual_spend"]
    )
