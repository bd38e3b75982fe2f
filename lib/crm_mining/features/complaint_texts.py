"""Complaint text features from gold.interaction_insights (written by the complaints stage)."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining.features.snapshots import in_last_days


def complaint_text_features(
    insights: DataFrame, snapshots: DataFrame, window_days: int, topic_count: int
) -> DataFrame:
    """(customer_id, snapshot_date) -> negative_complaint_count_{w}d and complaint_topic_{t}_share_{w}d.

    Only texts dated in the ``window_days`` days up to the snapshot count (point in time). A topic share
    is the customer's texts of that topic over all their texts in the window (texts without a topic,
    i.e. with no known term, count in the denominator only).
    """
    w = window_days
    day, snap = F.col("interaction_date"), F.col("snapshot_date")
    negative_complaint = (F.upper(F.col("kind")) == "COMPLAINT") & (F.col("sentiment_label") == "negative")
    paired = insights.select("customer_id", "interaction_date", "kind", "topic", "sentiment_label").join(
        snapshots, in_last_days(day, snap, w)
    )
    texts = F.count("*")
    return paired.groupBy("customer_id", "snapshot_date").agg(
        F.count(F.when(negative_complaint, 1)).alias(f"negative_complaint_count_{w}d"),
        *[
            (F.count(F.when(F.col("topic") == t, 1)) / texts).alias(f"complaint_topic_{t}_share_{w}d")
            for t in range(topic_count)
        ],
    )
