"""Risk association rules: attribute bands -> risk level, and the campaign exclusion they drive.

Items per customer and snapshot (``rules.risk``): ``age=[35,45)``, ``tenure_months=[12,36)``,
``balance=>=100000``, ``utilisation=[0.6,0.9)`` (bands [edge_i, edge_i+1), below the first ``<e``, from the
last ``>=e``), each categorical column as ``gender=F``, and one ``risk_level=N`` item (from worst dpd).
FPGrowth mines them; only rules whose consequent is exactly one risk-level item are kept
(gold.risk_rules), e.g. ``age=[45,55) & marital_status=SINGLE -> risk_level=2``.

A rule is flagged for exclusion when its level >= ``exclude_level``, confidence >= ``exclude_min_confidence``
and lift >= ``exclude_min_lift``; a customer whose items contain a flagged rule's antecedent is excluded
(reason RISK_RULE, the rule with the best confidence as detail).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining.config.rules import RiskSettings

RISK_PREFIX = "risk_level="
# Numeric gold.customer_features columns -> item name and the settings field with its band edges.
NUMERIC_ATTRIBUTES = (
    ("age_years", "age", "age_bands"),
    ("tenure_months", "tenure_months", "tenure_bands_months"),
    ("balance_total", "balance", "balance_bands"),
    ("credit_utilisation", "utilisation", "utilisation_bands"),
)


def band(value: Column, edges: list[float]) -> Column:
    """The band label of ``value``: ``<e0``, ``[e0,e1)``, ..., ``>=en``; null for a null value."""
    if not edges:
        return F.lit(None).cast("string")
    text = [f"{e:g}" for e in edges]
    label = F.when(value < edges[0], F.lit(f"<{text[0]}"))
    for high, low_text, high_text in zip(edges[1:], text, text[1:], strict=False):
        label = label.when(value < high, F.lit(f"[{low_text},{high_text})"))
    label = label.otherwise(F.lit(f">={text[-1]}"))
    return F.when(value.isNotNull(), label)


def attribute_items(profiles: DataFrame, settings: RiskSettings) -> DataFrame:
    """(snapshot_date, customer_id, attributes): the attribute-band items present in ``profiles``."""
    items = []
    for column, name, edges_field in NUMERIC_ATTRIBUTES:
        if column in profiles.columns:
            labelled = band(F.col(column).cast("double"), getattr(settings, edges_field))
            items.append(F.concat(F.lit(f"{name}="), labelled))
    for column in settings.categorical:
        if column in profiles.columns:
            value = F.trim(F.col(column).cast("string"))
            items.append(F.when(value != "", F.concat(F.lit(f"{column}="), value)))
    attributes = F.filter(F.array(*items), lambda item: item.isNotNull()) if items else F.array()
    return profiles.select(
        "snapshot_date", "customer_id", attributes.cast("array<string>").alias("attributes")
    )


def risk_baskets(profiles: DataFrame, settings: RiskSettings) -> DataFrame:
    """(snapshot_date, customer_id, risk_level, attributes, items): attributes plus the risk-level item.

    ``profiles`` needs risk_level; customers without one are left out.
    """
    known = profiles.where(F.col("risk_level").isNotNull())
    with_attributes = attribute_items(known, settings).join(
        known.select("snapshot_date", "customer_id", "risk_level"), ["snapshot_date", "customer_id"]
    )
    level_item = F.concat(F.lit(RISK_PREFIX), F.col("risk_level").cast("string"))
    return with_attributes.select(
        "snapshot_date",
        "customer_id",
        "risk_level",
        "attributes",
        F.array_sort(F.array_union("attributes", F.array(level_item))).alias("items"),
    )


def is_risk_rule() -> Column:
    """One consequent, a risk-level item, and no risk-level item in the antecedent."""
    consequent_is_level = F.element_at("consequent", 1).startswith(RISK_PREFIX)
    antecedent_has_level = F.exists("antecedent", lambda item: item.startswith(RISK_PREFIX))
    return (F.size("consequent") == 1) & consequent_is_level & ~antecedent_has_level


def flagged_rules(rules: DataFrame, settings: RiskSettings) -> DataFrame:
    """Risk rules (mining.RULE_COLUMNS) plus ``risk_level`` and ``excludes`` (the campaign exclusion flag)."""
    level = F.substring_index(F.element_at("consequent", 1), "=", -1).cast("int")
    excludes = (
        (level >= settings.exclude_level)
        & (F.col("confidence") >= settings.exclude_min_confidence)
        & (F.col("lift") >= settings.exclude_min_lift)
    )
    return rules.withColumns({"risk_level": level, "excludes": excludes})


def rule_text(antecedent: Column, consequent: Column) -> Column:
    return F.concat(F.array_join(antecedent, " & "), F.lit(" -> "), F.element_at(consequent, 1))


def risk_rule_matches(baskets: DataFrame, rules: DataFrame) -> DataFrame:
    """RISK_RULE exclusions: customers whose attributes contain a flagged rule's antecedent.

    ``baskets``: risk_baskets (snapshot_date, customer_id, risk_level, attributes); ``rules``: flagged_rules
    with snapshot_date. One row per customer: the matching rule with the best confidence (then lift);
    ``risk_level`` is the customer's current level.
    """
    flagged = rules.where("excludes").select(
        "snapshot_date",
        F.element_at("antecedent", 1).alias("item"),
        "antecedent",
        "consequent",
        "confidence",
        "lift",
    )
    exploded = baskets.select(
        "snapshot_date", "customer_id", "risk_level", "attributes", F.explode("attributes").alias("item")
    )
    matched = exploded.join(F.broadcast(flagged), ["snapshot_date", "item"]).where(
        F.size(F.array_except("antecedent", "attributes")) == 0
    )
    best = Window.partitionBy("snapshot_date", "customer_id").orderBy(
        F.desc("confidence"), F.desc("lift"), F.array_join("antecedent", ",")
    )
    first = matched.withColumn("n", F.row_number().over(best)).where(F.col("n") == 1)
    detail = F.format_string(
        "%s (confidence %.2f, lift %.2f)",
        rule_text(F.col("antecedent"), F.col("consequent")),
        "confidence",
        "lift",
    )
    return first.select(
        "snapshot_date",
        "customer_id",
        F.lit(None).cast("string").alias("product"),
        F.lit("RISK_RULE").alias("reason"),
        detail.alias("detail"),
        F.col("risk_level").cast("int").alias("risk_level"),
    )
