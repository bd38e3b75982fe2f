"""Trend helpers: the last 3 months against the 3 before (spend and counts live in activity, balances here)."""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F  # noqa: N812 (the project convention)


def ratio(numerator: str, denominator: str) -> Column:
    """numerator / denominator as double; null when the denominator is null or <= 0 (no base to compare)."""
    num, den = F.col(numerator).cast("double"), F.col(denominator).cast("double")
    return F.when(den > 0, num / den)
