"""The `rules` stage: cross-sell rules, coverage and depth, next-best-offer with exclusions, risk rules.

``mine_rules(spark, config)`` reads gold.customer_features and gold.labels (or a user's own basket table,
``rules.input``) and writes gold.frequent_itemsets, gold.cross_sell_rules, gold.product_coverage,
gold.product_depth, gold.risk_rules, gold.offer_exclusions, gold.next_best_offers, gold.offer_evaluation
and gold.exclusion_validation. See docs/rules.md.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from dataclasses import dataclass, field

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining import CrmMiningError
from crm_mining.config import Config
from crm_mining.config.rules import RulesSettings
from crm_mining.inputs import load_transactions, optional_columns
from crm_mining.rules.baskets import (
    category_baskets,
    own_baskets,
    product_baskets,
    read_basket_source,
    source_text,
    unusable_rows,
)
from crm_mining.rules.coverage import closed_label_windows, product_coverage, product_depth
from crm_mining.rules.evaluation import offer_metrics, opened_products
from crm_mining.rules.exclusions import offer_exclusions, risk_level
from crm_mining.rules.mining import ITEMSET_COLUMNS, RULE_COLUMNS, MiningParams, mine
from crm_mining.rules.offers import baseline_offers, rule_offers
from crm_mining.rules.risk import (
    NUMERIC_ATTRIBUTES,
    flagged_rules,
    is_risk_rule,
    risk_baskets,
    risk_rule_matches,
)
from crm_mining.rules.validation import exclusion_validation
from crm_mining.tables import Lake

log = logging.getLogger(__name__)

FEATURES, LABELS = "gold.customer_features", "gold.labels"
ALERTS = "gold.transaction_alerts"
METHODS = ("rules", "popularity", "random")


@dataclass
class Source:
    """The stage's inputs, whatever their origin.

    ``baskets``: snapshot_date, customer_id, items (non-empty); ``profiles``: one row per customer and
    snapshot with items, age_years, worst_dpd, risk_level, active_90d and the risk attributes present;
    ``labels``: gold.labels or None; ``has_risk``: worst dpd is known (risk level and rules possible).
    """

    baskets: DataFrame
    profiles: DataFrame
    labels: DataFrame | None
    has_risk: bool
    origin: str


@dataclass
class SnapshotRun:
    """Everything computed at one snapshot (DataFrames carry snapshot_date)."""

    itemsets: DataFrame
    rules: DataFrame
    rule_count: int
    exclusions: DataFrame
    offers: DataFrame
    risk_rules: DataFrame | None = None
    risk_rule_count: int = 0


@dataclass
class Context:
    spark: SparkSession
    config: Config
    source: Source
    run_id: str
    cached: list[DataFrame] = field(default_factory=list)
    # gold.transaction_alerts when it exists and rules.offers.exclude_fraud_alerts is on, else None.
    fraud_alerts: DataFrame | None = None
    runs: dict[dt.date, SnapshotRun] = field(default_factory=dict)
    risk: dict[dt.date, tuple[DataFrame | None, int, DataFrame]] = field(default_factory=dict)

    @property
    def settings(self) -> RulesSettings:
        return self.config.rules


def new_run_id() -> str:
    return f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def dates_sql(dates: list[dt.date]) -> str:
    return ", ".join(f"DATE'{d.isoformat()}'" for d in dates)


# -- inputs --------------------------------------------------------------------------------------------
def lake_source(spark: SparkSession, lake: Lake, settings: RulesSettings) -> Source:
    """Baskets and profiles from gold.customer_features, labels from gold.labels when present."""
    features = lake.read(spark, FEATURES)
    if "products" not in features.columns:
        raise CrmMiningError(
            f"{FEATURES} has no 'products' column (silver.accounts was missing); nothing to mine"
        )
    baskets = product_baskets(features)
    dpd = settings.risk.dpd_column
    has_risk = dpd in features.columns
    if not has_risk:
        log.warning(
            "%s has no column '%s': risk levels, risk rules and risk exclusions are skipped", FEATURES, dpd
        )
    worst_dpd = F.col(dpd).cast("int") if has_risk else F.lit(None).cast("int")
    extra = [c for c, _, _ in NUMERIC_ATTRIBUTES if c in features.columns and c != "age_years"]
    extra += [c for c in settings.risk.categorical if c in features.columns and c not in extra]
    age = F.col("age_years").cast("int") if "age_years" in features.columns else F.lit(None).cast("int")
    active = (
        (F.col("txn_count_90d") > 0) if "txn_count_90d" in features.columns else F.lit(None).cast("boolean")
    )
    profiles = features.select(
        F.col("snapshot_date").cast("date").alias("snapshot_date"),
        F.col("customer_id").cast("string").alias("customer_id"),
        F.coalesce(F.col("products"), F.array().cast("array<string>")).alias("items"),
        age.alias("age_years"),
        worst_dpd.alias("worst_dpd"),
        risk_level(worst_dpd, settings.risk.level_min_dpd).alias("risk_level"),
        active.alias("active_90d"),
        *extra,
    )
    labels = lake.read(spark, LABELS) if lake.exists(spark, LABELS) else None
    if labels is None:
        log.warning("%s does not exist: product depth has no churn or default rates", LABELS)
    return Source(baskets, profiles, labels, has_risk, FEATURES)


def own_source(spark: SparkSession, settings: RulesSettings) -> Source:
    """Baskets from the user's table; no risk data, so the exclusions needing it are skipped."""
    run_date = dt.date.today()
    raw = read_basket_source(spark, settings.input)
    baskets = own_baskets(raw, settings.input, run_date)
    bad = unusable_rows(raw, settings.input, run_date)
    if bad:
        log.warning(
            "%s: %d rows without a customer id or snapshot date left out", source_text(settings.input), bad
        )
    log.info(
        "%s has no risk data: the RISK_LEVEL, RISK_RULE, DELINQUENT_CREDIT and AGE_LIMIT exclusions, risk "
        "rules and their validation are skipped",
        source_text(settings.input),
    )
    profiles = baskets.select(
        "snapshot_date",
        "customer_id",
        "items",
        F.lit(None).cast("int").alias("age_years"),
        F.lit(None).cast("int").alias("worst_dpd"),
        F.lit(None).cast("int").alias("risk_level"),
        F.lit(None).cast("boolean").alias("active_90d"),
    )
    return Source(baskets, profiles, None, False, source_text(settings.input))


def chosen_snapshots(baskets: DataFrame, settings: RulesSettings) -> tuple[list[dt.date], list[dt.date]]:
    """(snapshots to mine, every snapshot present): ``rules.snapshot_dates`` or the latest one."""
    # One row per snapshot date: bounded by the number of snapshots, not by customers.
    present = sorted(r.snapshot_date for r in baskets.select("snapshot_date").distinct().collect())
    if not present:
        raise CrmMiningError("no product baskets: every customer holds nothing; nothing to mine")
    wanted = sorted(settings.snapshot_dates) or present[-1:]
    missing = [d.isoformat() for d in wanted if d not in set(present)]
    if missing:
        raise CrmMiningError(
            f"rules.snapshot_dates {', '.join(missing)} have no baskets (snapshots {present[0]} .. {present[-1]})"
        )
    return wanted, present


# -- per snapshot --------------------------------------------------------------------------------------
def params_for(settings, path: str, what: str, baskets_per_partition: int) -> MiningParams:
    return MiningParams(
        min_support=settings.min_support,
        min_confidence=settings.min_confidence,
        min_lift=settings.min_lift,
        max_itemset_size=settings.max_itemset_size,
        max_rules=settings.max_rules,
        baskets_per_partition=baskets_per_partition,
        config_path=path,
        what=what,
    )


def stamped(
    df: DataFrame, snapshot: dt.date, source: str, run_id: str, columns: tuple[str, ...]
) -> DataFrame:
    return df.select(
        F.lit(snapshot).cast("date").alias("snapshot_date"),
        F.lit(source).alias("basket_source"),
        *columns,
        F.lit(run_id).alias("run_id"),
    )


def risk_at(ctx: Context, snapshot: dt.date) -> tuple[DataFrame | None, int, DataFrame]:
    """(flagged risk rules or None, their count, exclusions) at ``snapshot``; memoised per run."""
    if snapshot in ctx.risk:
        return ctx.risk[snapshot]
    settings = ctx.settings
    profiles = ctx.source.profiles.where(F.col("snapshot_date") == F.lit(snapshot))
    rules, count, matches = None, 0, None
    if ctx.source.has_risk:
        baskets = risk_baskets(profiles, settings.risk).cache()
        ctx.cached.append(baskets)
        params = params_for(
            settings.risk, "rules.risk", f"risk baskets at {snapshot}", settings.baskets_per_partition
        )
        itemsets, mined, count = mine(baskets, params, keep=is_risk_rule())
        ctx.cached += [itemsets, mined]
        rules = flagged_rules(mined, settings.risk).withColumn("snapshot_date", F.lit(snapshot).cast("date"))
        if settings.offers.exclude_risk_rules:
            matches = risk_rule_matches(baskets, rules)
    exclusions = offer_exclusions(
        profiles,
        settings.offers,
        settings.risk.dpd_column,
        matches,
        use_risk=ctx.source.has_risk,
        fraud_alerts=ctx.fraud_alerts,
    ).cache()
    ctx.cached.append(exclusions)
    ctx.risk[snapshot] = (rules, count, exclusions)
    return ctx.risk[snapshot]


def run_snapshot(ctx: Context, snapshot: dt.date) -> SnapshotRun:
    """Product rules, exclusions and offers at ``snapshot``; memoised per run."""
    if snapshot in ctx.runs:
        return ctx.runs[snapshot]
    settings = ctx.settings
    holdings = ctx.source.baskets.where(F.col("snapshot_date") == F.lit(snapshot)).cache()
    ctx.cached.append(holdings)
    params = params_for(settings, "rules", f"product baskets at {snapshot}", settings.baskets_per_partition)
    itemsets, rules, count = mine(holdings, params)
    ctx.cached += [itemsets, rules]
    dated_rules = rules.withColumn("snapshot_date", F.lit(snapshot).cast("date"))
    risk_rules, risk_count, exclusions = risk_at(ctx, snapshot)
    offers = rule_offers(holdings, dated_rules, exclusions, settings.offers.top_k, settings.offers.min_lift)
    run = SnapshotRun(itemsets, dated_rules, count, exclusions, offers, risk_rules, risk_count)
    ctx.runs[snapshot] = run
    return run


# -- writers -------------------------------------------------------------------------------------------
def union_all(frames: list[DataFrame]) -> DataFrame:
    combined = frames[0]
    for frame in frames[1:]:
        combined = combined.unionByName(frame)
    return combined


def write_snapshots(lake: Lake, frames: list[DataFrame], name: str, snapshots: list[dt.date]) -> None:
    lake.write(union_all(frames), name, replace_where=f"snapshot_date IN ({dates_sql(snapshots)})")


def category_rules(ctx: Context, snapshots: list[dt.date]) -> tuple[list[DataFrame], list[DataFrame], dict]:
    """Itemsets and rules of merchant-category baskets (customer-months) at each snapshot."""
    transactions = load_transactions(ctx.spark, ctx.config)
    if "merchant_category" not in optional_columns(transactions):
        log.warning("transactions have no merchant_category: merchant-category rules are skipped")
        return [], [], {"skipped": "no merchant_category column"}
    settings = ctx.settings
    baskets = category_baskets(transactions, snapshots, settings.category_months).cache()
    ctx.cached.append(baskets)
    itemsets, rules, counts = [], [], {}
    for snapshot in snapshots:
        params = params_for(
            settings, "rules", f"merchant-category baskets at {snapshot}", settings.baskets_per_partition
        )
        mined_itemsets, mined_rules, count = mine(
            baskets.where(F.col("snapshot_date") == F.lit(snapshot)), params
        )
        ctx.cached += [mined_itemsets, mined_rules]
        itemsets.append(stamped(mined_itemsets, snapshot, "merchant_categories", ctx.run_id, ITEMSET_COLUMNS))
        rules.append(stamped(mined_rules, snapshot, "merchant_categories", ctx.run_id, RULE_COLUMNS))
        counts[snapshot.isoformat()] = count
    return itemsets, rules, counts


def evaluation_snapshot(present: list[dt.date], settings: RulesSettings) -> dt.date | None:
    """``rules.offers.evaluation_snapshot`` or the latest snapshot t with t + horizon inside the data."""
    horizon = settings.offers.evaluation_horizon_months
    if settings.offers.evaluation_snapshot:
        chosen = settings.offers.evaluation_snapshot
        if chosen not in present:
            raise CrmMiningError(f"rules.offers.evaluation_snapshot {chosen} has no baskets")
        return chosen
    last = present[-1]
    usable = [d for d in present if month_end_after(d, horizon) <= last]
    return usable[-1] if usable else None


def month_end_after(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def evaluate_offers(ctx: Context, snapshot: dt.date) -> DataFrame:
    """gold.offer_evaluation rows: rules vs popularity vs random at ``snapshot``."""
    settings = ctx.settings.offers
    run = run_snapshot(ctx, snapshot)
    holdings = ctx.source.baskets.where(F.col("snapshot_date") == F.lit(snapshot))
    offers = union_all(
        [
            run.offers.withColumn("method", F.lit("rules")),
            baseline_offers(holdings, run.exclusions, settings.top_k, "popularity").withColumn(
                "method", F.lit("popularity")
            ),
            baseline_offers(holdings, run.exclusions, settings.top_k, "random", settings.seed).withColumn(
                "method", F.lit("random")
            ),
        ]
    )
    excluded = run.exclusions.where(F.col("product").isNull()).select("customer_id")
    population = holdings.select("customer_id").join(excluded, "customer_id", "left_anti")
    opened = opened_products(ctx.source.baskets, snapshot, settings.evaluation_horizon_months)
    metrics = offer_metrics(offers, opened, population, list(METHODS), settings.top_k)
    return metrics.select(
        F.lit(snapshot).cast("date").alias("snapshot_date"),
        F.lit(settings.evaluation_horizon_months).alias("horizon_months"),
        "method",
        F.col("k").cast("int").alias("k"),
        "customers",
        "hit_rate",
        "precision",
        "map",
        F.lit(ctx.run_id).alias("run_id"),
    )


def validation_snapshot(labels: DataFrame, present: list[dt.date], chosen: dt.date | None) -> dt.date | None:
    """``chosen`` (``rules.risk.validation_snapshot``) or the latest snapshot whose default window has closed.

    A closed window has 0 labels: before it closes gold.labels holds only the defaults already seen
    (a positive is final early, a negative is not), which would make every rate 1. With
    ``labels.default_horizon_months`` = h that is the latest snapshot at least h months before the data end.
    """
    if chosen:
        return chosen
    # One row per labelled snapshot date: bounded by the number of snapshots.
    closed = closed_label_windows(labels, "default").where("default_closed")
    labelled = closed.select("snapshot_date").collect()
    dates = sorted(r.snapshot_date for r in labelled if r.snapshot_date in set(present))
    return dates[-1] if dates else None


def validate_exclusions(ctx: Context, present: list[dt.date]) -> DataFrame | None:
    snapshot = validation_snapshot(ctx.source.labels, present, ctx.settings.risk.validation_snapshot)
    if snapshot is None:
        return None
    _, _, exclusions = risk_at(ctx, snapshot)
    population = ctx.source.baskets.where(F.col("snapshot_date") == F.lit(snapshot)).select(
        "snapshot_date", "customer_id"
    )
    validation = exclusion_validation(population, exclusions, ctx.source.labels)
    return validation.withColumn("run_id", F.lit(ctx.run_id))


def rows_of(df: DataFrame, columns: list[str]) -> list[dict]:
    """Small, bounded result rows (metrics, group rates) as JSON-able dicts."""
    out = []
    for row in df.select(*columns).collect():
        out.append(
            {
                k: (round(v, 4) if isinstance(v, float) else v.isoformat() if isinstance(v, dt.date) else v)
                for k, v in row.asDict().items()
            }
        )
    return out


def open_fraud_alerts(
    spark: SparkSession, lake: Lake, settings: RulesSettings
) -> tuple[DataFrame | None, str]:
    """(gold.transaction_alerts or None, what the summary says about fraud exclusions)."""
    if not settings.offers.exclude_fraud_alerts:
        return None, "off (rules.offers.exclude_fraud_alerts is false)"
    if not lake.exists(spark, ALERTS):
        log.warning("%s does not exist (run `crm-mining fraud`): no fraud exclusions", ALERTS)
        return None, f"none: {ALERTS} does not exist"
    return lake.read(spark, ALERTS), f"customers with an open alert in {ALERTS} (OPEN_FRAUD_ALERT)"


# -- the stage -----------------------------------------------------------------------------------------
def mine_rules(spark: SparkSession, config: Config) -> dict:
    """Mine cross-sell and risk rules, measure coverage and depth, build and evaluate next-best-offers."""
    started = time.monotonic()
    settings = config.rules
    lake = Lake(config)
    source = (
        lake_source(spark, lake, settings) if settings.input.source == "lake" else own_source(spark, settings)
    )
    fraud_alerts, fraud_note = open_fraud_alerts(spark, lake, settings)
    ctx = Context(spark, config, source, new_run_id(), fraud_alerts=fraud_alerts)
    snapshots, present = chosen_snapshots(source.baskets, settings)
    summary: dict = {
        "run_id": ctx.run_id,
        "source": source.origin,
        "snapshots": [d.isoformat() for d in snapshots],
        "fraud_exclusions": fraud_note,
    }
    skipped: dict[str, str] = {}  # table -> why it is not written
    try:
        runs = [run_snapshot(ctx, d) for d in snapshots]
        itemsets = [
            stamped(r.itemsets, d, "products", ctx.run_id, ITEMSET_COLUMNS)
            for d, r in zip(snapshots, runs, strict=True)
        ]
        rules = [
            stamped(r.rules.drop("snapshot_date"), d, "products", ctx.run_id, RULE_COLUMNS)
            for d, r in zip(snapshots, runs, strict=True)
        ]
        summary["product_rules"] = {d.isoformat(): r.rule_count for d, r in zip(snapshots, runs, strict=True)}
        if "merchant_categories" in settings.basket_sources:
            more_itemsets, more_rules, counts = category_rules(ctx, snapshots)
            itemsets += more_itemsets
            rules += more_rules
            summary["merchant_category_rules"] = counts
        write_snapshots(lake, itemsets, "gold.frequent_itemsets", snapshots)
        write_snapshots(lake, rules, "gold.cross_sell_rules", snapshots)
        summary["itemsets"] = {
            d.isoformat(): lake.read(spark, "gold.frequent_itemsets")
            .where((F.col("snapshot_date") == F.lit(d)) & (F.col("basket_source") == "products"))
            .count()
            for d in snapshots
        }

        lake.write(
            product_coverage(
                spark, source.baskets, settings.coverage_target, settings.coverage_targets_pct
            ).withColumn("run_id", F.lit(ctx.run_id)),
            "gold.product_coverage",
        )
        depth_input = source.profiles.select(
            "snapshot_date", "customer_id", F.size("items").alias("product_count"), "active_90d"
        )
        lake.write(
            product_depth(depth_input, source.labels).withColumn("run_id", F.lit(ctx.run_id)),
            "gold.product_depth",
        )

        write_snapshots(lake, [r.exclusions for r in runs], "gold.offer_exclusions", snapshots)
        write_snapshots(
            lake,
            [r.offers.withColumn("run_id", F.lit(ctx.run_id)) for r in runs],
            "gold.next_best_offers",
            snapshots,
        )
        if source.has_risk:
            write_snapshots(
                lake,
                [
                    r.risk_rules.select(
                        "snapshot_date",
                        *RULE_COLUMNS,
                        "risk_level",
                        "excludes",
                        F.lit(ctx.run_id).alias("run_id"),
                    )
                    for r in runs
                ],
                "gold.risk_rules",
                snapshots,
            )
            summary["risk_rules"] = {
                d.isoformat(): r.risk_rule_count for d, r in zip(snapshots, runs, strict=True)
            }
        else:
            skipped["gold.risk_rules"] = f"{source.origin} has no risk data"
        written = lake.read(spark, "gold.offer_exclusions").where(F.col("snapshot_date").isin(snapshots))
        summary["exclusions"] = {r.reason: r["count"] for r in written.groupBy("reason").count().collect()}
        offers = lake.read(spark, "gold.next_best_offers").where(F.col("snapshot_date").isin(snapshots))
        summary["offers"] = offers.count()
        summary["customers_with_offers"] = offers.select("customer_id", "snapshot_date").distinct().count()

        t = evaluation_snapshot(present, settings)
        if t is None:
            horizon = settings.offers.evaluation_horizon_months
            skipped["gold.offer_evaluation"] = (
                f"no snapshot has rules.offers.evaluation_horizon_months={horizon} months of later snapshots "
                f"(snapshots {present[0]} .. {present[-1]})"
            )
        else:
            lake.write(
                evaluate_offers(ctx, t),
                "gold.offer_evaluation",
                replace_where=f"snapshot_date = DATE'{t.isoformat()}'",
            )
            evaluation = lake.read(spark, "gold.offer_evaluation").where(F.col("snapshot_date") == F.lit(t))
            summary["evaluation"] = rows_of(
                evaluation.orderBy("method"),
                ["snapshot_date", "method", "k", "customers", "hit_rate", "precision", "map"],
            )
        validation = None
        if not source.has_risk:
            skipped["gold.exclusion_validation"] = f"{source.origin} has no risk data"
        elif source.labels is None:
            skipped["gold.exclusion_validation"] = f"{LABELS} does not exist"
        else:
            validation = validate_exclusions(ctx, present)
            if validation is None:
                horizon = config.labels.default_horizon_months
                skipped["gold.exclusion_validation"] = (
                    f"no snapshot in {present[0]} .. {present[-1]} has a closed labels.default_horizon_months="
                    f"{horizon} default window in {LABELS} (the latest snapshot needs {horizon} more months)"
                )
        if validation is not None:
            lake.write(validation, "gold.exclusion_validation", mode="overwrite")
            summary["exclusion_validation"] = rows_of(
                lake.read(spark, "gold.exclusion_validation").orderBy("group"),
                ["snapshot_date", "group", "customers", "labelled", "defaults", "default_rate"],
            )
        for name, why in skipped.items():
            log.warning("%s is not written: %s", name, why)
        summary["skipped"] = skipped
    finally:
        for frame in ctx.cached:
            frame.unpersist()
    summary["seconds"] = round(time.monotonic() - started, 1)
    return summary
