"""Complaint and contact counts from silver.interactions."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining.features.snapshots import in_last_days


def contact_features(interactions: DataFrame, snapshots: DataFrame, windows_days: list[int]) -> DataFrame:
    """(customer_id, snapshot_date) -> complaint_count_{w}d and contact_count_{w}d."""
    day, snap = F.col("interaction_date"), F.col("snapshot_date")
    complaint = F.upper(F.col("kind")) == "COMPLAINT"
    paired = interactions.join(snapshots, in_last_days(day, snap, max(windows_days)))
    aggregates = []
    for w in sorted(set(windows_days)):
        inside = in_last_days(day, snap, w)
        aggregates += [
            F.count(F.when(inside & complaint, 1)).alias(f"complaint_count_{w}d"),
            F.count(F.when(inside, 1)).alias(f"contact_count_{w}d"),
        ]
    return paired.groupBy("customer_id", "snapshot_date").agg(*aggregates)
