"""Deterministic random draws as column expressions.

Every draw is a hash of (seed, salt, key columns), so a value depends only on the seed and the
record's key, never on partitioning or execution order (``F.rand(seed)`` would).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pyspark.sql import Column
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

TWO_53 = float(2**53)


def uniform(seed: int, salt: str, *keys: Column) -> Column:
    """Uniform draw in [0, 1) from a hash of (seed, salt, keys)."""
    h = F.xxhash64(F.lit(seed), F.lit(salt), *keys)
    return F.pmod(h, F.lit(2**53)).cast("double") / F.lit(TWO_53)


def normal(seed: int, salt: str, *keys: Column) -> Column:
    """Standard normal draw (Box-Muller on two hashed uniforms)."""
    u1 = F.lit(1.0) - uniform(seed, salt + ":a", *keys)  # (0, 1]: log is finite
    u2 = uniform(seed, salt + ":b", *keys)
    return F.sqrt(F.lit(-2.0) * F.log(u1)) * F.cos(F.lit(2 * math.pi) * u2)


def lognormal(seed: int, salt: str, mu: Column | float, sigma: Column | float, *keys: Column) -> Column:
    """Heavy-tailed positive draw: exp(mu + sigma * z)."""
    return F.exp(F.lit(mu) + F.lit(sigma) * normal(seed, salt, *keys))


def pick(u: Column, values: Sequence[str], weights: Sequence[float]) -> Column:
    """Categorical draw: the value whose cumulative weight bucket holds ``u`` (weights need not sum to 1)."""
    total = float(sum(weights))
    expr, cumulative = None, 0.0
    for value, weight in zip(values[:-1], weights[:-1], strict=True):
        cumulative += weight / total
        expr = (
            F.when(u < cumulative, F.lit(value)) if expr is None else expr.when(u < cumulative, F.lit(value))
        )
    last = F.lit(values[-1])
    return last if expr is None else expr.otherwise(last)


def by_key(key: Column, table: dict[str, float | str], default: float | str | None = None) -> Column:
    """Look ``key`` up in a small literal mapping (e.g. segment -> multiplier)."""
    expr = None
    for name, value in table.items():
        expr = F.when(key == name, F.lit(value)) if expr is None else expr.when(key == name, F.lit(value))
    return expr.otherwise(F.lit(default)) if expr is not None else F.lit(default)
