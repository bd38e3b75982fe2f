"""Customer value: BG/NBD + Gamma-Gamma on data simulated from known parameters, checked against the
held-out period and against the single-node reference library lifetimes 0.11.3."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data

from crm_mining.config import load_config
from crm_mining.lifecycle.value import customer_value
from crm_mining.lifecycle.value.alive import p_alive_by_snapshot
from crm_mining.lifecycle.value.summaries import purchase_summaries

START = dt.date(2024, 1, 1)
CALIBRATION_DAYS, HOLDOUT_DAYS = 365, 180
TRUE_BGNBD = {"r": 0.8, "alpha": 20.0, "a": 0.8, "b": 2.5}
TRUE_GG = {"p": 6.0, "q": 4.0, "v": 15.0}


def simulate(customers: int, seed: int = 11) -> pd.DataFrame:
    """BG/NBD purchases (days) and Gamma-Gamma amounts from TRUE_* parameters, plus noise CREDIT rows.

    Customers make a first purchase in the first 180 days; after each repeat purchase they drop out
    with probability p; their rate is lambda until then. Ends at calibration + holdout.
    """
    rng = np.random.default_rng(seed)
    end = CALIBRATION_DAYS + HOLDOUT_DAYS
    rows = []
    for i in range(customers):
        lam = rng.gamma(TRUE_BGNBD["r"], 1 / TRUE_BGNBD["alpha"])
        p = rng.beta(TRUE_BGNBD["a"], TRUE_BGNBD["b"])
        nu = rng.gamma(TRUE_GG["q"], 1 / TRUE_GG["v"])
        t = rng.uniform(0, 180)
        times = [t]
        while True:
            t += rng.exponential(1 / lam)
            if t >= end:
                break
            times.append(t)
            if rng.random() < p:
                break
        for when in times:
            day = START + dt.timedelta(days=int(when))
            rows.append((f"C{i:05d}", day, float(rng.gamma(TRUE_GG["p"], 1 / nu)), "DEBIT"))
        rows.append((f"C{i:05d}", START + dt.timedelta(days=int(times[0])), 1000.0, "CREDIT"))
    return pd.DataFrame(rows, columns=["customer_id", "txn_date", "amount_base", "direction"])


@pytest.fixture(scope="module")
def simulated(spark):
    data = simulate(2500)
    frame = spark.createDataFrame(
        data, "customer_id string, txn_date date, amount_base double, direction string"
    )
    return data, frame.cache()


def as_of() -> dt.date:
    return START + dt.timedelta(days=CALIBRATION_DAYS - 1)


def reference_summary(data: pd.DataFrame) -> pd.DataFrame:
    debit = data[(data.direction == "DEBIT") & (data.txn_date <= as_of())].copy()
    debit["txn_date"] = pd.to_datetime(debit["txn_date"])
    return summary_data_from_transaction_data(
        debit,
        "customer_id",
        "txn_date",
        monetary_value_col="amount_base",
        observation_period_end=pd.Timestamp(as_of()),
        freq="D",
    )


def test_summaries_match_lifetimes(spark, simulated):
    data, frame = simulated
    ours = purchase_summaries(frame, as_of()).toPandas().set_index("customer_id").sort_index()
    ref = reference_summary(data).sort_index()
    assert list(ours.index) == list(ref.index)
    np.testing.assert_array_equal(ours["frequency"], ref["frequency"])
    np.testing.assert_allclose(ours["recency_days"], ref["recency"])
    np.testing.assert_allclose(ours["t_days"], ref["T"])
    np.testing.assert_allclose(ours["monetary"], ref["monetary_value"], rtol=1e-9)


def fitted(frame, overrides):
    settings = load_config(overrides=overrides).value
    values, params = customer_value(frame, as_of(), settings)
    return settings, values.toPandas().set_index("customer_id").sort_index(), params  # test data: small


def test_value_agrees_with_lifetimes(spark, simulated):
    """Same summaries, same (default) penalizer: parameters within 1%, predictions within 1-2%."""
    data, frame = simulated
    horizon = 6
    settings, ours, params = fitted(frame, [f"value.horizon_months={horizon}"])
    assert set(ours["method"]) == {"bgnbd"}
    assert json.loads(ours["model_params"].iloc[0])["bgnbd"] == params["bgnbd"]

    ref = reference_summary(data).sort_index()
    bgf = BetaGeoFitter(penalizer_coef=settings.penalizer).fit(ref["frequency"], ref["recency"], ref["T"])
    repeat = ref[ref["frequency"] > 0]
    ggf = GammaGammaFitter(penalizer_coef=settings.penalizer).fit(
        repeat["frequency"], repeat["monetary_value"]
    )
    for name in ("r", "alpha", "a", "b"):
        assert params["bgnbd"][name] == pytest.approx(bgf.params_[name], rel=0.01), name
    for name in ("p", "q", "v"):
        assert params["gamma_gamma"][name] == pytest.approx(ggf.params_[name], rel=0.01), name
    ref_purchases = bgf.conditional_expected_number_of_purchases_up_to_time(
        horizon * 30, ref["frequency"], ref["recency"], ref["T"]
    )
    np.testing.assert_allclose(ours["expected_purchases"], ref_purchases, rtol=0.01, atol=1e-3)
    ref_alive = bgf.conditional_probability_alive(ref["frequency"], ref["recency"], ref["T"])
    np.testing.assert_allclose(ours["p_alive"], ref_alive, rtol=0.01, atol=1e-3)
    monthly = (1 + settings.discount_rate) ** (1 / 12) - 1
    ref_clv = ggf.customer_lifetime_value(
        bgf,
        ref["frequency"],
        ref["recency"],
        ref["T"],
        ref["monetary_value"],
        time=horizon,
        discount_rate=monthly,
        freq="D",
    )
    np.testing.assert_allclose(ours["expected_value"], ref_clv, rtol=0.02, atol=0.05)


def test_value_predicts_the_holdout_and_recovers_the_parameters(spark, simulated):
    """Unpenalised fit: parameters near the simulated truth; holdout purchases within 10% in total."""
    data, frame = simulated
    horizon = HOLDOUT_DAYS // 30
    _, ours, params = fitted(frame, [f"value.horizon_months={horizon}", "value.penalizer=0"])
    for name, tolerance in (("r", 0.15), ("alpha", 0.2), ("a", 0.3), ("b", 0.3)):
        assert params["bgnbd"][name] == pytest.approx(TRUE_BGNBD[name], rel=tolerance), name
    # Holdout: purchase days after as_of, within the horizon, of customers known at as_of.
    debit = data[data.direction == "DEBIT"]
    after = debit[(debit.txn_date > as_of()) & (debit.txn_date <= as_of() + dt.timedelta(days=horizon * 30))]
    actual = after.groupby("customer_id")["txn_date"].nunique().reindex(ours.index, fill_value=0)
    predicted_total, actual_total = ours["expected_purchases"].sum(), actual.sum()
    print(f"holdout purchase days: predicted {predicted_total:.0f}, actual {actual_total}; params {params}")
    assert predicted_total == pytest.approx(actual_total, rel=0.10)
    # Per calibration-frequency group, the model still tracks what happened.
    groups = pd.cut(ours["frequency"], [-1, 0, 2, 5, 10, 10_000])
    frame_ = pd.DataFrame({"p": ours["expected_purchases"], "a": actual, "g": groups})
    by_group = frame_.groupby("g", observed=True).sum()
    print(by_group)
    np.testing.assert_allclose(by_group["p"], by_group["a"], rtol=0.25)
    assert np.corrcoef(ours["expected_purchases"], actual)[0, 1] > 0.6
    # Spend: Gamma-Gamma parameters and population mean (p*v/(q-1) = 30) near the simulated ones.
    gg = params["gamma_gamma"]
    for name in ("p", "q", "v"):
        assert gg[name] == pytest.approx(TRUE_GG[name], rel=0.3), name
    assert gg["p"] * gg["v"] / (gg["q"] - 1) == pytest.approx(30.0, rel=0.15)


def test_p_alive_per_snapshot_is_fitted_on_that_snapshots_past_as_lifetimes_does(spark, simulated):
    """Lifecycle's P(alive) (inferred exit on transactions-only books) at two snapshots: each equals
    lifetimes' BG/NBD fitted on the purchases up to that snapshot only (summaries cut there)."""
    data, frame = simulated
    settings = load_config().value
    earlier = as_of() - dt.timedelta(days=120)
    alive = p_alive_by_snapshot(frame, [as_of(), earlier], settings).toPandas()  # test data: small
    assert set(alive["snapshot_date"]) == {as_of(), earlier}
    for snapshot in (earlier, as_of()):
        debit = data[(data.direction == "DEBIT")].copy()
        debit["txn_date"] = pd.to_datetime(debit["txn_date"])
        ref = summary_data_from_transaction_data(
            debit, "customer_id", "txn_date", observation_period_end=pd.Timestamp(snapshot), freq="D"
        ).sort_index()
        bgf = BetaGeoFitter(penalizer_coef=settings.penalizer).fit(ref["frequency"], ref["recency"], ref["T"])
        ours = alive[alive["snapshot_date"] == snapshot].set_index("customer_id").sort_index()
        assert list(ours.index) == list(ref.index), snapshot
        expected = bgf.conditional_probability_alive(ref["frequency"], ref["recency"], ref["T"])
        np.testing.assert_allclose(ours["p_alive"], expected, rtol=0.01, atol=1e-3, err_msg=str(snapshot))
