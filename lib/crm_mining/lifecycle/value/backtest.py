"""gold.value_backtest: how well each value method predicted the H months after a past cut-off.

Every method sees only transactions on or before the cut-off; its predicted purchase days and spend
over the next 30 x H days are compared, customer by customer, with what happened. Rows per method,
penalizer, target (purchases, spend) and calibration-frequency group (``all`` and 0, 1, 2, 3-4, 5-8,
9+ repeat purchase days before the cut-off): MAE, RMSE, correlation and total bias
(predicted total / actual total - 1).
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame, Row
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)

from crm_mining import CrmMiningError
from crm_mining.config.lifecycle import BacktestSettings, ValueSettings
from crm_mining.lifecycle.value import bgnbd_feature_adder, bgnbd_scores
from crm_mining.lifecycle.value.gbt import history_shortfall, learned_predictions
from crm_mining.lifecycle.value.history import with_outcomes
from crm_mining.lifecycle.value.summaries import purchase_summaries

PREDICTION_COLUMNS = ("customer_id", "frequency", "predicted_purchases", "predicted_spend")
BACKTEST_COLUMNS = (
    "cutoff_date",
    "horizon_months",
    "method",
    "penalizer",
    "target",
    "frequency_group",
    "customers",
    "actual_total",
    "predicted_total",
    "actual_mean",
    "predicted_mean",
    "mae",
    "rmse",
    "correlation",
    "total_bias",
)


def frequency_group(frequency: Column) -> Column:
    """Calibration repeat purchase days as a group label: 0, 1, 2, 3-4, 5-8, 9+."""
    return (
        F.when(frequency <= 0, "0")
        .when(frequency == 1, "1")
        .when(frequency == 2, "2")
        .when(frequency <= 4, "3-4")
        .when(frequency <= 8, "5-8")
        .otherwise("9+")
    )


def bgnbd_predictions(
    summaries: DataFrame, settings: ValueSettings, months: int, penalizer: float
) -> DataFrame:
    """``PREDICTION_COLUMNS`` from BG/NBD + Gamma-Gamma at ``penalizer`` (undiscounted spend)."""
    scored, _ = bgnbd_scores(summaries, settings, months, 0.0, penalizer)
    return scored.select(
        "customer_id",
        F.col("frequency").cast("double").alias("frequency"),
        F.col("expected_purchases").alias("predicted_purchases"),
        (F.col("expected_purchases") * F.col("expected_avg_spend")).alias("predicted_spend"),
    )


def method_predictions(
    transactions: DataFrame,
    cutoff: dt.date,
    value: ValueSettings,
    backtest: BacktestSettings,
    profiles: DataFrame | None = None,
) -> tuple[list[tuple[str, float, DataFrame]], dict[str, str]]:
    """(method, penalizer, ``PREDICTION_COLUMNS``) for every backtested method that could be fitted from
    data up to ``cutoff`` (``profiles``: gold.customer_features for gbt, if any), and
    {"method@penalizer": why} for those that could not."""
    months = backtest.horizon_months
    summaries = purchase_summaries(transactions, cutoff).cache()
    runs, skipped = [], {}
    for penalizer in sorted({*backtest.penalizers, value.penalizer}):
        try:
            runs.append(("bgnbd", penalizer, bgnbd_predictions(summaries, value, months, penalizer)))
        except CrmMiningError as exc:  # e.g. Gamma-Gamma q <= 1 at this penalizer
            skipped[f"bgnbd@{penalizer}"] = str(exc)
    if backtest.include_gbt:
        try:
            adder = bgnbd_feature_adder(value, months, value.penalizer)
            learned, _ = learned_predictions(transactions, cutoff, months, value, adder, profiles)
            runs.append(("gbt", value.penalizer, learned.select(*PREDICTION_COLUMNS)))
        except CrmMiningError as exc:
            skipped[f"gbt@{value.penalizer}"] = str(exc)
    if not runs:
        raise CrmMiningError(f"no value method could be fitted at the backtest cut-off {cutoff}: {skipped}")
    return runs, skipped


def backtest_metrics(scored: DataFrame, cutoff: dt.date, months: int) -> DataFrame:
    """``BACKTEST_COLUMNS`` from per-customer rows: method, penalizer, frequency, predicted_purchases,
    predicted_spend, actual_purchases, actual_spend."""
    targets = F.explode(
        F.array(
            *(
                F.struct(
                    F.lit(t).alias("target"),
                    F.col(f"predicted_{t}").alias("predicted"),
                    F.col(f"actual_{t}").alias("actual"),
                )
                for t in ("purchases", "spend")
            )
        )
    )
    groups = F.explode(F.array(F.lit("all"), frequency_group(F.col("frequency"))))
    long = scored.select("method", "penalizer", targets.alias("t"), groups.alias("frequency_group")).select(
        "method", "penalizer", "frequency_group", "t.target", "t.predicted", "t.actual"
    )
    error = F.col("predicted") - F.col("actual")
    agg = long.groupBy("method", "penalizer", "target", "frequency_group").agg(
        F.count(F.lit(1)).alias("customers"),
        F.sum("actual").alias("actual_total"),
        F.sum("predicted").alias("predicted_total"),
        F.avg("actual").alias("actual_mean"),
        F.avg("predicted").alias("predicted_mean"),
        F.avg(F.abs(error)).alias("mae"),
        F.sqrt(F.avg(error * error)).alias("rmse"),
        F.covar_pop("predicted", "actual").alias("covariance"),
        F.var_pop("predicted").alias("var_predicted"),
        F.var_pop("actual").alias("var_actual"),
    )
    # Pearson correlation; null where either side does not vary (corr() would divide by 0 under ANSI).
    varies = (F.col("var_predicted") > 0) & (F.col("var_actual") > 0)
    correlation = F.when(varies, F.col("covariance") / F.sqrt(F.col("var_predicted") * F.col("var_actual")))
    return agg.select(
        F.lit(cutoff).cast("date").alias("cutoff_date"),
        F.lit(months).alias("horizon_months"),
        "method",
        F.col("penalizer").cast("double").alias("penalizer"),
        "target",
        "frequency_group",
        F.col("customers").cast("bigint").alias("customers"),
        "actual_total",
        "predicted_total",
        "actual_mean",
        "predicted_mean",
        "mae",
        "rmse",
        correlation.alias("correlation"),
        F.when(F.col("actual_total") > 0, F.col("predicted_total") / F.col("actual_total") - 1).alias(
            "total_bias"
        ),
    )


def value_backtest(
    transactions: DataFrame,
    cutoff: dt.date,
    value: ValueSettings,
    backtest: BacktestSettings,
    profiles: DataFrame | None = None,
) -> tuple[DataFrame, dict[str, str]]:
    """gold.value_backtest rows (``BACKTEST_COLUMNS``) for a cut-off whose next
    ``backtest.horizon_months`` have happened in ``transactions``, and the runs that could not be fitted.
    ``profiles``: gold.customer_features, read by the gbt method when given."""
    months = backtest.horizon_months
    stacked = None
    runs, skipped = method_predictions(transactions, cutoff, value, backtest, profiles)
    for method, penalizer, predictions in runs:
        rows = predictions.select(
            F.lit(method).alias("method"), F.lit(float(penalizer)).alias("penalizer"), *PREDICTION_COLUMNS
        )
        stacked = rows if stacked is None else stacked.unionByName(rows)
    scored = with_outcomes(stacked, transactions, cutoff, months)
    return backtest_metrics(scored, cutoff, months), skipped


def choose_method(
    rows: list[Row], target: str, methods: tuple[str, ...] = ("bgnbd", "gbt")
) -> tuple[str, float]:
    """(method, penalizer) with the lowest overall MAE of ``target`` among gold.value_backtest ``rows`` of
    ``methods`` (ties: the earlier method name, then the smaller penalizer)."""
    overall = [
        r
        for r in rows
        if r.target == target and r.frequency_group == "all" and r.mae is not None and r.method in methods
    ]
    if not overall:
        raise CrmMiningError(
            f"gold.value_backtest has no overall '{target}' rows to choose value.method from"
        )
    best = min(overall, key=lambda r: (r.mae, r.method, r.penalizer))
    return best.method, best.penalizer


def bias_shortfall(rows: list[Row], target: str, method: str, penalizer: float, max_bias: float) -> str:
    """Why ``method`` at ``penalizer`` should not be applied for its backtest total bias of ``target``
    (beyond ``max_bias`` either way), or "" if it may."""
    bias = next(
        r.total_bias
        for r in rows
        if (r.method, r.penalizer, r.target, r.frequency_group) == (method, penalizer, target, "all")
    )
    if bias is None or abs(bias) <= max_bias:
        return ""
    return (
        f"its backtest total {target} is {bias:+.1%} off what happened, beyond "
        f"backtest.auto_max_bias={max_bias:g}"
    )


def method_choice(
    value: ValueSettings,
    backtest: BacktestSettings,
    rows: list[Row] | None,
    cutoff: dt.date | None,
    as_of: dt.date,
) -> tuple[str, float | None, str]:
    """(method, penalizer or None for value.penalizer, why) for ``value.method`` at ``as_of``, from the
    gold.value_backtest ``rows`` at ``cutoff`` (None: no backtest).

    auto takes the lowest MAE of ``backtest.auto_target``, and applies gbt only where the backtest vouches
    for it (trained on at least the backtest's history, total bias within ``backtest.auto_max_bias``);
    else the best BG/NBD row. An explicit gbt is applied as configured, and ``why`` says what the backtest
    does not vouch for."""
    target = backtest.auto_target

    def gbt_shortfall() -> str:
        if rows is None or cutoff is None:
            return ""
        short = history_shortfall(as_of, value.horizon_months, cutoff, backtest.horizon_months)
        gbt = next(
            (r for r in rows if (r.method, r.target, r.frequency_group) == ("gbt", target, "all")), None
        )
        if short or gbt is None:
            return short
        return bias_shortfall(rows, target, "gbt", gbt.penalizer, backtest.auto_max_bias)

    if value.method != "auto":
        short = gbt_shortfall() if value.method == "gbt" else ""
        return value.method, None, f"value.method, although {short}" if short else "value.method"
    if rows is None:
        return "bgnbd", None, "auto without a value backtest: the reference method"
    method, penalizer = choose_method(rows, target)
    short = gbt_shortfall() if method == "gbt" else ""
    if short:
        method, penalizer = choose_method(rows, target, methods=("bgnbd",))
        return method, penalizer, f"auto: gbt had the lowest backtest {target} MAE, but {short}"
    return method, penalizer, f"auto: lowest backtest {target} MAE"
