"""Population stability: reference bins fitted at training time, PSI per scored snapshot.

PSI = sum over bins of (actual share - expected share) x ln(actual share / expected share), with shares
floored at ``EPSILON`` so an empty bin costs a large but finite amount. Numeric columns are cut at the
reference snapshot's quantiles (``bins`` groups, duplicate edges merged); categorical columns keep each
reference category and an ``other`` bin; nulls are their own bin.
"""

from __future__ import annotations

import math

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

EPSILON = 1e-4


def psi(expected: dict[str, float], actual: dict[str, float]) -> float:
    """Population stability index between two {bin: share} distributions."""
    total = 0.0
    for key in set(expected) | set(actual):
        e = max(expected.get(key, 0.0), EPSILON)
        a = max(actual.get(key, 0.0), EPSILON)
        total += (a - e) * math.log(a / e)
    return total


def psi_status(value: float, warning: float, alert: float) -> str:
    return "alert" if value >= alert else "warning" if value >= warning else "stable"


def numeric_edges(df: DataFrame, columns: list[str], bins: int) -> dict[str, list[float]]:
    """Quantile cut points per numeric column (at most bins - 1 distinct values; bounded by config)."""
    if not columns:
        return {}
    probs = [i / bins for i in range(1, bins)]
    quantiles = df.select([F.col(c).cast("double").alias(c) for c in columns]).approxQuantile(
        columns, probs, 0.001
    )
    return {c: sorted(set(q)) for c, q in zip(columns, quantiles, strict=True)}


def top_categories(df: DataFrame, columns: list[str], bins: int) -> dict[str, list[str]]:
    """The reference's most frequent categories per column (at most bins - 1; the rest go to 'other')."""
    out = {}
    for c in columns:
        rows = (
            df.where(F.col(c).isNotNull())
            .groupBy(c)
            .count()
            .orderBy(F.desc("count"), c)
            .limit(bins - 1)
            .collect()
        )
        out[c] = [r[c] for r in rows]
    return out


def bin_of(column: str, edges: list[float] | None, categories: list[str] | None) -> Column:
    col = F.col(column)
    if categories is not None:
        label = F.when(col.isin(*categories), col.cast("string")).otherwise(F.lit("other"))
    else:
        # The number of edges below the value, as one array filter per column: a CASE per edge and
        # column (80+ features x 10 edges) made the generated Java grow beyond the JVM's 64 KB method
        # limit, and Spark logged the compile failure as a stack trace before falling back.
        values = F.array(*[F.lit(float(e)) for e in edges or []]).cast("array<double>")
        value = col.cast("double")
        label = F.size(F.filter(values, lambda edge: edge < value)).cast("string")
    return F.when(col.isNull(), F.lit("null")).otherwise(label)


def bin_shares(df: DataFrame, bins: dict[str, dict], group: str | None = None) -> DataFrame:
    """Long table (group, column, bin, share) of each column's bin shares; ``bins``: column -> edges/categories."""
    keys = [group] if group else []
    pairs = F.array(
        *[
            F.struct(
                F.lit(c).alias("column"), bin_of(c, spec.get("edges"), spec.get("categories")).alias("bin")
            )
            for c, spec in bins.items()
        ]
    )
    counts = (
        df.select(*keys, F.explode(pairs).alias("p"))
        .groupBy(*keys, F.col("p.column").alias("column"), F.col("p.bin").alias("bin"))
        .count()
    )
    totals = counts.groupBy(*keys, "column").agg(F.sum("count").alias("total"))
    return counts.join(totals, [*keys, "column"]).select(
        *keys, "column", "bin", (F.col("count") / F.col("total")).alias("share")
    )


def reference_bins(df: DataFrame, numeric: list[str], categorical: list[str], bins: int) -> dict[str, dict]:
    """Bin definitions and expected shares per column, fitted on the reference rows ``df``.

    Returns {column: {"edges" or "categories": ..., "shares": {bin: share}}} (bounded by columns x bins).
    """
    spec: dict[str, dict] = {c: {"edges": e} for c, e in numeric_edges(df, numeric, bins).items()}
    spec.update({c: {"categories": cats} for c, cats in top_categories(df, categorical, bins).items()})
    for row in bin_shares(df, spec).collect():
        spec[row["column"]].setdefault("shares", {})[row["bin"]] = row["share"]
    return spec
