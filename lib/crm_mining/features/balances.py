"""Balances, credit limits, utilisation and the balance trend from silver.balances (month-end figures).

A snapshot uses the month end on or before it (``balance_month``); the 3-month averages use the 3 month
ends up to that one and the 3 before, counting a month without rows as 0 (accounts closed) and giving
null when none of the 3 months has a row.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining.domain import CREDIT_PRODUCTS
from crm_mining.features.snapshots import balance_month, months_before
from crm_mining.features.trends import ratio


def balance_features(balances: DataFrame, snapshots: DataFrame) -> DataFrame:
    """(customer_id, snapshot_date) -> balance_total/deposit/credit, credit_limit_total, utilisation, trend."""
    bm = balance_month(F.col("snapshot_date"))
    month = F.col("month_end")
    is_credit = F.col("product_code").isin(*CREDIT_PRODUCTS) | (
        F.coalesce(F.col("credit_limit_base"), F.lit(0.0)) > 0
    )
    now = month == bm
    last_3 = (month > months_before(bm, 3)) & (month <= bm)
    prev_3 = (month > months_before(bm, 6)) & (month <= months_before(bm, 3))
    balance = F.coalesce(F.col("balance_base"), F.lit(0.0))
    paired = balances.join(
        snapshots,
        (F.col("month_end") <= F.col("snapshot_date"))
        & (F.col("month_end") > months_before(F.col("snapshot_date"), 7)),
    )
    grouped = paired.groupBy("customer_id", "snapshot_date").agg(
        F.coalesce(F.sum(F.when(now, balance)), F.lit(0.0)).alias("balance_total"),
        F.coalesce(F.sum(F.when(now & ~is_credit, balance)), F.lit(0.0)).alias("balance_deposit"),
        F.coalesce(F.sum(F.when(now & is_credit, F.abs(balance))), F.lit(0.0)).alias("balance_credit"),
        F.coalesce(F.sum(F.when(now, F.col("credit_limit_base"))), F.lit(0.0)).alias("credit_limit_total"),
        (F.sum(F.when(last_3, balance)) / 3).alias("balance_3m_avg"),
        (F.sum(F.when(prev_3, balance)) / 3).alias("balance_prev_3m_avg"),
    )
    return grouped.select(
        "customer_id",
        "snapshot_date",
        "balance_total",
        "balance_deposit",
        "balance_credit",
        "credit_limit_total",
        "balance_3m_avg",
        "balance_prev_3m_avg",
        ratio("balance_3m_avg", "balance_prev_3m_avg").alias("balance_trend"),
        ratio("balance_credit", "credit_limit_total").alias("credit_utilisation"),
    )
