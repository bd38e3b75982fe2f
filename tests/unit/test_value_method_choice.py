"""Which value method applies: auto keeps gbt only where its backtest vouches for it (enough history, total
bias within backtest.auto_max_bias); an explicit gbt applies and says what the backtest does not vouch
for. The rows are CDNOW's 6x6 backtest (scripts/results/value_cdnow_6x6.md), where gbt's MAE was 0.7%
lower with +7.4% bias."""

from __future__ import annotations

import dataclasses
import datetime as dt

from pyspark.sql import Row

from crm_mining.lifecycle.value.backtest import bias_shortfall, choose_method, method_choice


def backtest_rows(gbt_bias: float) -> list[Row]:
    def row(method, penalizer, target, group, mae, bias):
        return Row(
            method=method, penalizer=penalizer, target=target, frequency_group=group, mae=mae, total_bias=bias
        )

    return [
        row("bgnbd", 0.0, "purchases", "all", 0.540, -0.029),
        row("bgnbd", 0.001, "purchases", "all", 0.544, 0.012),
        row("gbt", 0.0, "purchases", "all", 0.536, gbt_bias),
        row("gbt", 0.0, "purchases", "1", 0.3, 0.9),  # a group's bias is not the total's
        row("gbt", 0.0, "spend", "all", 23.3, 0.0),
    ]


def test_a_biased_winner_is_named_with_its_bias_and_the_setting():
    rows = backtest_rows(0.074)
    assert choose_method(rows, "purchases") == ("gbt", 0.0)
    assert bias_shortfall(rows, "purchases", "gbt", 0.0, 0.05) == (
        "its backtest total purchases is +7.4% off what happened, beyond backtest.auto_max_bias=0.05"
    )


def test_a_winner_within_the_bound_either_way_is_kept():
    for bias in (0.05, -0.05, 0.0, -0.049):
        assert bias_shortfall(backtest_rows(bias), "purchases", "gbt", 0.0, 0.05) == "", bias
    assert bias_shortfall(backtest_rows(-0.051), "purchases", "gbt", 0.0, 0.05) != ""
    assert bias_shortfall(backtest_rows(0.074), "purchases", "gbt", 0.0, 0.1) == ""


def settings(method: str):
    from crm_mining.config import load_config

    config = load_config(overrides=[f"value.method={method}"])
    return config.value, config.backtest


ONE_YEAR_BOOK = {"as_of": dt.date(2017, 12, 31), "cutoff": dt.date(2017, 9, 30)}  # value over 12 months
TWO_YEAR_BOOK = {"as_of": dt.date(2026, 10, 31), "cutoff": dt.date(2026, 4, 30)}


def test_auto_applies_the_lowest_mae_where_the_backtest_vouches_for_it():
    value, backtest = settings("auto")
    backtest = dataclasses.replace(backtest, horizon_months=6)
    assert method_choice(value, backtest, backtest_rows(0.02), **TWO_YEAR_BOOK) == (
        "gbt",
        0.0,
        "auto: lowest backtest purchases MAE",
    )
    method, penalizer, why = method_choice(value, backtest, backtest_rows(0.074), **TWO_YEAR_BOOK)
    assert (method, penalizer) == ("bgnbd", 0.0)  # the best BG/NBD row
    assert why.endswith("+7.4% off what happened, beyond backtest.auto_max_bias=0.05")
    assert method_choice(value, backtest, None, None, TWO_YEAR_BOOK["as_of"]) == (
        "bgnbd",
        None,
        "auto without a value backtest: the reference method",
    )


def test_an_explicit_gbt_is_applied_and_says_what_the_backtest_does_not_vouch_for():
    value, backtest = settings("gbt")
    backtest = dataclasses.replace(backtest, horizon_months=3)
    method, penalizer, why = method_choice(value, backtest, backtest_rows(0.02), **ONE_YEAR_BOOK)
    assert (method, penalizer) == ("gbt", None)
    assert why.startswith("value.method, although over value.horizon_months=12 it would train at 2017-01-05")
    backtest = dataclasses.replace(backtest, horizon_months=6)
    method, _, why = method_choice(value, backtest, backtest_rows(-0.09), **TWO_YEAR_BOOK)
    assert (method, why) == (
        "gbt",
        "value.method, although its backtest total purchases is -9.0% off what happened, beyond "
        "backtest.auto_max_bias=0.05",
    )
    assert method_choice(value, backtest, backtest_rows(0.02), **TWO_YEAR_BOOK)[2] == "value.method"
    assert method_choice(value, backtest, None, None, TWO_YEAR_BOOK["as_of"])[2] == "value.method"
