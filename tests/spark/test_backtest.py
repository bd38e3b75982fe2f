"""Backtests on crafted histories with hand-worked answers: the value metrics (MAE, RMSE, correlation,
total bias per frequency group), the outcome window, the stage backtest, and value.method auto on data
where the learned method is known to win."""

from __future__ import annotations

import datetime as dt
import math

from pyspark.sql import Row
from pyspark.testing import assertDataFrameEqual

from crm_mining.config import load_config
from crm_mining.lifecycle.backtest import lifecycle_backtest
from crm_mining.lifecycle.value.backtest import backtest_metrics, choose_method, value_backtest
from crm_mining.lifecycle.value.history import outcomes

CUT = dt.date(2025, 6, 30)
TXN_SCHEMA = "customer_id string, txn_date date, amount_base double, direction string"


def day(offset: int) -> dt.date:
    return CUT + dt.timedelta(days=offset)


def test_metrics_per_frequency_group_are_the_hand_worked_ones(spark):
    # Predicted purchases 1, 2, 4 against 0, 2, 6 (actual = 2 x predicted - 2: correlation 1);
    # spend predicted 10, 20, 40 against 10, 30, 40.
    scored = spark.createDataFrame(
        [
            ("bgnbd", 0.0, 0.0, 1.0, 10.0, 0.0, 10.0),
            ("bgnbd", 0.0, 1.0, 2.0, 20.0, 2.0, 30.0),
            ("bgnbd", 0.0, 12.0, 4.0, 40.0, 6.0, 40.0),
        ],
        "method string, penalizer double, frequency double, predicted_purchases double, "
        "predicted_spend double, actual_purchases double, actual_spend double",
    )
    got = backtest_metrics(scored, CUT, 6)
    # Spend: predicted 10, 20, 40 (mean 70/3), actual 10, 30, 40 (mean 80/3).
    dp = [10 - 70 / 3, 20 - 70 / 3, 40 - 70 / 3]
    da = [10 - 80 / 3, 30 - 80 / 3, 40 - 80 / 3]
    cov = sum(p * a for p, a in zip(dp, da, strict=True))
    corr = cov / math.sqrt(sum(p * p for p in dp) * sum(a * a for a in da))
    row = Row(
        "cutoff_date", "horizon_months", "method", "penalizer", "target", "frequency_group", "customers",
        "actual_total", "predicted_total", "actual_mean", "predicted_mean", "mae", "rmse", "correlation",
        "total_bias",
    )  # fmt: skip
    expected = [
        row(CUT, 6, "bgnbd", 0.0, "purchases", "all", 3, 8.0, 7.0, 8 / 3, 7 / 3, 1.0, math.sqrt(5 / 3), 1.0, -1 / 8),
        row(CUT, 6, "bgnbd", 0.0, "purchases", "0", 1, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0, None, None),
        row(CUT, 6, "bgnbd", 0.0, "purchases", "1", 1, 2.0, 2.0, 2.0, 2.0, 0.0, 0.0, None, 0.0),
        row(CUT, 6, "bgnbd", 0.0, "purchases", "9+", 1, 6.0, 4.0, 6.0, 4.0, 2.0, 2.0, None, 4 / 6 - 1),
        row(CUT, 6, "bgnbd", 0.0, "spend", "all", 3, 80.0, 70.0, 80 / 3, 70 / 3, 10 / 3, math.sqrt(100 / 3), corr, -1 / 8),
        row(CUT, 6, "bgnbd", 0.0, "spend", "0", 1, 10.0, 10.0, 10.0, 10.0, 0.0, 0.0, None, 0.0),
        row(CUT, 6, "bgnbd", 0.0, "spend", "1", 1, 30.0, 20.0, 30.0, 20.0, 10.0, 10.0, None, 20 / 30 - 1),
        row(CUT, 6, "bgnbd", 0.0, "spend", "9+", 1, 40.0, 40.0, 40.0, 40.0, 0.0, 0.0, None, 0.0),
    ]  # fmt: skip
    assertDataFrameEqual(got, spark.createDataFrame(expected, got.schema))


def test_outcomes_count_purchase_days_in_the_window_after_the_cutoff(spark):
    txns = spark.createDataFrame(
        [
            ("A", day(0), 50.0, "DEBIT"),  # on the cut-off: before the window
            ("A", day(1), 10.0, "DEBIT"),  # first day of the window
            ("A", day(1), 5.0, "DEBIT"),  # same day: one purchase day, spend 15
            ("A", day(1), 99.0, "CREDIT"),  # money in: not spend
            ("A", day(60), 20.0, "DEBIT"),  # last day of a 2-month (60-day) window
            ("A", day(61), 70.0, "DEBIT"),  # after it
            ("B", day(-5), 30.0, "DEBIT"),  # nothing in the window: no row
        ],
        TXN_SCHEMA,
    )
    got = outcomes(txns, CUT, 2)
    assertDataFrameEqual(got, spark.createDataFrame([("A", 2.0, 35.0)], got.schema))


def test_stage_backtest_per_stage_activity_past_baseline_and_churn(spark):
    stages = spark.createDataFrame(
        [
            ("A", CUT, "maturity"),
            ("B", CUT, "maturity"),
            ("C", CUT, "decline"),
            ("D", CUT, "dormant"),
            ("A", day(-30), "maturity"),  # another snapshot: ignored
        ],
        "customer_id string, snapshot_date date, stage string",
    )
    txns = spark.createDataFrame(
        [
            ("A", day(-240), 3.0, "DEBIT"),  # the 2-month baseline window's start: the lake reaches it
            ("A", day(-180), 7.0, "DEBIT"),  # its last day (6 months of trend lookback before the cut)
            ("A", day(-10), 10.0, "DEBIT"),
            ("A", day(10), 10.0, "DEBIT"),
            ("A", day(20), 30.0, "DEBIT"),
            ("B", day(-181), 4.0, "DEBIT"),
            ("B", day(-181), 9.0, "CREDIT"),  # money in: not spend
            ("B", day(-40), 20.0, "DEBIT"),
            ("B", day(40), 20.0, "DEBIT"),
            ("C", day(-179), 6.0, "DEBIT"),  # first purchase after the baseline window: no baseline
            ("C", day(-50), 5.0, "DEBIT"),
            ("C", day(-20), 5.0, "DEBIT"),
            ("C", day(-3), 5.0, "DEBIT"),
            ("C", day(30), 8.0, "DEBIT"),
            ("D", day(-200), 9.0, "DEBIT"),  # before the past window (60 days), in the baseline
        ],
        TXN_SCHEMA,
    )
    labels = spark.createDataFrame(
        [("A", CUT, 0), ("B", CUT, None), ("C", CUT, 1), ("D", CUT, 1), ("C", day(-30), 0)],
        "customer_id string, snapshot_date date, churn int",
    )
    got = lifecycle_backtest(stages, txns, labels, CUT, 2)
    expected = [
        # stage, customers, share/mean purchases/mean spend next, the same past, customers with a
        # baseline and their mean purchases/spend there, labelled, churn rate
        ("maturity", 2, 1.0, 1.5, 30.0, 1.0, 1.0, 15.0, 2, 1.0, 5.5, 1, 0.0),
        ("decline", 1, 1.0, 1.0, 8.0, 1.0, 3.0, 15.0, 0, None, None, 1, 1.0),
        ("dormant", 1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1, 1.0, 9.0, 1, 1.0),
    ]
    rows = [(CUT, 2, *r) for r in expected]
    assertDataFrameEqual(got, spark.createDataFrame(rows, got.schema))
    history_from_day_after = lifecycle_backtest(
        stages, txns.where(f"txn_date > '{day(-240)}'"), labels, CUT, 2
    )
    assert {(r.stage, r.baseline_customers) for r in history_from_day_after.collect()} == {
        ("maturity", 0),  # the lake starts inside the baseline window: nobody has one
        ("decline", 0),
        ("dormant", 0),
    }
    without_labels = lifecycle_backtest(stages, txns, None, CUT, 2)
    assert {(r.stage, r.labelled_customers, r.churn_rate) for r in without_labels.collect()} == {
        ("maturity", 0, None),
        ("decline", 0, None),
        ("dormant", 0, None),
    }


def test_choose_method_takes_the_lowest_overall_mae_of_the_target():
    rows = [
        Row(method="bgnbd", penalizer=0.0, target="purchases", frequency_group="all", mae=1.0),
        Row(method="bgnbd", penalizer=0.01, target="purchases", frequency_group="all", mae=0.9),
        Row(method="gbt", penalizer=0.0, target="purchases", frequency_group="all", mae=0.95),
        Row(method="gbt", penalizer=0.0, target="purchases", frequency_group="9+", mae=0.1),
        Row(method="gbt", penalizer=0.0, target="spend", frequency_group="all", mae=5.0),
        Row(method="bgnbd", penalizer=0.0, target="spend", frequency_group="all", mae=6.0),
    ]
    assert choose_method(rows, "purchases") == ("bgnbd", 0.01)
    assert choose_method(rows, "spend") == ("gbt", 0.0)


def fixed_lifetime_history(customers: int) -> list[tuple]:
    """Every customer buys every 5 days for exactly 100 days from a first purchase spread over 300
    days, then never again: the remaining purchases follow from the customer's age, which the learned
    method can read and BG/NBD (a constant rate until an unseen dropout) cannot."""
    rows = []
    for i in range(customers):
        first = CUT - dt.timedelta(days=390) + dt.timedelta(days=(i * 300) // customers)
        for k in range(20):
            rows.append((f"C{i:03d}", first + dt.timedelta(days=5 * k), 10.0 + i % 7, "DEBIT"))
    return rows


def small_backtest_config(*extra: str):
    """A 2-month backtest at one penalizer with few small trees, for a few hundred crafted customers; with
    every tree shrunk, 10 trees at 0.3 reach 97% of a signal (at the default 0.1, 65%)."""
    return load_config(
        overrides=[
            "backtest.horizon_months=2",
            "backtest.offset_months=2",
            "backtest.penalizers=[0.0]",
            "value.gbt_min_instances_per_node=5",
            "value.gbt_max_iter=10",
            "value.gbt_step_size=0.3",
            "value.gbt_max_depth=3",
            *extra,
        ]
    )


def test_auto_picks_the_learned_method_where_it_is_known_to_win(spark):
    txns = spark.createDataFrame(fixed_lifetime_history(240), TXN_SCHEMA)
    config = small_backtest_config()
    rows, skipped = value_backtest(txns, CUT, config.value, config.backtest)
    overall = {
        (r.method, r.target): r for r in rows.where("frequency_group = 'all'").collect()
    }  # 2 methods x 2 targets
    assert skipped == {}
    learned, reference = overall[("gbt", "purchases")], overall[("bgnbd", "purchases")]
    assert learned.customers == reference.customers == 240
    print(f"\nMAE gbt {learned.mae:.3f} bgnbd {reference.mae:.3f}; bias {learned.total_bias:+.3f}")
    assert learned.mae < 0.1 * reference.mae
    assert choose_method(rows.collect(), "purchases") == ("gbt", 0.0)


def leavers_flagged_in_the_profile(customers: int) -> tuple[list[tuple], list[tuple]]:
    """Everyone buys on the same days, every 3 days from 400 days before the cut-off. A third leave after the training cut-off
    (60 days earlier) and another third right after the cut-off; the profile's closed_account_count is 1
    from the snapshot before each one leaves. Their history gives no warning, their profile does."""
    earlier, snapshots = CUT - dt.timedelta(days=60), (dt.date(2025, 4, 30), CUT)
    rows, profile = [], []
    for i in range(customers):
        last = {0: earlier, 1: CUT}.get(i % 3, CUT + dt.timedelta(days=60))
        rows += [
            (f"C{i:03d}", d, 20.0, "DEBIT")
            for d in (CUT - dt.timedelta(days=400 - 3 * k) for k in range(154))
            if d <= last
        ]
        for snapshot in snapshots:
            leaving = i % 3 == 0 or (i % 3 == 1 and snapshot == CUT)
            profile.append((f"C{i:03d}", snapshot, int(leaving), "north"))
    return rows, profile


def test_the_learned_method_reads_the_profile_where_history_gives_no_warning(spark):
    history, profile = leavers_flagged_in_the_profile(120)
    txns = spark.createDataFrame(history, TXN_SCHEMA)
    profiles = spark.createDataFrame(
        profile, "customer_id string, snapshot_date date, closed_account_count int, region string"
    )
    config = small_backtest_config(
        "value.gbt_customer_features=[closed_account_count, region, not_in_the_table]"
    )
    with_profile, _ = value_backtest(txns, CUT, config.value, config.backtest, profiles)
    without, _ = value_backtest(txns, CUT, config.value, config.backtest)
    mae = {
        (label, r.method): r.mae
        for label, rows in (("profile", with_profile), ("history", without))
        for r in rows.where("frequency_group = 'all' AND target = 'purchases'").collect()
    }
    print(f"\nMAE {mae}")
    # The leavers make up a third: BG/NBD and history-only trees expect them to go on buying.
    assert mae[("profile", "gbt")] < 0.2 * mae[("profile", "bgnbd")]
    assert mae[("history", "gbt")] > 0.5 * mae[("history", "bgnbd")]


def test_profile_columns_are_the_configured_numbers_at_a_snapshot_near_each_cutoff(spark):
    from crm_mining.lifecycle.value.gbt import profile_columns, with_profile

    _, profile = leavers_flagged_in_the_profile(3)
    profiles = spark.createDataFrame(
        profile, "customer_id string, snapshot_date date, closed_account_count int, region string"
    )
    config = load_config(overrides=["value.gbt_customer_features=[closed_account_count, region, absent]"])
    columns, snapshots, _ = profile_columns(profiles, config.value, (CUT - dt.timedelta(days=60), CUT))
    assert (columns, snapshots) == (["closed_account_count"], [dt.date(2025, 4, 30), CUT])
    assert profile_columns(profiles, config.value, (CUT + dt.timedelta(days=40),))[0] == []
    assert profile_columns(None, config.value, (CUT,))[2] == "no gold.customer_features"
    features = spark.createDataFrame(
        [("C000", 1.0), ("C001", 2.0), ("X", 3.0)], "customer_id string, f double"
    )
    got = with_profile(features, profiles, CUT, columns)
    expected = [("C000", 1.0, 1.0), ("C001", 2.0, 1.0), ("X", 3.0, -1.0)]
    assertDataFrameEqual(
        got,
        spark.createDataFrame(expected, "customer_id string, f double, profile_closed_account_count double"),
    )
