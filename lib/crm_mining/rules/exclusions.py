"""Who and what is kept out of a campaign: gold.offer_exclusions, each row with its reason.

Reasons (``product`` null means the customer gets no offer at all):

- RISK_LEVEL: risk level >= ``rules.offers.exclude_risk_level``. There is no risk model table yet, so the
  level comes from the worst days past due (``rules.risk.dpd_column``) and the bands of
  ``rules.risk.level_min_dpd`` (1: never late, 2: 1-29, 3: 30-89, 4: 90+ by default);
- RISK_RULE: the customer matches a flagged risk rule (see ``crm_mining.rules.risk``);
- AGE_LIMIT (per product): age outside ``rules.offers.age_limits`` for that product;
- DELINQUENT_CREDIT (per product): a credit product while worst dpd >= ``rules.offers.delinquent_dpd``;
- OPEN_FRAUD_ALERT: the customer has an open alert in gold.transaction_alerts (``crm-mining fraud``) dated in
  the ``rules.offers.fraud_alert_open_days`` up to the snapshot; none when that table does not exist.

Product rows are written only for products the customer does not hold (the ones an offer could name).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining.config.rules import OfferSettings

EXCLUSION_COLUMNS = ("snapshot_date", "customer_id", "product", "reason", "detail", "risk_level")


def risk_level(dpd: Column, level_min_dpd: list[int]) -> Column:
    """1-4 from worst days past due and the level bounds [0, b2, b3, b4]; null when dpd is unknown."""
    _, second, third, fourth = level_min_dpd
    return (
        F.when(dpd.isNull(), None)
        .when(dpd >= fourth, 4)
        .when(dpd >= third, 3)
        .when(dpd >= second, 2)
        .otherwise(1)
        .cast("int")
    )


def risk_level_exclusions(profiles: DataFrame, dpd_column: str, level: int) -> DataFrame:
    """Customers whose risk_level >= ``level`` (profiles: snapshot_date, customer_id, worst_dpd, risk_level)."""
    excluded = profiles.where(F.col("risk_level") >= level)
    detail = F.format_string(f"risk level %d >= {level} ({dpd_column} = %d)", "risk_level", "worst_dpd")
    return excluded.select(
        "snapshot_date",
        "customer_id",
        F.lit(None).cast("string").alias("product"),
        F.lit("RISK_LEVEL").alias("reason"),
        detail.alias("detail"),
        "risk_level",
    )


def not_held(products: list[str]) -> Column:
    """The products of ``products`` that the customer (column ``items``) does not hold."""
    return F.array_except(F.array(*[F.lit(p) for p in products]), F.col("items"))


def age_exclusions(profiles: DataFrame, age_limits: dict[str, list[int]]) -> DataFrame:
    """One row per customer and not-held product whose age limits the customer's age_years is outside."""
    if not age_limits:
        return empty_exclusions(profiles)
    limits = F.create_map(
        *[x for p, (low, high) in age_limits.items() for x in (F.lit(p), F.array(F.lit(low), F.lit(high)))]
    )
    candidates = profiles.where(F.col("age_years").isNotNull()).select(
        "snapshot_date",
        "customer_id",
        "age_years",
        "risk_level",
        F.explode(not_held(list(age_limits))).alias("product"),
    )
    low, high = limits[F.col("product")][0], limits[F.col("product")][1]
    outside = candidates.where((F.col("age_years") < low) | (F.col("age_years") > high))
    return outside.select(
        "snapshot_date",
        "customer_id",
        "product",
        F.lit("AGE_LIMIT").alias("reason"),
        F.format_string("age %d outside %d-%d", "age_years", low, high).alias("detail"),
        "risk_level",
    )


def delinquency_exclusions(profiles: DataFrame, settings: OfferSettings, dpd_column: str) -> DataFrame:
    """One row per delinquent customer (worst_dpd >= delinquent_dpd) and not-held credit product."""
    if not settings.credit_products:
        return empty_exclusions(profiles)
    delinquent = profiles.where(F.col("worst_dpd") >= settings.delinquent_dpd)
    rows = delinquent.select(
        "snapshot_date",
        "customer_id",
        "worst_dpd",
        "risk_level",
        F.explode(not_held(settings.credit_products)).alias("product"),
    )
    detail = F.format_string(
        f"credit product while {dpd_column} = %d >= {settings.delinquent_dpd}", "worst_dpd"
    )
    return rows.select(
        "snapshot_date",
        "customer_id",
        "product",
        F.lit("DELINQUENT_CREDIT").alias("reason"),
        detail.alias("detail"),
        "risk_level",
    )


def fraud_alert_exclusions(profiles: DataFrame, alerts: DataFrame, open_days: int) -> DataFrame:
    """Customers of ``profiles`` with an open alert (alerts: customer_id, alert_date, score, status) dated in
    (snapshot - ``open_days``, snapshot]: one row each, the latest alert in the detail."""
    open_alerts = alerts.where(F.col("status") == "open").select("customer_id", "alert_date", "score")
    window_start = F.date_sub(F.col("snapshot_date"), open_days)
    in_window = (F.col("alert_date") <= F.col("snapshot_date")) & (F.col("alert_date") > window_start)
    hits = (
        profiles.select("snapshot_date", "customer_id", "risk_level")
        .join(open_alerts, "customer_id")
        .where(in_window)
        .groupBy("snapshot_date", "customer_id", "risk_level")
        .agg(F.count("*").alias("alerts"), F.max("alert_date").alias("latest"), F.max("score").alias("score"))
    )
    detail = F.format_string(
        f"%d open fraud alert(s) in the {open_days} days to the snapshot, latest %s, top score %.1f",
        "alerts",
        F.col("latest").cast("string"),
        "score",
    )
    return hits.select(
        "snapshot_date",
        "customer_id",
        F.lit(None).cast("string").alias("product"),
        F.lit("OPEN_FRAUD_ALERT").alias("reason"),
        detail.alias("detail"),
        "risk_level",
    )


def empty_exclusions(profiles: DataFrame) -> DataFrame:
    return profiles.sparkSession.createDataFrame(
        [],
        "snapshot_date date, customer_id string, product string, reason string, detail string, risk_level int",
    )


def offer_exclusions(
    profiles: DataFrame,
    settings: OfferSettings,
    dpd_column: str,
    risk_rule_matches: DataFrame | None,
    use_risk: bool,
    fraud_alerts: DataFrame | None = None,
) -> DataFrame:
    """Every exclusion (EXCLUSION_COLUMNS) of ``profiles`` at its snapshots.

    ``profiles``: snapshot_date, customer_id, items, age_years, worst_dpd, risk_level.
    ``risk_rule_matches``: RISK_RULE rows (EXCLUSION_COLUMNS) or None. ``use_risk`` false (no dpd data)
    leaves out the RISK_LEVEL and DELINQUENT_CREDIT reasons. ``fraud_alerts``: gold.transaction_alerts, or
    None (no OPEN_FRAUD_ALERT rows).
    """
    parts = [age_exclusions(profiles, settings.age_limits)]
    if use_risk:
        parts.append(risk_level_exclusions(profiles, dpd_column, settings.exclude_risk_level))
        parts.append(delinquency_exclusions(profiles, settings, dpd_column))
    if risk_rule_matches is not None:
        parts.append(risk_rule_matches)
    if fraud_alerts is not None:
        parts.append(fraud_alert_exclusions(profiles, fraud_alerts, settings.fraud_alert_open_days))
    combined = parts[0]
    for part in parts[1:]:
        combined = combined.unionByName(part)
    return combined.select(*EXCLUSION_COLUMNS)
