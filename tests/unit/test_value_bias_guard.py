"""auto keeps gbt only if its backtest total is unbiased within backtest.auto_max_bias: the figures are
CDNOW's 6x6 backtest (scripts/results/value_cdnow_6x6.md), where gbt's MAE was 0.7% lower with +7.4% bias."""

from __future__ import annotations

from pyspark.sql import Row

from crm_mining.lifecycle.value.backtest import bias_shortfall, choose_method


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
