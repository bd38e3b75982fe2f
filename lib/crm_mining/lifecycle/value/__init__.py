"""Customer value over ``value.horizon_months``, by one of two methods (``value.method``):

- ``bgnbd``: BG/NBD purchases x Gamma-Gamma spend. Summaries per customer in Spark; both models fitted
  on the driver from a bounded sample of those summaries (at most ``value.max_fit_customers`` rows go to
  the driver; raw transactions never do); every customer scored distributed.
- ``gbt``: the BG/NBD prediction times a ratio that MLlib gradient-boosted trees learn from the previous
  horizon (own history and trends, the BG/NBD fit, the customer's profile), see ``gbt.py``.

``auto`` (resolved by the caller from ``gold.value_backtest``) picks the method with the lower
backtest MAE; the ``method`` column names the method that produced the row.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)

from crm_mining.config.lifecycle import ValueSettings
from crm_mining.lifecycle.value.fit import fit_bgnbd, fit_gamma_gamma
from crm_mining.lifecycle.value.gbt import learned_predictions
from crm_mining.lifecycle.value.score import with_customer_value
from crm_mining.lifecycle.value.summaries import purchase_summaries

VALUE_COLUMNS = (
    "customer_id",
    "snapshot_date",
    "frequency",
    "recency_days",
    "t_days",
    "monetary",
    "p_alive",
    "expected_purchases",
    "expected_avg_spend",
    "expected_value",
    "horizon_months",
    "method",
    "model_params",
)


def fit_sample(summaries: DataFrame, settings: ValueSettings, total: int):
    """The summaries the fit sees, as pandas: all of them, or a sample of at most max_fit_customers
    stratified on repeat / no repeat (equal fractions keep the two groups' shares)."""
    columns = ["frequency", "recency_days", "t_days", "monetary"]
    if total <= settings.max_fit_customers:
        return summaries.select(*columns).toPandas()  # bounded: total <= value.max_fit_customers
    fraction = min(1.0, 1.05 * settings.max_fit_customers / total)
    stratified = summaries.withColumn("repeat", (F.col("frequency") > 0).cast("int")).sampleBy(
        "repeat", {0: fraction, 1: fraction}, seed=settings.seed
    )
    return stratified.select(*columns).limit(settings.max_fit_customers).toPandas()  # bounded by config


def fit_models(
    summaries: DataFrame, settings: ValueSettings, penalizer: float | None = None
) -> tuple[dict, dict, int]:
    """(BG/NBD params, Gamma-Gamma params, customers fitted on) from per-customer summaries;
    ``penalizer`` overrides ``value.penalizer`` (the backtest tries several)."""
    penalty = settings.penalizer if penalizer is None else penalizer
    sample = fit_sample(summaries, settings, summaries.count())
    bgnbd = fit_bgnbd(sample["frequency"], sample["recency_days"], sample["t_days"], penalty)
    gamma_gamma = fit_gamma_gamma(sample["frequency"], sample["monetary"], penalty)
    return bgnbd, gamma_gamma, len(sample)


def bgnbd_scores(
    summaries: DataFrame, settings: ValueSettings, months: int, discount_rate: float, penalizer: float | None
) -> tuple[DataFrame, dict]:
    """Fit BG/NBD + Gamma-Gamma on ``summaries`` and score them over ``months``: the summaries plus
    p_alive, expected_purchases, expected_avg_spend, expected_value; and the fit summary."""
    bgnbd, gamma_gamma, fitted_on = fit_models(summaries, settings, penalizer)
    params = {
        "bgnbd": bgnbd,
        "gamma_gamma": gamma_gamma,
        "fitted_on_customers": fitted_on,
        "time_unit": "day",
        "penalizer": settings.penalizer if penalizer is None else penalizer,
    }
    return with_customer_value(summaries, bgnbd, gamma_gamma, months, discount_rate), params


def bgnbd_feature_adder(settings: ValueSettings, months: int, penalizer: float | None) -> Callable:
    """features, cutoff -> features plus bgnbd_purchases, bgnbd_avg_spend (Gamma-Gamma) and p_alive
    (BG/NBD + Gamma-Gamma fitted on those features)."""

    def add(features: DataFrame, cutoff: dt.date) -> DataFrame:
        scored, _ = bgnbd_scores(features, settings, months, 0.0, penalizer)
        return scored.select(
            *features.columns,
            F.col("expected_purchases").alias("bgnbd_purchases"),
            F.col("expected_avg_spend").alias("bgnbd_avg_spend"),
            "p_alive",
        )

    return add


def discount_factor(months: int, annual_rate: float) -> float:
    """Mean of 1 / (1 + monthly rate)^i over months i = 1..months: spend spread evenly, discounted."""
    monthly = (1 + annual_rate) ** (1 / 12) - 1
    return sum(1 / (1 + monthly) ** i for i in range(1, months + 1)) / months


def value_rows(scored: DataFrame, as_of: dt.date, settings: ValueSettings, method: str, params: dict):
    """``VALUE_COLUMNS`` from scored rows (summaries + p_alive and the expected_* columns)."""
    return scored.select(
        "customer_id",
        F.lit(as_of).cast("date").alias("snapshot_date"),
        F.col("frequency").cast("int").alias("frequency"),
        "recency_days",
        "t_days",
        "monetary",
        "p_alive",
        "expected_purchases",
        "expected_avg_spend",
        "expected_value",
        F.lit(settings.horizon_months).alias("horizon_months"),
        F.lit(method).alias("method"),
        F.lit(json.dumps(params, sort_keys=True)).alias("model_params"),
    )


def customer_value(
    transactions: DataFrame,
    as_of: dt.date,
    settings: ValueSettings,
    method: str = "bgnbd",
    penalizer: float | None = None,
    profiles: DataFrame | None = None,
) -> tuple[DataFrame, dict]:
    """Expected value per customer with a purchase on or before ``as_of`` (``VALUE_COLUMNS``) by
    ``method`` (bgnbd or gbt; ``penalizer`` overrides ``value.penalizer``; gbt also reads ``profiles``,
    gold.customer_features, when given), and a summary of the fit.

    ``transactions``: customer_id, txn_date, amount_base, direction (``crm_mining.inputs`` shape).
    """
    months = settings.horizon_months
    if method == "bgnbd":
        summaries = purchase_summaries(transactions, as_of).cache()
        scored, params = bgnbd_scores(summaries, settings, months, settings.discount_rate, penalizer)
        return value_rows(scored, as_of, settings, "bgnbd", params), params
    adder = bgnbd_feature_adder(settings, months, penalizer)
    predicted, params = learned_predictions(transactions, as_of, months, settings, adder, profiles)
    factor = discount_factor(months, settings.discount_rate)
    params = {**params, "penalizer": settings.penalizer if penalizer is None else penalizer}
    scored = predicted.select(
        "customer_id",
        "frequency",
        "recency_days",
        "t_days",
        "monetary",
        "p_alive",
        F.col("predicted_purchases").alias("expected_purchases"),
        F.when(
            F.col("predicted_purchases") > 0, F.col("predicted_spend") / F.col("predicted_purchases")
        ).alias("expected_avg_spend"),
        (F.col("predicted_spend") * F.lit(factor)).alias("expected_value"),
    )
    return value_rows(scored, as_of, settings, "gbt", params), params
