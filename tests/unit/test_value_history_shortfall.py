"""auto keeps gbt only where its backtest vouches for it: a training cut-off with at least the history
the backtest trained on."""

from __future__ import annotations

import datetime as dt

from crm_mining.lifecycle.value.gbt import history_shortfall


def test_the_defaults_on_a_two_year_book_keep_the_backtest_verdict():
    # value over 12 months trains at as_of - 360 days; the backtest (cut-off 6 month ends back, 6 months
    # ahead) trained 361-364 days back, whatever the months' lengths
    for as_of, cutoff in (
        (dt.date(2026, 10, 31), dt.date(2026, 4, 30)),
        (dt.date(2026, 3, 31), dt.date(2025, 9, 30)),
        (dt.date(2025, 2, 28), dt.date(2024, 8, 31)),
        (dt.date(2024, 12, 31), dt.date(2024, 6, 30)),
    ):
        assert history_shortfall(as_of, 12, cutoff, 6) == "", as_of


def test_a_one_year_book_backtested_over_3_months_cannot_vouch_for_12():
    why = history_shortfall(dt.date(2017, 12, 31), 12, dt.date(2017, 9, 30), 3)
    assert why == (
        "over value.horizon_months=12 it would train at 2017-01-05, on less history than at the backtest's "
        "training cut-off 2017-07-02 (value.horizon_months <= 6 would keep it)"
    )


def test_the_longest_horizon_it_names_is_the_last_one_that_passes():
    as_of, cutoff = dt.date(2017, 12, 31), dt.date(2017, 9, 30)
    assert history_shortfall(as_of, 6, cutoff, 3) == ""
    assert history_shortfall(as_of, 7, cutoff, 3) != ""
