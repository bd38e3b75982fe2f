"""The alert budget: the highest-scored transactions, at most ``alerts_per_10k`` per 10,000 scored.

Also the baseline the evaluation compares with: a global amount threshold at the same alert count.
"""

from __future__ import annotations

import math

from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

ALERT_COLUMNS = (
    "alert_date",
    "txn_id",
    "customer_id",
    "txn_ts",
    "amount",
    "channel",
    "merchant_category",
    "score",
    "signals",
    "reasons",
    "pattern_matched",
    "pattern_confidence",
    "status",
)


def alert_budget(scored_count: int, alerts_per_10k: float) -> int:
    """How many alerts ``scored_count`` transactions may raise (rounded down)."""
    return int(math.floor(scored_count * alerts_per_10k / 10_000 + 1e-9))


def budgeted_alerts(scored: DataFrame, budget: int, min_score: float) -> DataFrame:
    """ALERT_COLUMNS: the ``budget`` highest scores >= ``min_score`` (ties: larger amount deviation, txn_id).

    The sort-and-limit keeps ``budget`` rows (bounded by config x scored transactions) in one task, not
    on the driver.
    """
    top = (
        scored.where(F.col("score") >= min_score)
        .orderBy(F.desc("score"), F.desc_nulls_last("amount_mad_ratio"), "txn_id")
        .limit(budget)
    )
    return top.select(
        F.col("txn_date").alias("alert_date"),
        "txn_id",
        "customer_id",
        "txn_ts",
        "amount",
        "channel",
        "merchant_category",
        "score",
        "signals",
        "reasons",
        "pattern_matched",
        "pattern_confidence",
        F.lit("open").alias("status"),
    )


def amount_threshold_alerts(scored: DataFrame, budget: int) -> DataFrame:
    """txn_id of the ``budget`` largest amounts: one global amount threshold at the same alert count."""
    return scored.orderBy(F.desc("amount"), "txn_id").limit(budget).select("txn_id")
