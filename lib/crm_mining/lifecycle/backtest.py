"""gold.lifecycle_backtest: what the customers of each stage at a past cut-off did next.

Per stage at the cut-off snapshot: customers; the share active (at least one purchase day), the mean
purchase days and spend in the 30 x H days after the cut-off; the same for the 30 x H days up to the
cut-off (their own past, to see whether e.g. decline customers really do less than before); and the
churn rate from gold.labels at the cut-off where labels exist (null otherwise).
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)

from crm_mining.lifecycle.value.history import DAYS_PER_MONTH, outcomes

LIFECYCLE_BACKTEST_COLUMNS = (
    "cutoff_date",
    "horizon_months",
    "stage",
    "customers",
    "share_active_next",
    "mean_purchases_next",
    "mean_spend_next",
    "share_active_past",
    "mean_purchases_past",
    "mean_spend_past",
    "labelled_customers",
    "churn_rate",
)


def with_activity(stages: DataFrame, transactions: DataFrame, cutoff: dt.date, months: int) -> DataFrame:
    """``stages`` (customer_id, stage) plus purchases/spend in the window after and the window up to ``cutoff``."""
    before = cutoff - dt.timedelta(days=DAYS_PER_MONTH * months)
    after = outcomes(transactions, cutoff, months)
    past = outcomes(transactions, before, months).select(
        "customer_id",
        F.col("actual_purchases").alias("past_purchases"),
        F.col("actual_spend").alias("past_spend"),
    )
    return (
        stages.join(after, "customer_id", "left")
        .join(past, "customer_id", "left")
        .fillna(0.0, subset=["actual_purchases", "actual_spend", "past_purchases", "past_spend"])
    )


def lifecycle_backtest(
    stages: DataFrame, transactions: DataFrame, labels: DataFrame | None, cutoff: dt.date, months: int
) -> DataFrame:
    """``LIFECYCLE_BACKTEST_COLUMNS``, one row per stage present at ``cutoff``.

    ``stages``: gold.lifecycle_stage rows (any snapshots; the cut-off's are used). ``labels``:
    gold.labels (customer_id, snapshot_date, churn) or None when the lake has none.
    """
    at_cutoff = stages.where(F.col("snapshot_date") == F.lit(cutoff)).select("customer_id", "stage")
    if labels is not None:
        churn = labels.where(F.col("snapshot_date") == F.lit(cutoff)).select(
            "customer_id", F.col("churn").cast("double").alias("churn")
        )
        at_cutoff = at_cutoff.join(churn, "customer_id", "left")
    else:
        at_cutoff = at_cutoff.withColumn("churn", F.lit(None).cast("double"))
    active = with_activity(at_cutoff, transactions, cutoff, months)
    per_stage = active.groupBy("stage").agg(
        F.count(F.lit(1)).alias("customers"),
        F.avg((F.col("actual_purchases") > 0).cast("double")).alias("share_active_next"),
        F.avg("actual_purchases").alias("mean_purchases_next"),
        F.avg("actual_spend").alias("mean_spend_next"),
        F.avg((F.col("past_purchases") > 0).cast("double")).alias("share_active_past"),
        F.avg("past_purchases").alias("mean_purchases_past"),
        F.avg("past_spend").alias("mean_spend_past"),
        F.count("churn").alias("labelled_customers"),
        F.avg("churn").alias("churn_rate"),
    )
    return per_stage.select(
        F.lit(cutoff).cast("date").alias("cutoff_date"),
        F.lit(months).alias("horizon_months"),
        "stage",
        F.col("customers").cast("bigint").alias("customers"),
        "share_active_next",
        "mean_purchases_next",
        "mean_spend_next",
        "share_active_past",
        "mean_purchases_past",
        "mean_spend_past",
        F.col("labelled_customers").cast("bigint").alias("labelled_customers"),
        "churn_rate",
    )
