"""RFM: quintile scores against a hand-computed case, and the segment rules (first match wins)."""

from __future__ import annotations

import datetime as dt

from pyspark.testing import assertDataFrameEqual

from crm_mining.config import load_config
from crm_mining.features.rfm import build_rfm, with_rfm_segments

SNAP = dt.date(2025, 3, 31)


def test_scores_and_default_segments_on_ten_customers(spark):
    # R_i: recency i days, frequency 10*(11-i); monetary a permutation of 100..1000.
    # Quintile edges (percentile_approx at 0.2/0.4/0.6/0.8): recency 2,4,6,8; frequency 20,40,60,80;
    # monetary 200,400,600,800. A value equal to an edge falls in the lower group.
    monetary = [500, 100, 900, 300, 700, 200, 1000, 400, 800, 600]
    rows = [(f"R{i:02d}", SNAP, i, 10 * (11 - i), float(monetary[i - 1])) for i in range(1, 11)]
    rows.append(("NEVER", SNAP, None, 0, 0.0))  # never transacted: not scored
    features = spark.createDataFrame(
        rows,
        "customer_id string, snapshot_date date, recency_days int, txn_count_365d bigint, spend_365d double",
    )
    got = build_rfm(features, load_config().rfm)
    scores = [  # (r, f, m, segment) worked out by hand from the edges above and the default rules
        (5, 5, 3, "Loyal"),
        (5, 5, 1, "Loyal"),
        (4, 4, 5, "Champions"),
        (4, 4, 2, "Loyal"),
        (3, 3, 4, "Loyal"),
        (3, 3, 1, "Loyal"),
        (2, 2, 5, "Hibernating"),
        (2, 2, 2, "Hibernating"),
        (1, 1, 4, "Lost"),
        (1, 1, 3, "Lost"),
    ]
    expected = spark.createDataFrame(
        [
            (f"R{i:02d}", SNAP, i, 10 * (11 - i), float(monetary[i - 1]), r, f, m, f"{r}{f}{m}", seg)
            for i, (r, f, m, seg) in enumerate(scores, start=1)
        ],
        "customer_id string, snapshot_date date, recency_days int, frequency bigint, monetary double, "
        "r_score int, f_score int, m_score int, rfm_cell string, rfm_segment string",
    )
    assertDataFrameEqual(got, expected)


def test_scores_are_per_snapshot(spark):
    later = dt.date(2025, 4, 30)
    rows = [(f"C{i}", SNAP, i, i, float(i)) for i in range(1, 6)] + [
        (f"C{i}", later, 100 * i, 100 * i, 100.0 * i) for i in range(1, 6)
    ]
    features = spark.createDataFrame(
        rows,
        "customer_id string, snapshot_date date, recency_days int, txn_count_365d bigint, spend_365d double",
    )
    got = {
        (r.customer_id, r.snapshot_date): r.f_score for r in build_rfm(features, load_config().rfm).collect()
    }
    # Five values per snapshot: each gets its own quintile whatever the other snapshot's scale.
    assert [got[(f"C{i}", SNAP)] for i in range(1, 6)] == [1, 2, 3, 4, 5]
    assert [got[(f"C{i}", later)] for i in range(1, 6)] == [1, 2, 3, 4, 5]


def test_segment_rules_from_config_first_match_wins_and_fallback(spark):
    config = load_config(
        overrides=[
            "rfm.segments=[{name: Top, r: [4, 5], f: [4, 5]}, {name: Recent, r: [4, 5]}, {name: Never, r: [5, 5]}]",
            "rfm.fallback_segment=Rest",
        ]
    )
    scores = spark.createDataFrame(
        [
            ("A", SNAP, 1, 1, 1.0, 5, 5, 1, "551"),
            ("B", SNAP, 1, 1, 1.0, 5, 3, 3, "533"),
            ("C", SNAP, 1, 1, 1.0, 3, 5, 5, "355"),
        ],
        "customer_id string, snapshot_date date, recency_days int, frequency bigint, monetary double, "
        "r_score int, f_score int, m_score int, rfm_cell string",
    )
    got = {r.customer_id: r.rfm_segment for r in with_rfm_segments(scores, config.rfm).collect()}
    assert got == {"A": "Top", "B": "Recent", "C": "Rest"}
