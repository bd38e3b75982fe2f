"""Score every customer's summary with fitted BG/NBD + Gamma-Gamma parameters, distributed.

P(alive) and the Gamma-Gamma expected spend per purchase are built-in column expressions; the
expected number of purchases needs the Gauss hypergeometric function, so it runs in a pandas UDF
(scipy.special.hyp2f1). Formulas as in lifetimes 0.11.3 (time unit: days, a month = 30 days).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)
from pyspark.sql.types import DoubleType, StructField, StructType

DAYS_PER_MONTH = 30

VALUE_TYPE = StructType(
    [StructField("expected_purchases", DoubleType()), StructField("discounted_purchases", DoubleType())]
)


def expected_purchases(t, x, t_x, age, params: dict[str, float]) -> np.ndarray:
    """BG/NBD expected purchases in the next ``t`` days given (x, t_x, age) (numpy; lifetimes' formula)."""
    from scipy.special import hyp2f1

    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    x, t_x, age = (np.asarray(v, dtype=float) for v in (x, t_x, age))
    with np.errstate(all="ignore"):
        c = a + b + x - 1
        z = t / (alpha + age + t)
        ln_hyp = np.log(hyp2f1(r + x, b + x, c, z))
        # When hyp2f1 overflows, Euler's transformation gives the same value.
        ln_alt = np.log(hyp2f1(c - (r + x), c - (b + x), c, z)) + (c - (r + x) - (b + x)) * np.log(1 - z)
        ln_hyp = np.where(np.isinf(ln_hyp), ln_alt, ln_hyp)
        numerator = (
            (a + b + x - 1)
            / (a - 1)
            * (1 - np.exp(ln_hyp + (r + x) * np.log((alpha + age) / (alpha + t + age))))
        )
        denominator = 1 + (x > 0) * (a / (b + x - 1)) * ((alpha + age) / (alpha + t_x)) ** (r + x)
        expected = numerator / denominator
        # Degenerate fits (a, b -> 0: no dropout identified, as on tiny data) put hyp2f1 at a pole;
        # the model's limit there is the NBD's (r + x) / (alpha + T) purchases per day.
        no_dropout = t * (r + x) / (alpha + age)
    return np.where(np.isfinite(expected), expected, no_dropout)


def purchases_over_horizon(
    x, t_x, age, params: dict[str, float], months: int, monthly_discount: float
) -> pd.DataFrame:
    """Expected purchases in ``months`` months, and the same with month i's purchases discounted by
    (1 + monthly_discount)^i (the sum lifetimes' customer_lifetime_value multiplies by spend)."""
    discounted = np.zeros(len(x))
    previous = np.zeros(len(x))
    for month in range(1, months + 1):
        upto = expected_purchases(month * DAYS_PER_MONTH, x, t_x, age, params)
        discounted += (upto - previous) / (1 + monthly_discount) ** month
        previous = upto
    return pd.DataFrame({"expected_purchases": previous, "discounted_purchases": discounted})


def p_alive(params: dict[str, float]) -> Column:
    """BG/NBD probability that the customer is still active at age (1 without repeat purchases)."""
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    x, t_x, age = F.col("frequency"), F.col("recency_days"), F.col("t_days")
    odds = F.lit(a) / (F.lit(b) + x - 1) * F.pow((F.lit(alpha) + age) / (F.lit(alpha) + t_x), F.lit(r) + x)
    return F.when(x > 0, 1 / (1 + odds)).otherwise(F.lit(1.0))


def expected_spend(params: dict[str, float]) -> Column:
    """Gamma-Gamma expected spend per purchase: a weighted mean of own mean spend and the population mean."""
    p, q, v = params["p"], params["q"], params["v"]
    x, m = F.col("frequency"), F.col("monetary")
    return F.when(x > 0, F.lit(p) * (F.lit(v) + x * m) / (F.lit(p) * x + F.lit(q) - 1)).otherwise(
        F.lit(p * v / (q - 1))
    )


def with_customer_value(
    summaries: DataFrame, bgnbd: dict, gamma_gamma: dict, months: int, annual_discount: float
):
    """``summaries`` plus p_alive, expected_purchases, expected_avg_spend and expected_value
    (discounted expected spend over ``months``; money in the summaries' currency)."""
    monthly_discount = (1 + annual_discount) ** (1 / 12) - 1

    @F.pandas_udf(VALUE_TYPE)
    def horizon(x: pd.Series, t_x: pd.Series, age: pd.Series) -> pd.DataFrame:
        return purchases_over_horizon(
            x.to_numpy(), t_x.to_numpy(), age.to_numpy(), bgnbd, months, monthly_discount
        )

    scored = summaries.withColumn("h", horizon("frequency", "recency_days", "t_days"))
    return scored.select(
        *summaries.columns,
        p_alive(bgnbd).alias("p_alive"),
        F.col("h.expected_purchases").alias("expected_purchases"),
        expected_spend(gamma_gamma).alias("expected_avg_spend"),
        (F.col("h.discounted_purchases") * expected_spend(gamma_gamma)).alias("expected_value"),
    )
