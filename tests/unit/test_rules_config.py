"""Rules settings, the support-count threshold and the band labels (no Spark)."""

from __future__ import annotations

import pytest

from crm_mining.config import ConfigError, load_config
from crm_mining.rules.mining import min_count, partitions_for


@pytest.mark.parametrize(
    ("support", "baskets", "count"),
    [(0.3, 10, 3), (0.1, 20, 2), (0.25, 20, 5), (0.07, 100, 7), (0.001, 10, 1), (1.0, 7, 7), (0.5, 3, 2)],
)
def test_min_count_is_the_smallest_count_reaching_the_support(support, baskets, count):
    # 0.3 x 10 and 0.07 x 100 round up in floating point; the threshold must still be 3 and 7.
    assert min_count(support, baskets) == count


def test_partitions_follow_the_basket_count():
    assert [partitions_for(n, 250_000) for n in (1, 250_000, 250_001, 10_000_000)] == [1, 1, 2, 40]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("rules.risk.level_min_dpd=[0, 30, 10, 90]", "'rules.risk.level_min_dpd' must be 4 increasing"),
        ("rules.offers.age_limits={CC: [80, 18]}", "'rules.offers.age_limits.CC' must be [min age, max age]"),
        ("rules.coverage_targets_pct={PL: 170}", "'rules.coverage_targets_pct.PL' must be 0-100"),
        ("rules.input.source=csv", "'rules.input.location' is required"),
        ("rules.input.columns={product: x}", "unknown logical column 'rules.input.columns.product'"),
        ("rules.min_support=0", "'rules.min_support' = 0.0 is out of range"),
    ],
)
def test_bad_rules_settings_name_the_key(override, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("(", r"\(")):
        load_config(overrides=[override])


def test_the_evaluation_snapshot_is_the_latest_with_its_horizon_inside_the_data():
    import datetime as dt

    from crm_mining.rules.run import evaluation_snapshot, month_end_after

    # 12 month-end snapshots, Jan .. Dec 2026: a 6-month horizon fits from 2026-06-30 back.
    present = [dt.date(2026, m + 1, 1) - dt.timedelta(days=1) for m in range(1, 12)] + [dt.date(2026, 12, 31)]
    settings = load_config(overrides=["rules.offers.evaluation_horizon_months=6"]).rules
    assert evaluation_snapshot(present, settings) == dt.date(2026, 6, 30)
    assert month_end_after(dt.date(2026, 2, 28), 6) == dt.date(2026, 8, 31)
    too_long = load_config(overrides=["rules.offers.evaluation_horizon_months=12"]).rules
    assert evaluation_snapshot(present, too_long) is None
