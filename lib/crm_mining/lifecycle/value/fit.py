"""Maximum-likelihood fits of BG/NBD (Fader, Hardie & Lee 2005) and Gamma-Gamma (Fader, Hardie & Lee
2005, "RFM and CLV") on per-customer summaries held in numpy arrays on the driver.

The likelihoods, the penalizer (``penalizer * sum(params**2)`` added to the mean negative
log-likelihood), the time scaling of BG/NBD and the starting point follow ``lifetimes`` 0.11.3, so
fitted parameters agree with its BetaGeoFitter / GammaGammaFitter on the same data.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln

from crm_mining import CrmMiningError


def bgnbd_negative_log_likelihood(log_params, x, t_x, age, penalizer: float) -> float:
    """Mean negative log-likelihood of BG/NBD at exp(log_params) = (r, alpha, a, b), plus the penalty."""
    r, alpha, a, b = np.exp(log_params)
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + age)
    a4 = np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(t_x + alpha)
    top = np.maximum(a3, a4)
    ll = a1 + a2 + np.log(np.exp(a3 - top) + np.exp(a4 - top) * (x > 0)) + top
    return -ll.mean() + penalizer * float(np.sum(np.exp(log_params) ** 2))


def gamma_gamma_negative_log_likelihood(log_params, x, m, penalizer: float) -> float:
    """Mean negative log-likelihood of Gamma-Gamma at exp(log_params) = (p, q, v), plus the penalty."""
    p, q, v = np.exp(log_params)
    ll = (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(v)
        + (p * x - 1) * np.log(m)
        + (p * x) * np.log(x)
        - (p * x + q) * np.log(x * m + v)
    )
    return -ll.mean() + penalizer * float(np.sum(np.exp(log_params) ** 2))


def minimise(objective, size: int, args: tuple, what: str) -> np.ndarray:
    """Minimise over log-parameters from lifetimes' start (0.1 each).

    BFGS from the start (lifetimes' own path), and Nelder-Mead from the start polished by BFGS (a
    fallback where the gradient path fails); the lower objective wins.
    """
    start = 0.1 * np.ones(size)
    with np.errstate(all="ignore"):
        direct = minimize(objective, start, args=args, method="BFGS", options={"gtol": 1e-9})
        coarse = minimize(
            objective,
            start,
            args=args,
            method="Nelder-Mead",
            options={"maxiter": 20000, "xatol": 1e-10, "fatol": 1e-12},
        )
        polished = minimize(objective, coarse.x, args=args, method="BFGS", options={"gtol": 1e-9})
    finite = [r for r in (direct, polished, coarse) if np.isfinite(r.fun) and np.all(np.isfinite(r.x))]
    if not finite:
        raise CrmMiningError(f"the {what} fit did not converge; try a larger value.penalizer")
    return min(finite, key=lambda r: r.fun).x


def fit_bgnbd(x, t_x, age, penalizer: float) -> dict[str, float]:
    """BG/NBD parameters r, alpha, a, b from frequency ``x``, recency ``t_x`` and age ``age`` (T; same time unit)."""
    x, t_x, age = (np.asarray(v, dtype=float) for v in (x, t_x, age))
    if len(x) < 10 or not np.any(x > 0):
        raise CrmMiningError(
            f"BG/NBD needs at least 10 customers with a repeat purchase; got {int(np.sum(x > 0))}"
        )
    scale = 1.0 / age.max()  # as lifetimes: fit on ages scaled to at most 1, then unscale alpha
    log_params = minimise(
        bgnbd_negative_log_likelihood, 4, (x, t_x * scale, age * scale, penalizer), "BG/NBD"
    )
    r, alpha, a, b = np.exp(log_params)
    return {"r": float(r), "alpha": float(alpha / scale), "a": float(a), "b": float(b)}


def fit_gamma_gamma(x, m, penalizer: float) -> dict[str, float]:
    """Gamma-Gamma parameters p, q, v from repeat customers' frequency ``x`` > 0 and mean spend ``m`` > 0."""
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    keep = (x > 0) & (m > 0)
    if keep.sum() < 10:
        raise CrmMiningError(
            f"Gamma-Gamma needs at least 10 customers with repeat spend; got {int(keep.sum())}"
        )
    log_params = minimise(
        gamma_gamma_negative_log_likelihood, 3, (x[keep], m[keep], penalizer), "Gamma-Gamma"
    )
    p, q, v = np.exp(log_params)
    if q <= 1:
        raise CrmMiningError(
            f"Gamma-Gamma fit gave q = {q:.3f} <= 1: the population mean spend is undefined; "
            "fit on more customers or raise value.penalizer"
        )
    return {"p": float(p), "q": float(q), "v": float(v)}
