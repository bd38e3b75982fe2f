"""Lifecycle stage per customer and month-end snapshot, from gold.customer_features.

Rules (thresholds from ``LifecycleSettings``; the first that holds wins, see docs/lifecycle.md):
exit > dormant > reactivated > acquisition > decline > build_up > maturity.
Every output row carries the evidence columns the rules read and ``rule``, a readable statement of
the rule that fired with its threshold (e.g. ``decline: spend_trend < 0.6``).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)

from crm_mining.config.lifecycle import LifecycleSettings

# The gold.customer_features columns the rules read (docs/data_contract.md, "Gold tables").
FEATURE_COLUMNS = (
    "customer_id",
    "snapshot_date",
    "tenure_months",
    "product_count",
    "active_product_count",
    "recency_days",
    "txn_count_90d",
    "spend_3m",
    "spend_prev_3m",
    "spend_trend",
    "balance_3m_avg",
    "balance_prev_3m_avg",
    "balance_trend",
    "all_accounts_closed",
)

STAGE_COLUMNS = (
    "customer_id",
    "snapshot_date",
    "stage",
    "rule",
    "tenure_months",
    "product_count",
    "active_product_count",
    "recency_days",
    "txn_count_90d",
    "spend_3m",
    "spend_prev_3m",
    "spend_trend",
    "balance_trend",
    "all_accounts_closed",
    "last_dormant_date",
    "active_since",
)


def month_index(column: Column) -> Column:
    """Whole months since year 0, so month-end snapshots subtract to a month count."""
    return F.year(column) * 12 + F.month(column)


def ratio(numerator: str, denominator: str, given: str) -> Column:
    """The features' trend, or numerator/denominator when the features left it null; null without a base."""
    computed = F.when(F.col(denominator) > 0, F.col(numerator) / F.col(denominator))
    return F.coalesce(F.col(given).cast("double"), computed)


def with_evidence(features: DataFrame, settings: LifecycleSettings) -> DataFrame:
    """Per customer and snapshot: the typed evidence columns plus ``is_exit`` and ``is_dormant`` flags.

    Dormant: accounts open and no transaction for ``dormant_inactive_days`` days (a customer who never
    transacted counts once their tenure covers that many days). ``features`` may carry ``p_alive`` (BG/NBD,
    see ``lifecycle.value.alive``), read only where closures are unknown.
    """
    days = settings.dormant_inactive_days
    known = F.col("all_accounts_closed").isNotNull()
    closed = F.coalesce(F.col("all_accounts_closed").cast("boolean"), F.lit(False))
    recency = F.col("recency_days").cast("int")
    tenure = F.col("tenure_months").cast("int")

    def silent_for(limit: int) -> Column:
        """No transaction for ``limit`` days (never transacted: tenure covers that many days)."""
        return F.when(recency.isNull(), F.coalesce(tenure * 30 >= limit, F.lit(False))).otherwise(
            recency >= limit
        )

    silent = silent_for(days)
    exit_days = settings.exit_inactive_days
    # Closures unknown (transactions only): exit inferred from a long silence, or from a dormancy whose
    # BG/NBD P(alive) (the optional p_alive column) has fallen below the threshold.
    long_silence = ~known & silent_for(exit_days) if exit_days > 0 else F.lit(False)
    p_alive = F.col("p_alive").cast("double") if "p_alive" in features.columns else F.lit(None).cast("double")
    unlikely_alive = ~known & silent & F.coalesce(p_alive < settings.exit_p_alive_below, F.lit(False))
    inferred_exit = long_silence | unlikely_alive
    return features.select(
        F.col("customer_id").cast("string").alias("customer_id"),
        F.col("snapshot_date").cast("date").alias("snapshot_date"),
        tenure.alias("tenure_months"),
        F.col("product_count").cast("int").alias("product_count"),
        F.col("active_product_count").cast("int").alias("active_product_count"),
        recency.alias("recency_days"),
        F.col("txn_count_90d").cast("bigint").alias("txn_count_90d"),
        F.col("spend_3m").cast("double").alias("spend_3m"),
        F.col("spend_prev_3m").cast("double").alias("spend_prev_3m"),
        ratio("spend_3m", "spend_prev_3m", "spend_trend").alias("spend_trend"),
        ratio("balance_3m_avg", "balance_prev_3m_avg", "balance_trend").alias("balance_trend"),
        closed.alias("all_accounts_closed"),
        (closed | inferred_exit).alias("is_exit"),
        inferred_exit.alias("is_inferred_exit"),
        long_silence.alias("is_long_silence"),
        (~closed & ~inferred_exit & silent).alias("is_dormant"),
    )


def with_dormancy_history(evidence: DataFrame, prior: DataFrame | None) -> DataFrame:
    """Add ``last_dormant_date`` (latest earlier dormant snapshot) and ``active_since`` (first active
    snapshot after it), looking back through ``prior`` stages too.

    ``prior``: customer_id, snapshot_date, stage of snapshots staged before this batch (may be None).
    """
    rows = evidence.withColumn("is_prior", F.lit(False))
    if prior is not None:
        earlier = prior.select(
            "customer_id",
            "snapshot_date",
            (F.col("stage") == "exit").alias("is_exit"),
            (F.col("stage") == "dormant").alias("is_dormant"),
            F.lit(True).alias("is_prior"),
        )
        rows = rows.unionByName(earlier, allowMissingColumns=True)
    by_customer = Window.partitionBy("customer_id").orderBy("snapshot_date")
    before = by_customer.rowsBetween(Window.unboundedPreceding, -1)
    so_far = by_customer.rowsBetween(Window.unboundedPreceding, Window.currentRow)
    active = ~F.col("is_exit") & ~F.col("is_dormant")
    resumed = active & F.coalesce(F.lag("is_dormant").over(by_customer), F.lit(False))
    with_history = (
        rows.withColumn(
            "last_dormant_date", F.max(F.when(F.col("is_dormant"), F.col("snapshot_date"))).over(before)
        )
        .withColumn("resumed_on", F.when(resumed, F.col("snapshot_date")))
        .withColumn("active_since", F.max("resumed_on").over(so_far))
    )
    return with_history.where(~F.col("is_prior")).drop("is_prior", "resumed_on")


def stage_rules(settings: LifecycleSettings) -> list[tuple[str, Column, str]]:
    """(stage, condition, rule text) in priority order; the first true condition decides."""
    s = settings
    acq, build = s.acquisition_max_tenure_months, s.build_up_max_tenure_months
    tenure, spend, balance = F.col("tenure_months"), F.col("spend_trend"), F.col("balance_trend")
    acq_limit, build_limit = F.col("acquisition_limit"), F.col("build_up_limit")
    by_quantile = F.col("bands_from_quantiles")

    def band_text(stage: str, limit: Column, fixed: int, quantile: float) -> Column:
        return F.when(
            by_quantile,
            F.concat(
                F.lit(f"{stage}: tenure_months <= "),
                limit.cast("string"),
                F.lit(f" (book quantile {quantile})"),
            ),
        ).otherwise(F.lit(f"{stage}: tenure_months <= {fixed}"))

    spend_falls = F.coalesce(spend < s.decline_ratio, F.lit(False))
    balance_falls = F.coalesce(balance < s.decline_ratio, F.lit(False))
    declining, decline_text = {
        "spend": (spend_falls, f"spend_trend < {s.decline_ratio}"),
        # Without a balance trend (transactions only) the spend trend decides.
        "balance": (
            F.when(balance.isNull(), spend_falls).otherwise(balance_falls),
            f"balance_trend (spend_trend if no balance) < {s.decline_ratio}",
        ),
        "either": (spend_falls | balance_falls, f"spend_trend or balance_trend < {s.decline_ratio}"),
        "both": (spend_falls & balance_falls, f"spend_trend and balance_trend < {s.decline_ratio}"),
    }[s.decline_signal]
    months_active = month_index(F.col("snapshot_date")) - month_index(F.col("active_since"))
    reactivated = (
        F.col("last_dormant_date").isNotNull()
        & (F.col("active_since") > F.col("last_dormant_date"))
        & (months_active < s.reactivated_months)
    )
    growing = (spend >= s.growth_ratio) & (F.col("product_count") < s.maturity_min_products)
    return [
        (
            "exit",
            F.col("is_long_silence"),
            f"exit (inferred, account closures unknown): no transaction for >= {s.exit_inactive_days} days",
        ),
        (
            "exit",
            F.col("is_inferred_exit"),
            f"exit (inferred, account closures unknown): no transaction for >= {s.dormant_inactive_days} days"
            f" and BG/NBD P(alive) < {s.exit_p_alive_below}",
        ),
        ("exit", F.col("is_exit"), "exit: all_accounts_closed"),
        ("dormant", F.col("is_dormant"), f"dormant: no transaction for >= {s.dormant_inactive_days} days"),
        (
            "reactivated",
            reactivated,
            f"reactivated: active again after dormancy, < {s.reactivated_months} months",
        ),
        (
            "acquisition",
            tenure <= acq_limit,
            band_text("acquisition", acq_limit, acq, s.acquisition_quantile),
        ),
        ("decline", declining, f"decline: {decline_text}"),
        ("build_up", tenure <= build_limit, band_text("build_up", build_limit, build, s.build_up_quantile)),
        (
            "build_up",
            growing,
            f"build_up: still growing (spend_trend >= {s.growth_ratio}, product_count < {s.maturity_min_products})",
        ),
        (
            "maturity",
            tenure > build_limit,
            F.when(
                by_quantile,
                F.concat(
                    F.lit("maturity: tenure_months > "),
                    build_limit.cast("string"),
                    F.lit(f" (book quantile {s.build_up_quantile})"),
                ),
            ).otherwise(F.lit(f"maturity: tenure_months > {build}")),
        ),
    ]


def with_tenure_bands(evidence: DataFrame, settings: LifecycleSettings) -> DataFrame:
    """Add acquisition_limit and build_up_limit (tenure months) per snapshot and bands_from_quantiles.

    fixed: the configured limits. quantiles: the snapshot's tenure quantiles. auto: quantiles where no
    customer of the snapshot is past build_up_max_tenure_months, else fixed.
    """
    s = settings
    book = evidence.groupBy("snapshot_date").agg(
        F.percentile_approx("tenure_months", [s.acquisition_quantile, s.build_up_quantile]).alias("q"),
        F.max("tenure_months").alias("max_tenure"),
    )
    use_quantiles = {
        "fixed": F.lit(False),
        "quantiles": F.lit(True),
        "auto": F.coalesce(F.col("max_tenure") <= s.build_up_max_tenure_months, F.lit(False)),
    }[s.tenure_bands]
    limits = book.select(
        "snapshot_date",
        use_quantiles.alias("bands_from_quantiles"),
        F.when(use_quantiles, F.col("q")[0])
        .otherwise(s.acquisition_max_tenure_months)
        .alias("acquisition_limit"),
        # At least one month above acquisition, so build-up is never empty by construction.
        F.when(use_quantiles, F.greatest(F.col("q")[1], F.col("q")[0] + 1))
        .otherwise(s.build_up_max_tenure_months)
        .alias("build_up_limit"),
    )
    return evidence.join(F.broadcast(limits), "snapshot_date", "left")


def with_lifecycle_stage(
    features: DataFrame, settings: LifecycleSettings, prior: DataFrame | None = None
) -> DataFrame:
    """Stage every customer x snapshot of ``features``; output columns ``STAGE_COLUMNS``.

    ``features``: gold.customer_features rows (``FEATURE_COLUMNS``). ``prior``: earlier stages
    (customer_id, snapshot_date, stage) so dormancy before this batch is seen; None on the first run.
    """
    staged = with_tenure_bands(with_dormancy_history(with_evidence(features, settings), prior), settings)
    stage, rule = None, None
    for name, condition, text in stage_rules(settings):
        hit = F.coalesce(condition, F.lit(False))
        stage = F.when(hit, name) if stage is None else stage.when(hit, name)
        rule = F.when(hit, text) if rule is None else rule.when(hit, text)
    # Only a missing tenure reaches here: no tenure rule could hold.
    stage = stage.otherwise("maturity")
    rule = rule.otherwise("maturity: no earlier rule held (tenure_months unknown)")
    return staged.withColumn("stage", stage).withColumn("rule", rule).select(*STAGE_COLUMNS)
