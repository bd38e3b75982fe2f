"""Lifecycle stage rules on tiny crafted feature rows: one case per stage, per rule detail and per
reactivation step."""

from __future__ import annotations

import datetime as dt

from pyspark.testing import assertDataFrameEqual

from crm_mining.config import load_config
from crm_mining.lifecycle.stages import with_lifecycle_stage
from helpers.lifecycle_rows import FEATURES_SCHEMA, JUNE, feature_row


def stages_of(
    spark, rows: list[dict], settings=None, prior=None
) -> dict[tuple[str, dt.date], tuple[str, str]]:
    settings = settings or load_config().lifecycle
    features = spark.createDataFrame([tuple(r.values()) for r in rows], FEATURES_SCHEMA)
    staged = with_lifecycle_stage(features, settings, prior).collect()  # a handful of crafted rows
    return {(r.customer_id, r.snapshot_date): (r.stage, r.rule) for r in staged}


def test_one_customer_per_stage_and_the_rule_that_fired(spark):
    rows = [
        feature_row("exit", all_accounts_closed=True, recency_days=200, tenure_months=2),
        feature_row("dormant", recency_days=120, tenure_months=2),
        feature_row("never_transacted", recency_days=None, tenure_months=5, txn_count_90d=0),
        feature_row("acquisition", tenure_months=2, spend_trend=0.2),
        feature_row(
            "decline_spend",
            spend_trend=0.5,
            balance_trend=None,
            balance_3m_avg=None,
            balance_prev_3m_avg=None,
        ),
        feature_row("decline_balance", balance_trend=0.4),
        feature_row("build_up", tenure_months=10, product_count=1),
        feature_row("still_growing", tenure_months=30, product_count=2, spend_trend=1.3),
        feature_row("maturity", tenure_months=30, product_count=2, spend_trend=1.1),
    ]
    settings = load_config(overrides=["lifecycle.maturity_min_products=3"]).lifecycle
    got = stages_of(spark, rows, settings)
    expected = {
        "exit": ("exit", "exit: all_accounts_closed"),
        "dormant": ("dormant", "dormant: no transaction for >= 90 days"),
        "never_transacted": ("dormant", "dormant: no transaction for >= 90 days"),
        "acquisition": ("acquisition", "acquisition: tenure_months <= 3"),
        "decline_spend": ("decline", "decline: balance_trend (spend_trend if no balance) < 0.6"),
        "decline_balance": ("decline", "decline: balance_trend (spend_trend if no balance) < 0.6"),
        "build_up": ("build_up", "build_up: tenure_months <= 24"),
        "still_growing": ("build_up", "build_up: still growing (spend_trend >= 1.15, product_count < 3)"),
        "maturity": ("maturity", "maturity: tenure_months > 24"),
    }
    assert {c: got[(c, JUNE)] for c in expected} == expected


def test_thresholds_come_from_config(spark):
    settings = load_config(
        overrides=[
            "lifecycle.decline_signal=spend",
            "lifecycle.dormant_inactive_days=150",
            "lifecycle.acquisition_max_tenure_months=1",
            "lifecycle.build_up_max_tenure_months=12",
        ]
    ).lifecycle
    rows = [
        feature_row("balance_only", balance_trend=0.4),
        feature_row("quiet_120_days", recency_days=120),
        feature_row("tenure_2", tenure_months=2),
        feature_row("tenure_13", tenure_months=13, product_count=5),
        feature_row("new_silent", recency_days=None, tenure_months=1, txn_count_90d=0),
    ]
    got = {c: stage for (c, _), (stage, _) in stages_of(spark, rows, settings).items()}
    assert got == {
        "balance_only": "maturity",
        "quiet_120_days": "maturity",
        "tenure_2": "build_up",
        "tenure_13": "maturity",
        "new_silent": "acquisition",
    }


def test_defaults_decline_on_balance_and_spend_only_without_balances(spark):
    rows = [
        feature_row("noisy_spend", spend_trend=0.5),
        feature_row("growing", tenure_months=30, product_count=2, spend_trend=1.3),
        feature_row(
            "computed",
            spend_trend=None,
            spend_3m=500.0,
            spend_prev_3m=1000.0,
            balance_trend=None,
            balance_3m_avg=None,
            balance_prev_3m_avg=None,
        ),
        feature_row(
            "no_base",
            spend_trend=None,
            spend_3m=500.0,
            spend_prev_3m=0.0,
            balance_trend=None,
            balance_3m_avg=None,
            balance_prev_3m_avg=None,
        ),
    ]
    got = stages_of(spark, rows)
    assert got[("noisy_spend", JUNE)][0] == "maturity"
    assert got[("growing", JUNE)][0] == "maturity"
    assert got[("computed", JUNE)][0] == "decline"
    assert got[("no_base", JUNE)][0] == "maturity"


MONTH_ENDS = [
    dt.date(2025, 1, 31),
    dt.date(2025, 2, 28),
    dt.date(2025, 3, 31),
    dt.date(2025, 4, 30),
    dt.date(2025, 5, 31),
    dt.date(2025, 6, 30),
    dt.date(2025, 7, 31),
]
# Dormant for two month ends, active again from March: reactivated for 3 month ends, then normal rules.
RECENCY = [100, 130, 10, 5, 8, 4, 2]
EXPECTED = ["dormant", "dormant", "reactivated", "reactivated", "reactivated", "maturity", "maturity"]


def test_reactivated_lasts_three_month_ends_after_dormancy(spark):
    rows = [feature_row("R", d, recency_days=r) for d, r in zip(MONTH_ENDS, RECENCY, strict=True)]
    rows += [feature_row("steady", d) for d in MONTH_ENDS]
    got = stages_of(spark, rows)
    assert [got[("R", d)][0] for d in MONTH_ENDS] == EXPECTED
    assert {got[("steady", d)][0] for d in MONTH_ENDS} == {"maturity"}


def test_earlier_dormancy_is_read_from_prior_stages(spark):
    prior = spark.createDataFrame(
        [("R", MONTH_ENDS[0], "dormant"), ("R", MONTH_ENDS[1], "dormant")],
        "customer_id string, snapshot_date date, stage string",
    )
    batch = [feature_row("R", d, recency_days=r) for d, r in zip(MONTH_ENDS[2:], RECENCY[2:], strict=True)]
    got = stages_of(spark, batch, prior=prior)
    assert [got[("R", d)][0] for d in MONTH_ENDS[2:]] == EXPECTED[2:]
    # Without the prior stages the batch alone shows no dormancy.
    alone = stages_of(spark, batch)
    assert {alone[("R", d)][0] for d in MONTH_ENDS[2:]} == {"maturity"}


def test_exit_and_a_short_gap_do_not_count_as_reactivation(spark):
    rows = [
        feature_row("E", MONTH_ENDS[0], recency_days=100),
        feature_row("E", MONTH_ENDS[1], all_accounts_closed=True, recency_days=130),
        feature_row("G", MONTH_ENDS[0], recency_days=60),
        feature_row("G", MONTH_ENDS[1], recency_days=3),
    ]
    got = stages_of(spark, rows)
    assert [got[("E", d)][0] for d in MONTH_ENDS[:2]] == ["dormant", "exit"]
    assert [got[("G", d)][0] for d in MONTH_ENDS[:2]] == ["maturity", "maturity"]


def test_output_schema_keeps_the_evidence(spark):
    features = spark.createDataFrame([tuple(feature_row("A").values())], FEATURES_SCHEMA)
    staged = with_lifecycle_stage(features, load_config().lifecycle)
    expected = spark.createDataFrame(
        [
            (
                "A",
                JUNE,
                "maturity",
                "maturity: tenure_months > 24",
                40,
                4,
                4,
                3,
                30,
                3000.0,
                3000.0,
                1.0,
                1.0,
                False,
                None,
                None,
            )
        ],
        "customer_id string, snapshot_date date, stage string, rule string, tenure_months int, product_count int, "
        "active_product_count int, recency_days int, txn_count_90d bigint, spend_3m double, spend_prev_3m double, "
        "spend_trend double, balance_trend double, all_accounts_closed boolean, last_dormant_date date, "
        "active_since date",
    )
    assertDataFrameEqual(staged, expected)


def transactions_only(customer_id: str, **changes) -> dict:
    """A customer of a transactions-only book: no accounts (closures unknown), no balances."""
    unknown = {
        "product_count": None,
        "active_product_count": None,
        "balance_3m_avg": None,
        "balance_prev_3m_avg": None,
        "balance_trend": None,
        "all_accounts_closed": None,
    }
    return feature_row(customer_id, **{**unknown, **changes})


def test_transactions_only_young_book_reaches_every_stage(spark):
    """18 months of history: tenure bands come from the book's quantiles, exit from a year's silence.

    Tenures (22 customers) sorted: 0..9, 10, 10, 10, 11, 12, 12, 12, 13..17; percentile_approx gives
    the 10% quantile 2 (the 3rd value) and the median 10 (the 11th)."""
    rows = [transactions_only(f"T{t:02d}", tenure_months=t) for t in range(18)]
    rows += [
        transactions_only("gone", tenure_months=10, recency_days=400),
        transactions_only("quiet", tenure_months=10, recency_days=120),
        transactions_only("dipping", tenure_months=12, spend_trend=0.5),
        transactions_only("back", tenure_months=12),
    ]
    prior = spark.createDataFrame(
        [("back", dt.date(2025, 5, 31), "dormant")], "customer_id string, snapshot_date date, stage string"
    )
    got = stages_of(spark, rows, prior=prior)
    assert {stage for stage, _ in got.values()} == {
        "acquisition",
        "build_up",
        "maturity",
        "decline",
        "exit",
        "dormant",
        "reactivated",
    }
    expected = {
        "T02": ("acquisition", "acquisition: tenure_months <= 2 (book quantile 0.1)"),
        "T03": ("build_up", "build_up: tenure_months <= 10 (book quantile 0.5)"),
        "T10": ("build_up", "build_up: tenure_months <= 10 (book quantile 0.5)"),
        "T11": ("maturity", "maturity: tenure_months > 10 (book quantile 0.5)"),
        "gone": ("exit", "exit (inferred, account closures unknown): no transaction for >= 365 days"),
        "quiet": ("dormant", "dormant: no transaction for >= 90 days"),
        "dipping": ("decline", "decline: balance_trend (spend_trend if no balance) < 0.6"),
        "back": ("reactivated", "reactivated: active again after dormancy, < 3 months"),
    }
    assert {c: got[(c, JUNE)] for c in expected} == expected
    # Fixed bands on the same book: nobody is past 24 months, so maturity cannot occur.
    fixed = load_config(overrides=["lifecycle.tenure_bands=fixed"]).lifecycle
    assert "maturity" not in {stage for stage, _ in stages_of(spark, rows, fixed, prior).values()}


def test_transactions_only_exit_from_a_dormancy_whose_p_alive_has_fallen(spark):
    """BG/NBD P(alive) (lifecycle.value.alive) brings an inferred exit forward from a year's silence to the
    dormancy period, only where closures are unknown and only for a customer already silent."""
    rows = [
        transactions_only("faded", tenure_months=30, recency_days=120, p_alive=0.04),
        transactions_only("quiet", tenure_months=30, recency_days=120, p_alive=0.6),
        transactions_only("unfitted", tenure_months=30, recency_days=120, p_alive=None),
        transactions_only("busy", tenure_months=30, recency_days=10, p_alive=0.04),
        transactions_only("gone", tenure_months=30, recency_days=400, p_alive=0.9),
        feature_row("closures_known", recency_days=120, p_alive=0.04),
    ]
    features = spark.createDataFrame([tuple(r.values()) for r in rows], FEATURES_SCHEMA + ", p_alive double")
    got = {
        r.customer_id: (r.stage, r.rule)
        for r in with_lifecycle_stage(features, load_config().lifecycle).collect()
    }
    by_p_alive = (
        "exit (inferred, account closures unknown): no transaction for >= 90 days and BG/NBD P(alive) < 0.1"
    )
    assert got["faded"] == ("exit", by_p_alive)
    assert (
        got["quiet"]
        == got["unfitted"]
        == got["closures_known"]
        == (
            "dormant",
            "dormant: no transaction for >= 90 days",
        )
    )
    assert got["busy"][0] == "maturity"
    assert got["gone"] == (
        "exit",
        "exit (inferred, account closures unknown): no transaction for >= 365 days",
    )
    off = load_config(overrides=["lifecycle.exit_p_alive_below=0"]).lifecycle
    assert {r.customer_id: r.stage for r in with_lifecycle_stage(features, off).collect()}[
        "faded"
    ] == "dormant"
