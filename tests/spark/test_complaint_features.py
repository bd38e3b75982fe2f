"""Complaint text features in gold.customer_features: point in time, and left out without the complaints stage."""

from __future__ import annotations

import dataclasses
import datetime as dt

from pyspark.testing import assertDataFrameEqual

from crm_mining.features import build_features
from crm_mining.features.complaint_texts import complaint_text_features
from crm_mining.features.snapshots import snapshots_frame
from crm_mining.tables import Lake

MARCH, APRIL = dt.date(2025, 3, 31), dt.date(2025, 4, 30)
INSIGHTS = "customer_id string, interaction_date date, kind string, topic int, sentiment_label string"
ROWS = [
    ("C1", dt.date(2024, 12, 31), "COMPLAINT", 0, "negative"),  # March 31 - 90 days: just outside
    ("C1", dt.date(2025, 1, 1), "COMPLAINT", 0, "negative"),  # first day inside March's window
    ("C1", dt.date(2025, 3, 20), "INQUIRY", 1, "negative"),  # negative, but not a complaint
    ("C1", dt.date(2025, 3, 31), "COMPLAINT", 1, "neutral"),  # on the snapshot day: inside
    ("C1", dt.date(2025, 4, 1), "COMPLAINT", 2, "negative"),  # after March 31: only in April's window
    ("C2", dt.date(2025, 4, 15), "COMPLAINT", None, "negative"),  # no known term: no topic
]


def test_negative_complaints_and_topic_shares_use_only_the_window_up_to_the_snapshot(spark):
    insights = spark.createDataFrame(ROWS, INSIGHTS)
    got = complaint_text_features(insights, snapshots_frame(spark, [MARCH, APRIL]), 90, 3)
    # March's window is (Dec 31, Mar 31]: C1's rows of Jan 1, Mar 20 and Mar 31.
    # April's window is (Jan 30, Apr 30]: C1's rows of Mar 20, Mar 31 and Apr 1.
    expected = spark.createDataFrame(
        [
            ("C1", MARCH, 1, 1 / 3, 2 / 3, 0.0),
            ("C1", APRIL, 1, 0.0, 2 / 3, 1 / 3),
            ("C2", APRIL, 1, 0.0, 0.0, 0.0),
        ],
        "customer_id string, snapshot_date date, negative_complaint_count_90d bigint, "
        "complaint_topic_0_share_90d double, complaint_topic_1_share_90d double, complaint_topic_2_share_90d double",
    )
    assertDataFrameEqual(got, expected)


def transactions(spark):
    return spark.createDataFrame(
        [
            (
                "T1",
                "C1",
                dt.datetime(2025, 1, 5, 10),
                dt.date(2025, 1, 5),
                dt.date(2025, 1, 1),
                10.0,
                "DEBIT",
            ),
            (
                "T2",
                "C3",
                dt.datetime(2025, 4, 5, 10),
                dt.date(2025, 4, 5),
                dt.date(2025, 4, 1),
                20.0,
                "DEBIT",
            ),
        ],
        "txn_id string, customer_id string, txn_ts timestamp, txn_date date, txn_month date, amount_base double, "
        "direction string",
    )


def test_features_read_the_insights_when_they_exist_and_leave_the_columns_out_otherwise(spark, config):
    config = dataclasses.replace(
        config,
        features=dataclasses.replace(config.features, snapshot_dates=[MARCH, APRIL]),
        complaints=dataclasses.replace(config.complaints, topic_count=3),
    )
    lake = Lake(config)
    lake.write(transactions(spark), "silver.transactions")
    summary = build_features(spark, config)
    assert "gold.interaction_insights" in summary["missing_inputs"]
    columns = lake.read(spark, "gold.customer_features").columns
    assert not [c for c in columns if "complaint_topic" in c or c.startswith("negative_complaint")]

    lake.write(spark.createDataFrame(ROWS, INSIGHTS), "gold.interaction_insights")
    summary = build_features(spark, config)
    assert "gold.interaction_insights" not in summary["missing_inputs"]
    got = lake.read(spark, "gold.customer_features").select(
        "customer_id", "snapshot_date", "negative_complaint_count_90d", "complaint_topic_1_share_90d"
    )
    # C3 (a customer with transactions, no texts) gets 0; C2 has no transaction, so no feature row.
    expected = spark.createDataFrame(
        [("C1", MARCH, 1, 2 / 3), ("C1", APRIL, 1, 2 / 3), ("C3", APRIL, 0, 0.0)],
        "customer_id string, snapshot_date date, negative_complaint_count_90d bigint, complaint_topic_1_share_90d double",
    )
    assertDataFrameEqual(got, expected)
