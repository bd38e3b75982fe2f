"""Leakage-free churn and default labels per (customer_id, snapshot_date) for gold.labels.

Labels look only *after* the snapshot; features only on or before it. Definitions (config ``labels.*``):

- churn, horizon h = snapshot + ``churn_horizon_months`` (month ends map to month ends):
  1 when the customer had an open account at the snapshot and every account is closed by h
  (``reason = closure``), or when there is no transaction in the ``churn_inactivity_days`` days
  ending at h (``reason = inactivity``); else 0.
  Null when h is after the data's last day (``data_end``, the last transaction date) unless a closure
  is already seen by then: a positive seen before the horizon ends is final, a negative is not.
  Also null when all accounts were already closed at the snapshot (the customer has already left, so
  there is nothing to predict).
- default, horizon d = snapshot + ``default_horizon_months``: 1 when a repayment row with
  month_end in (snapshot, d] has days_past_due >= ``default_dpd``; 0 when none and d is on or before the
  last repayment month end; null otherwise, and null for everyone without silver.repayments.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining.config.features import LabelSettings
from crm_mining.features.snapshots import months_after

LABEL_COLUMNS = (
    "customer_id", "snapshot_date", "churn", "default", "churn_horizon_end", "default_horizon_end", "churn_reason",
)  # fmt: skip


def with_horizons(base: DataFrame, settings: LabelSettings) -> DataFrame:
    snap = F.col("snapshot_date")
    return base.select(
        "customer_id",
        "snapshot_date",
        months_after(snap, settings.churn_horizon_months).alias("churn_horizon_end"),
        months_after(snap, settings.default_horizon_months).alias("default_horizon_end"),
    )


def closure_flags(horizons: DataFrame, accounts: DataFrame, data_end: dt.date) -> DataFrame:
    """(customer_id, snapshot_date) -> open_at_snapshot, open_at_horizon (counted at min(h, data_end))."""
    snap = F.col("snapshot_date")
    seen_until = F.least(F.col("churn_horizon_end"), F.lit(data_end))
    joined = horizons.join(accounts.select("customer_id", "open_date", "close_date"), "customer_id")
    return joined.groupBy("customer_id", "snapshot_date").agg(
        F.count(F.when(F.col("open_date") <= snap, 1)).alias("opened_by_snapshot"),
        F.count(F.when(open_at(snap), 1)).alias("open_at_snapshot"),
        F.count(F.when(open_at(seen_until), 1)).alias("open_at_horizon"),
    )


def open_at(day: F.Column) -> F.Column:
    """The account is open on ``day``: opened on/before it and not closed by it."""
    return (F.col("open_date") <= day) & (F.col("close_date").isNull() | (F.col("close_date") > day))


def inactivity_flags(horizons: DataFrame, transactions: DataFrame, inactivity_days: int) -> DataFrame:
    """(customer_id, snapshot_date) -> txns_at_horizon_end: transactions in the N days ending at h."""
    h = F.col("churn_horizon_end")
    days = transactions.select("customer_id", "txn_date")
    joined = horizons.join(days, "customer_id").where(
        (F.col("txn_date") <= h) & (F.col("txn_date") > F.date_sub(h, inactivity_days))
    )
    return joined.groupBy("customer_id", "snapshot_date").agg(F.count(F.lit(1)).alias("txns_at_horizon_end"))


def default_flags(horizons: DataFrame, repayments: DataFrame, default_dpd: int) -> DataFrame:
    """(customer_id, snapshot_date) -> defaulted: a dpd >= default_dpd row in (snapshot, d]."""
    rows = repayments.where(F.col("days_past_due") >= default_dpd).select("customer_id", "month_end")
    joined = horizons.join(rows, "customer_id").where(
        (F.col("month_end") > F.col("snapshot_date")) & (F.col("month_end") <= F.col("default_horizon_end"))
    )
    return joined.groupBy("customer_id", "snapshot_date").agg(F.lit(1).alias("defaulted"))


def build_labels(
    base: DataFrame,
    transactions: DataFrame,
    accounts: DataFrame | None,
    repayments: DataFrame | None,
    settings: LabelSettings,
    data_end: dt.date,
    repayments_end: dt.date | None,
) -> DataFrame:
    """gold.labels rows for every (customer_id, snapshot_date) of ``base``; see the module docstring.

    ``data_end`` is the last transaction date; ``repayments_end`` the last repayment month end.
    """
    keys = ["customer_id", "snapshot_date"]
    horizons = with_horizons(base, settings)
    df = horizons.join(inactivity_flags(horizons, transactions, settings.churn_inactivity_days), keys, "left")
    if accounts is not None:
        df = df.join(closure_flags(horizons, accounts, data_end), keys, "left")
        closed = F.coalesce((F.col("open_at_snapshot") > 0) & (F.col("open_at_horizon") == 0), F.lit(False))
        already_gone = F.coalesce(
            (F.col("opened_by_snapshot") > 0) & (F.col("open_at_snapshot") == 0), F.lit(False)
        )
    else:
        closed = F.lit(False)
        already_gone = F.lit(False)
    observed = F.col("churn_horizon_end") <= F.lit(data_end)
    inactive = F.coalesce(F.col("txns_at_horizon_end"), F.lit(0)) == 0
    churn = F.when(already_gone, None).when(closed, 1).when(~observed, None).when(inactive, 1).otherwise(0)
    reason = F.when(already_gone, None).when(closed, "closure").when(observed & inactive, "inactivity")
    if repayments is not None and repayments_end is not None:
        df = df.join(default_flags(horizons, repayments, settings.default_dpd), keys, "left")
        default = F.when(F.col("defaulted") == 1, 1).when(
            F.col("default_horizon_end") <= F.lit(repayments_end), 0
        )
    else:
        default = F.lit(None)
    return df.select(
        "customer_id",
        "snapshot_date",
        churn.cast("int").alias("churn"),
        default.cast("int").alias("default"),
        "churn_horizon_end",
        "default_horizon_end",
        reason.cast("string").alias("churn_reason"),
    )
