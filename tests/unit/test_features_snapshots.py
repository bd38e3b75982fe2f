"""Snapshot dates: explicit, or the last N complete month ends in the data (no Spark)."""

from __future__ import annotations

import datetime as dt

import pytest

from crm_mining import CrmMiningError
from crm_mining.config import load_config
from crm_mining.features.snapshots import snapshot_dates

D = dt.date


def settings(*overrides):
    return load_config(overrides=list(overrides)).features


def test_last_month_ends_skip_a_partial_last_month():
    got = snapshot_dates(settings("features.snapshot_count=3"), D(2024, 1, 3), D(2025, 3, 15))
    assert got == [D(2024, 12, 31), D(2025, 1, 31), D(2025, 2, 28)]


def test_a_last_day_on_a_month_end_counts_and_the_data_start_bounds_the_list():
    got = snapshot_dates(settings("features.snapshot_count=12"), D(2025, 1, 20), D(2025, 3, 31))
    assert got == [D(2025, 1, 31), D(2025, 2, 28), D(2025, 3, 31)]


def test_explicit_dates_win_sorted_and_deduplicated():
    got = snapshot_dates(settings("features.snapshot_dates=[2025-06-30, 2025-03-31, 2025-06-30]"), None, None)
    assert got == [D(2025, 3, 31), D(2025, 6, 30)]


def test_no_data_and_no_dates_is_a_clear_error():
    with pytest.raises(CrmMiningError, match="features.snapshot_dates"):
        snapshot_dates(settings(), None, None)
    with pytest.raises(CrmMiningError, match="no complete month"):
        snapshot_dates(settings(), D(2025, 3, 2), D(2025, 3, 20))
