"""Customer value: BG/NBD purchases x Gamma-Gamma spend over ``value.horizon_months``.

``customer_value(spark, transactions, as_of, settings)`` summarises transactions per customer in
Spark, fits both models on the driver from a bounded sample of those summaries (at most
``value.max_fit_customers`` rows go to the driver; raw transactions never do), then scores every
customer distributed.
"""

from __future__ import annotations

import datetime as dt
import json

from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)

from crm_mining.config.lifecycle import ValueSettings
from crm_mining.lifecycle.value.fit import fit_bgnbd, fit_gamma_gamma
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


def fit_models(summaries: DataFrame, settings: ValueSettings) -> tuple[dict, dict, int]:
    """(BG/NBD params, Gamma-Gamma params, customers fitted on) from per-customer summaries."""
    sample = fit_sample(summaries, settings, summaries.count())
    bgnbd = fit_bgnbd(sample["frequency"], sample["recency_days"], sample["t_days"], settings.penalizer)
    gamma_gamma = fit_gamma_gamma(sample["frequency"], sample["monetary"], settings.penalizer)
    return bgnbd, gamma_gamma, len(sample)


def customer_value(
    transactions: DataFrame, as_of: dt.date, settings: ValueSettings
) -> tuple[DataFrame, dict]:
    """Expected value per customer with a purchase on or before ``as_of`` (``VALUE_COLUMNS``), and a
    summary of the fit (parameters, sample size).

    ``transactions``: customer_id, txn_date, amount_base, direction (``crm_mining.inputs`` shape).
    """
    summaries = purchase_summaries(transactions, as_of).cache()
    bgnbd, gamma_gamma, fitted_on = fit_models(summaries, settings)
    params = {
        "bgnbd": bgnbd,
        "gamma_gamma": gamma_gamma,
        "fitted_on_customers": fitted_on,
        "time_unit": "day",
        "penalizer": settings.penalizer,
    }
    scored = with_customer_value(
        summaries, bgnbd, gamma_gamma, settings.horizon_months, settings.discount_rate
    )
    values = scored.select(
        "customer_id",
        F.lit(as_of).cast("date").alias("snapshot_date"),
        "frequency",
        "recency_days",
        "t_days",
        "monetary",
        "p_alive",
        "expected_purchases",
        "expected_avg_spend",
        "expected_value",
        F.lit(settings.horizon_months).alias("horizon_months"),
        F.lit(settings.method).alias("method"),
        F.lit(json.dumps(params, sort_keys=True)).alias("model_params"),
    )
    return values, params
