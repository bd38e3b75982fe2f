"""Ground truth computed from what was generated: customers, lifecycle stages, affinities.

Lifecycle stages follow the lifecycle semantics (see docs/generate.md): at each month end m, for a
customer who has joined by m,
exit (no open account) > dormant (open accounts, no clean transaction for >= dormant_inactive_days,
observed from max(start_date, join_date)) > reactivated (was dormant at an earlier month end and m is
within 3 months of the first transaction after it) > acquisition (tenure <= 3) > decline (a churner
who is not a switcher, and churn_date - 6 months <= m < churn_date) > build_up (tenure <= 24) > maturity.
tenure = floor(months_between(m, join_date)).
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining.config import Config
from crm_mining.generate import segments as S  # noqa: N812 (short name for design tables)
from crm_mining.generate.customers import declines_before_churn

DECLINE_MONTHS = 6
REACTIVATED_MONTHS = 3


def truth_customers(customers: DataFrame) -> DataFrame:
    """customer_id, segment, is_churner, is_switcher, churn_date, is_defaulter, default_date, is_dormant,
    join_date."""
    return customers.select(
        "customer_id",
        "segment",
        "is_churner",
        "is_switcher",
        "churn_date",
        "is_defaulter",
        "default_date",
        "is_dormant",
        "join_date",
    )


def lifecycle_truth(
    customers: DataFrame, monthly: DataFrame, transactions: DataFrame, months: DataFrame, config: Config
) -> DataFrame:
    """customer_id, month_end, stage (plus the evidence columns tenure_months, recency_days, open_accounts).

    ``transactions`` are the clean transactions that land (replaced bad records excluded); ``monthly``
    is the account x month-end frame of open accounts.
    """
    life = config.lifecycle
    start = F.lit(config.generate.start_date)
    activity = (
        transactions.withColumn("txn_date", F.to_date("txn_ts"))
        .withColumn("month_end", F.last_day("txn_date"))
        .groupBy("customer_id", "month_end")
        .agg(F.min("txn_date").alias("first_txn"), F.max("txn_date").alias("last_txn"))
    )
    open_accounts = monthly.groupBy("customer_id", "month_end").agg(F.count("*").alias("open_accounts"))
    by_customer = Window.partitionBy("customer_id").orderBy("month_end")
    upto = by_customer.rowsBetween(Window.unboundedPreceding, Window.currentRow)
    rows = (
        customers.select("customer_id", "join_date", "is_churner", "is_switcher", "churn_date")
        .crossJoin(F.broadcast(months.select("month_end")))
        .where(F.col("join_date") <= F.col("month_end"))
        .join(activity, ["customer_id", "month_end"], "left")
        .join(open_accounts, ["customer_id", "month_end"], "left")
        .withColumn("open_accounts", F.coalesce("open_accounts", F.lit(0)).cast("int"))
        .withColumn("last_txn_upto", F.max("last_txn").over(upto))
        .withColumn("recency_days", F.datediff("month_end", F.col("last_txn_upto")))
        .withColumn(
            "observed_idle_days",
            F.datediff("month_end", F.coalesce("last_txn_upto", F.greatest(start, F.col("join_date")))),
        )
        .withColumn("is_exit", F.col("open_accounts") == 0)
        .withColumn(
            "is_dormant", ~F.col("is_exit") & (F.col("observed_idle_days") >= life.dormant_inactive_days)
        )
        .withColumn(
            "resume_date",
            F.when(F.lag("is_dormant").over(by_customer) & ~F.col("is_dormant"), F.col("first_txn")),
        )
        .withColumn("last_resume", F.max("resume_date").over(upto))
        .withColumn("tenure_months", F.floor(F.months_between("month_end", "join_date")).cast("int"))
    )
    reactivated = F.col("last_resume").isNotNull() & (
        F.col("month_end") < F.add_months("last_resume", REACTIVATED_MONTHS)
    )
    decline = (
        declines_before_churn()
        & (F.col("month_end") >= F.add_months("churn_date", -DECLINE_MONTHS))
        & (F.col("month_end") < F.col("churn_date"))
    )
    stage = (
        F.when(F.col("is_exit"), "exit")
        .when(F.col("is_dormant"), "dormant")
        .when(reactivated, "reactivated")
        .when(F.col("tenure_months") <= life.acquisition_max_tenure_months, "acquisition")
        .when(decline, "decline")
        .when(F.col("tenure_months") <= life.build_up_max_tenure_months, "build_up")
        .otherwise("maturity")
    )
    return rows.select(
        "customer_id", "month_end", stage.alias("stage"), "tenure_months", "recency_days", "open_accounts"
    )


def fraud_truth(transactions: DataFrame, landed_ids: DataFrame) -> DataFrame:
    """One row per planted fraud episode: episode_id, customer_id, fraud_kind, start_ts, txn_ids (sorted).

    ``transactions``: the generated transactions (with episode_id, fraud_kind); ``landed_ids``: txn_id of
    the clean records that landed, so a fraud transaction replaced by a bad record is not in the truth.
    """
    fraud = transactions.where(F.col("episode_id").isNotNull()).join(
        landed_ids.distinct(), "txn_id", "left_semi"
    )
    return (
        fraud.groupBy("episode_id", "customer_id", "fraud_kind")
        .agg(F.min("txn_ts").alias("start_ts"), F.array_sort(F.collect_list("txn_id")).alias("txn_ids"))
        .select("episode_id", "customer_id", "fraud_kind", "start_ts", "txn_ids")
    )


def affinity_truth(accounts: DataFrame) -> list[dict]:
    """The designed affinities with support, confidence, lift and the share of customers holding both whose
    consequent opened after the antecedent, measured on the generated accounts.

    Reads one aggregated row back to the driver (a fixed number of counts).
    """
    held = accounts.groupBy("customer_id").agg(
        F.map_from_entries(F.collect_list(F.struct("product_code", "open_date"))).alias("opened")
    )
    aggs = [F.count("*").alias("n")]
    for antecedent, consequent, _ in S.AFFINITIES:
        opened_a, opened_c = F.col("opened")[antecedent], F.col("opened")[consequent]
        has_a, has_c = opened_a.isNotNull(), opened_c.isNotNull()
        aggs += [
            F.sum(has_a.cast("long")).alias(f"{antecedent}|a"),
            F.sum(has_c.cast("long")).alias(f"{consequent}|c"),
            F.sum((has_a & has_c).cast("long")).alias(f"{antecedent}>{consequent}"),
            F.sum((opened_c > opened_a).cast("long")).alias(f"{antecedent}>{consequent}|after"),
        ]
    counts = held.agg(*aggs).first().asDict()
    rules = []
    n = counts["n"] or 1
    for antecedent, consequent, designed in S.AFFINITIES:
        n_a, n_c, n_ac = (
            counts[f"{antecedent}|a"] or 0,
            counts[f"{consequent}|c"] or 0,
            counts[f"{antecedent}>{consequent}"] or 0,
        )
        confidence = n_ac / n_a if n_a else 0.0
        base = n_c / n
        rules.append(
            {
                "antecedent": [antecedent],
                "consequent": [consequent],
                "support": round(n_ac / n, 6),
                "confidence": round(confidence, 6),
                "consequent_support": round(base, 6),
                "lift": round(confidence / base, 6) if base else None,
                # Customers holding both whose consequent opened after the antecedent (cross-sold later).
                "opened_after_antecedent": round((counts[f"{antecedent}>{consequent}|after"] or 0) / n_ac, 6)
                if n_ac
                else None,
                "designed_min_confidence": designed,
            }
        )
    return rules
