"""RFM scores (1-5 by quantile, per snapshot) and named segments for gold.rfm.

Inputs per (customer_id, snapshot_date): recency_days (days since the last transaction), frequency
(transactions in ``rfm.window_days``) and monetary (DEBIT amount in the window), taken from
gold.customer_features. Only customers with at least one transaction on or before the snapshot are scored.

Quintile edges q20, q40, q60, q80 come from ``percentile_approx`` per snapshot (distributed; nothing is
collected). ``percentile_approx`` returns a value of the data (the smallest with at least p of the rows at
or below it), and a value equal to an edge falls in the lower group:

- f_score / m_score = 1 + the number of edges strictly below the value (higher is better);
- r_score = 5 - the number of edges strictly below recency_days (more recent is better).

Segments: the first rule of ``rfm.segments`` whose inclusive R, F and M ranges all hold; else
``rfm.fallback_segment``.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining.config.features import RfmRule, RfmSettings

QUANTILES = [0.2, 0.4, 0.6, 0.8]
RFM_COLUMNS = (
    "customer_id", "snapshot_date", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score",
    "rfm_cell", "rfm_segment",
)  # fmt: skip


def rfm_inputs(features: DataFrame, window_days: int) -> DataFrame:
    """(customer_id, snapshot_date, recency_days, frequency, monetary) for customers that ever transacted."""
    return features.where(F.col("recency_days").isNotNull()).select(
        "customer_id",
        "snapshot_date",
        F.col("recency_days").cast("int").alias("recency_days"),
        F.col(f"txn_count_{window_days}d").cast("bigint").alias("frequency"),
        F.col(f"spend_{window_days}d").cast("double").alias("monetary"),
    )


def quintile_edges(rfm: DataFrame, accuracy: int) -> DataFrame:
    """(snapshot_date, r_edges, f_edges, m_edges): approximate quintile edges per snapshot."""
    probs = F.array(*[F.lit(p) for p in QUANTILES])
    return rfm.groupBy("snapshot_date").agg(
        F.percentile_approx("recency_days", probs, accuracy).alias("r_edges"),
        F.percentile_approx("frequency", probs, accuracy).alias("f_edges"),
        F.percentile_approx("monetary", probs, accuracy).alias("m_edges"),
    )


def edges_below(value: str, edges: str) -> Column:
    """How many of the 4 edges are strictly below the value (0-4)."""
    return sum(
        (F.when(F.col(value) > F.col(edges)[i], 1).otherwise(0) for i in range(len(QUANTILES))), F.lit(0)
    )


def with_rfm_scores(rfm: DataFrame, accuracy: int) -> DataFrame:
    """Add r_score, f_score, m_score (int 1-5) and rfm_cell ("545")."""
    scored = rfm.join(F.broadcast(quintile_edges(rfm, accuracy)), "snapshot_date").select(
        "customer_id",
        "snapshot_date",
        "recency_days",
        "frequency",
        "monetary",
        (5 - edges_below("recency_days", "r_edges")).cast("int").alias("r_score"),
        (1 + edges_below("frequency", "f_edges")).cast("int").alias("f_score"),
        (1 + edges_below("monetary", "m_edges")).cast("int").alias("m_score"),
    )
    return scored.withColumn("rfm_cell", F.concat_ws("", "r_score", "f_score", "m_score"))


def rule_matches(rule: RfmRule) -> Column:
    r, f, m = F.col("r_score"), F.col("f_score"), F.col("m_score")
    return (
        r.between(rule.r[0], rule.r[-1]) & f.between(rule.f[0], rule.f[-1]) & m.between(rule.m[0], rule.m[-1])
    )


def segment_column(settings: RfmSettings) -> Column:
    """First matching rule wins; the fallback segment otherwise."""
    expression = None
    for rule in settings.segments:
        expression = (F if expression is None else expression).when(rule_matches(rule), F.lit(rule.name))
    return (
        F.lit(settings.fallback_segment)
        if expression is None
        else expression.otherwise(settings.fallback_segment)
    )


def with_rfm_segments(scored: DataFrame, settings: RfmSettings) -> DataFrame:
    return scored.select(
        *[c for c in RFM_COLUMNS if c != "rfm_segment"], segment_column(settings).alias("rfm_segment")
    )


def build_rfm(features: DataFrame, settings: RfmSettings) -> DataFrame:
    """gold.rfm rows from gold.customer_features rows."""
    return (
        rfm_inputs(features, settings.window_days)
        .transform(with_rfm_scores, settings.quantile_accuracy)
        .transform(with_rfm_segments, settings)
    )
