"""gold.lifecycle_backtest: what the customers of each stage at a past cut-off did next.

Per stage at the cut-off snapshot: customers; the share active (at least one purchase day), the mean
purchase days and spend in the 30 x H days after the cut-off; the same for the 30 x H days up to the
cut-off (the recent past, the window the stage rules read); the same for a baseline: the 30 x H days
before the rules' trend lookback, which no rule read (their own past, to see whether e.g. decline
customers really do less than they used to); and the churn rate from gold.labels at the cut-off where
labels exist (null otherwise).

Why a baseline: the decline rule selects customers on a dip in the last 3 months. Measured against that
dip itself, their next months regress towards their usual level (Complete Journey, H = 3: 8.7 purchase
days next against 7.6 in the dip), whatever the rule (docs/lifecycle.md lists the rules tried). The
question a retention campaign asks is whether they do less than they used to, which only a window the
rule did not select on can answer without bias.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)

from crm_mining.lifecycle.value.history import DAYS_PER_MONTH
from crm_mining.lifecycle.value.summaries import purchase_days

# The stage rules' trend lookback: spend_3m against spend_prev_3m in gold.customer_features (6 months).
TREND_LOOKBACK_MONTHS = 6

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
    "baseline_customers",
    "mean_purchases_baseline",
    "mean_spend_baseline",
    "labelled_customers",
    "churn_rate",
)


def with_activity(stages: DataFrame, transactions: DataFrame, cutoff: dt.date, months: int) -> DataFrame:
    """``stages`` (customer_id, stage) plus purchases/spend in the window after ``cutoff``, in the window up
    to it (past) and in the baseline window ending ``TREND_LOOKBACK_MONTHS`` before it.

    ``has_baseline``: the transactions reach back to the baseline window's start, and the customer's first
    purchase is on or before its end, so the window is part of their history (a customer who started
    inside it has a partial, lower baseline; a lake that starts inside it has none).
    """
    width = dt.timedelta(days=DAYS_PER_MONTH * months)
    baseline_end = cutoff - dt.timedelta(days=DAYS_PER_MONTH * TREND_LOOKBACK_MONTHS)
    windows = {  # name: (after, up to and including), as in ``history.outcomes``
        "actual": (cutoff, cutoff + width),
        "past": (cutoff - width, cutoff),
        "baseline": (baseline_end - width, baseline_end),
    }
    day, spend = F.col("txn_date"), F.col("day_spend")
    sums = []
    for name, (start, end) in windows.items():
        inside = (day > F.lit(start)) & (day <= F.lit(end))
        sums.append(F.count(F.when(inside, 1)).cast("double").alias(f"{name}_purchases"))
        sums.append(
            F.coalesce(F.sum(F.when(inside, spend)), F.lit(0.0)).cast("double").alias(f"{name}_spend")
        )
    # One pass over the purchase days: every window and the first purchase.
    activity = purchase_days(transactions).groupBy("customer_id").agg(*sums, F.min(day).alias("first_day"))
    measures = [f"{name}_{m}" for name in windows for m in ("purchases", "spend")]
    joined = (
        stages.join(activity, "customer_id", "left")
        .crossJoin(transactions.agg(F.min("txn_date").alias("history_start")))  # one row
        .fillna(0.0, subset=measures)
    )
    covered = F.col("history_start") <= F.lit(windows["baseline"][0])
    has_baseline = F.coalesce(covered & (F.col("first_day") <= F.lit(baseline_end)), F.lit(False))
    return joined.select(*stages.columns, *measures, has_baseline.alias("has_baseline"))


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
        F.count(F.when(F.col("has_baseline"), 1)).alias("baseline_customers"),
        F.avg(F.when(F.col("has_baseline"), F.col("baseline_purchases"))).alias("mean_purchases_baseline"),
        F.avg(F.when(F.col("has_baseline"), F.col("baseline_spend"))).alias("mean_spend_baseline"),
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
        F.col("baseline_customers").cast("bigint").alias("baseline_customers"),
        "mean_purchases_baseline",
        "mean_spend_baseline",
        F.col("labelled_customers").cast("bigint").alias("labelled_customers"),
        "churn_rate",
    )
