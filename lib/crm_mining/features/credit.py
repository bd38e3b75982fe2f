"""Worst days past due per window from silver.repayments (month-end repayment records)."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining.features.snapshots import in_months


def dpd_features(repayments: DataFrame, snapshots: DataFrame, windows_months: list[int]) -> DataFrame:
    """(customer_id, snapshot_date) -> max_dpd_{m}m: worst days_past_due with month_end in the m months
    up to the snapshot (0 when there is no repayment row in the window)."""
    longest = max(windows_months)
    day = F.col("month_end")
    paired = repayments.join(snapshots, in_months(day, F.col("snapshot_date"), longest, 0))
    return paired.groupBy("customer_id", "snapshot_date").agg(
        *[
            F.coalesce(
                F.max(F.when(in_months(day, F.col("snapshot_date"), m, 0), F.col("days_past_due"))), F.lit(0)
            )
            .cast("int")
            .alias(f"max_dpd_{m}m")
            for m in sorted(set(windows_months))
        ]
    )
