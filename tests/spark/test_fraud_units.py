"""The fraud stage's parts on inline data: baselines, alert reasons, PrefixSpan patterns, budget, evaluation."""

from __future__ import annotations

import datetime as dt

import pytest
from pyspark.sql import functions as F  # noqa: N812 (the project convention)
from pyspark.testing import assertDataFrameEqual

from crm_mining.config import load_config
from crm_mining.fraud.alerts import alert_budget, budgeted_alerts
from crm_mining.fraud.baselines import customer_baselines
from crm_mining.fraud.evaluation import evaluate_alerts
from crm_mining.fraud.events import debit_transactions, with_events
from crm_mining.fraud.patterns import best_pattern, fraud_sequences, mine_patterns, pattern_statistics
from crm_mining.fraud.signals import scored_transactions
from crm_mining.rules.exclusions import fraud_alert_exclusions

DAY = dt.datetime(2025, 6, 1)
TXN_SCHEMA = (
    "txn_id string, customer_id string, txn_ts timestamp, txn_date date, amount_base double, "
    "direction string, channel string, merchant_category string"
)
PROBE, LARGE, GROCERY = "ONLINE|OTHER|lt5", "ONLINE|RETAIL|500-2000", "POS|GROCERY|5-50"


def txn(txn_id, customer, ts, amount, channel, category, direction="DEBIT"):
    return (txn_id, customer, ts, ts.date(), float(amount), direction, channel, category)


def events_of(spark, rows, settings):
    return with_events(debit_transactions(spark.createDataFrame(rows, TXN_SCHEMA)), settings)


@pytest.fixture(scope="module")
def settings():
    return load_config().fraud


def history_rows():
    """C1: 30 daily POS GROCERY payments at 10:00 of 30, 40, 50 (median 40, MAD 10), one salary credit."""
    rows = [
        txn(
            f"H{i:02d}",
            "C1",
            DAY - dt.timedelta(days=40 - i) + dt.timedelta(hours=10),
            30 + 10 * (i % 3),
            "POS",
            "GROCERY",
        )
        for i in range(30)
    ]
    return [*rows, txn("SAL", "C1", DAY - dt.timedelta(days=5), 2500, "ONLINE", "SALARY", "CREDIT")]


def test_baselines_are_robust_amounts_and_usual_behaviour(spark, settings):
    events = events_of(spark, history_rows(), settings)
    got = customer_baselines(events).drop("first_txn_date", "last_txn_date")
    expected = spark.createDataFrame(
        [("C1", 30, 40.0, 10.0, {"POS": 1.0}, {"GROCERY": 1.0}, {10: 1.0}, 1)],
        "customer_id string, history_txns long, median_amount double, mad_amount double, "
        "channel_share map<string,double>, category_share map<string,double>, hour_share map<int,double>, "
        "max_per_hour int",
    )
    assertDataFrameEqual(got, expected)


def test_alert_reasons_name_each_signal_with_its_figures(spark, settings):
    history = history_rows()
    burst = [
        txn(f"V{i}", "C1", DAY + dt.timedelta(days=1, hours=10, minutes=4 * i), 35, "POS", "GROCERY")
        for i in range(5)
    ]
    recent = [
        txn("TAKE", "C1", DAY + dt.timedelta(hours=3), 1000, "PHONE", "TRANSFER"),
        txn("USUAL", "C1", DAY + dt.timedelta(days=3, hours=10), 40, "POS", "GROCERY"),
        *burst,
        # C2 has no history: only the signals that need none (probing) can fire.
        txn("P1", "C2", DAY + dt.timedelta(hours=1), 1.0, "ONLINE", "OTHER"),
        txn("P2", "C2", DAY + dt.timedelta(hours=1, minutes=5), 2.0, "ONLINE", "OTHER"),
        txn("BIG", "C2", DAY + dt.timedelta(hours=1, minutes=20), 800, "ONLINE", "RETAIL"),
    ]
    events = events_of(spark, history + recent, settings)
    baselines = customer_baselines(events.where(F.col("txn_date") < F.lit(DAY.date())))
    scored = scored_transactions(
        events.where(F.col("txn_date") >= F.lit(DAY.date())), baselines, None, settings
    )
    got = scored.select("txn_id", "score", "signals", "reasons")
    past = "of the customer's past transactions"
    expected = spark.createDataFrame(
        [
            (
                "TAKE",
                4.5,
                ["amount_outlier", "new_channel", "unusual_category", "unusual_hour"],
                [
                    "amount 1000.00 is 96.0 MADs above the customer's median 40.00 (MAD 10.00)",
                    f"channel PHONE: 0.0% {past}",
                    f"merchant category TRANSFER: 0.0% {past}",
                    f"at 03 h, an hour of 0.0% {past}",
                ],
            ),
            ("USUAL", 0.0, [], []),
            *[(f"V{i}", 0.0, [], []) for i in range(4)],
            ("V4", 2.0, ["velocity"], ["5 transactions within 60 min (usual busiest hour: 1)"]),
            ("P1", 0.0, [], []),
            ("P2", 0.0, [], []),
            ("BIG", 3.0, ["probing"], ["2 transactions under 5.00 in the 6 h before"]),
        ],
        "txn_id string, score double, signals array<string>, reasons array<string>",
    )
    assertDataFrameEqual(got, expected)

    alerts = budgeted_alerts(scored, budget=2, min_score=3.0)
    assert [r.txn_id for r in alerts.orderBy(F.desc("score")).collect()] == ["TAKE", "BIG"]
    assert {r.status for r in alerts.collect()} == {"open"}
    assert alert_budget(10_000, 30.0) == 30
    assert alert_budget(999, 30.0) == 2


def probe_then_fraud_rows():
    """F1-F4: two 1.00 ONLINE OTHER probes then a 1,500 ONLINE RETAIL payment (the fraud, F*-3);
    N1-N2: a grocery payment then a 1,500 ONLINE RETAIL payment (not fraud)."""
    rows = []
    for c in ("F1", "F2", "F3", "F4"):
        start = DAY + dt.timedelta(hours=2)
        rows += [
            txn(f"{c}-1", c, start, 1.0, "ONLINE", "OTHER"),
            txn(f"{c}-2", c, start + dt.timedelta(minutes=10), 1.0, "ONLINE", "OTHER"),
            txn(f"{c}-3", c, start + dt.timedelta(minutes=30), 1500, "ONLINE", "RETAIL"),
        ]
    for c in ("N1", "N2"):
        start = DAY + dt.timedelta(hours=12)
        rows += [
            txn(f"{c}-1", c, start, 20.0, "POS", "GROCERY"),
            txn(f"{c}-2", c, start + dt.timedelta(hours=2), 1500, "ONLINE", "RETAIL"),
        ]
    return rows


def test_prefixspan_finds_the_probe_then_fraud_pattern(spark):
    settings = load_config(
        overrides=[
            "fraud.pattern_min_support=0.5",
            "fraud.pattern_min_confidence=0.5",
            "fraud.pattern_min_matches=3",
        ]
    ).fraud
    events = events_of(spark, probe_then_fraud_rows(), settings)
    fraud = spark.createDataFrame([(f"F{i}-3",) for i in range(1, 5)], "txn_id string")
    sequences = fraud_sequences(events, fraud)
    assert sorted(r.sequence for r in sequences.collect()) == [[[PROBE], [PROBE], [LARGE]]] * 4
    patterns = pattern_statistics(mine_patterns(sequences, settings), events, fraud, settings)
    # 16 events, 4 of them fraud: base rate 0.25. A pattern "ends at" an event whose own event is its last.
    expected = spark.createDataFrame(
        [
            ([PROBE], 4, 1.0, 8, 0, 0.0, 0.0, False),
            ([LARGE], 4, 1.0, 6, 4, 4 / 6, 4 / 6 / 0.25, True),
            ([PROBE, PROBE], 4, 1.0, 4, 0, 0.0, 0.0, False),
            ([PROBE, LARGE], 4, 1.0, 4, 4, 1.0, 4.0, True),
            ([PROBE, PROBE, LARGE], 4, 1.0, 4, 4, 1.0, 4.0, True),
        ],
        "pattern array<string>, fraud_sequences long, support double, matches long, fraud_matches long, "
        "confidence double, lift double, used boolean",
    )
    assertDataFrameEqual(patterns.drop("pattern_text", "length"), expected)

    # New transactions: the probes-then-large customer matches the longest confident pattern; a large
    # payment without probes matches only the single-event one.
    new = events_of(
        spark,
        [
            txn("X-1", "X", DAY + dt.timedelta(days=9, hours=1), 2.0, "ONLINE", "OTHER"),
            txn("X-2", "X", DAY + dt.timedelta(days=9, hours=1, minutes=3), 3.0, "ONLINE", "OTHER"),
            txn("X-3", "X", DAY + dt.timedelta(days=9, hours=2), 900, "ONLINE", "RETAIL"),
            txn("Y-1", "Y", DAY + dt.timedelta(days=9, hours=9), 900, "ONLINE", "RETAIL"),
        ],
        settings,
    )
    got = best_pattern(new, patterns.where("used"))
    assertDataFrameEqual(
        got,
        spark.createDataFrame(
            [("X-3", f"{PROBE} > {PROBE} > {LARGE}", 1.0), ("Y-1", LARGE, 4 / 6)],
            "txn_id string, pattern_matched string, pattern_confidence double",
        ),
    )


def test_precision_and_recall_per_kind_on_a_crafted_case(spark):
    scored = spark.createDataFrame([(f"T{i}",) for i in range(1, 11)], "txn_id string")
    labels = spark.createDataFrame(
        [
            ("T1", "E1", "card_testing"),
            ("T2", "E1", "card_testing"),
            ("T3", "E2", "account_takeover"),
            ("T4", "E3", "card_testing"),
        ],
        "txn_id string, episode_id string, fraud_kind string",
    )
    alerted = spark.createDataFrame([("T1",), ("T3",), ("T9",)], "txn_id string")
    got = evaluate_alerts(scored, alerted, labels, "alerts")
    expected = spark.createDataFrame(
        [
            ("alerts", "all", 10, 3, 3000.0, 4, 2, 2 / 3, 0.5, 3, 2, 2 / 3),
            ("alerts", "card_testing", 10, 3, 3000.0, 3, 1, 1 / 3, 1 / 3, 2, 1, 0.5),
            ("alerts", "account_takeover", 10, 3, 3000.0, 1, 1, 1 / 3, 1.0, 1, 1, 1.0),
        ],
        "method string, fraud_kind string, scored_transactions long, alerts long, alerts_per_10k double, "
        "fraud_transactions long, caught long, precision double, recall double, episodes long, "
        "episodes_caught long, episode_recall double",
    )
    assertDataFrameEqual(got, expected)


def test_open_fraud_alerts_exclude_the_customer_from_offers(spark):
    snapshot = dt.date(2025, 6, 30)
    profiles = spark.createDataFrame(
        [(snapshot, "C1", 1), (snapshot, "C2", 2), (snapshot, "C3", 1)],
        "snapshot_date date, customer_id string, risk_level int",
    )
    alerts = spark.createDataFrame(
        [
            ("C1", dt.date(2025, 6, 10), 4.5, "open"),
            ("C1", dt.date(2025, 6, 20), 6.0, "open"),
            ("C2", dt.date(2025, 3, 1), 9.0, "open"),  # older than 90 days: no longer open for offers
            ("C3", dt.date(2025, 7, 2), 9.0, "open"),  # after the snapshot
        ],
        "customer_id string, alert_date date, score double, status string",
    )
    got = fraud_alert_exclusions(profiles, alerts, 90)
    expected = spark.createDataFrame(
        [
            (
                snapshot,
                "C1",
                None,
                "OPEN_FRAUD_ALERT",
                "2 open fraud alert(s) in the 90 days to the snapshot, latest 2025-06-20, top score 6.0",
                1,
            )
        ],
        "snapshot_date date, customer_id string, product string, reason string, detail string, risk_level int",
    )
    assertDataFrameEqual(got, expected)
