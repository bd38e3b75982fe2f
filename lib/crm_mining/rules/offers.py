"""Next-best-offer from cross-sell rules, plus the popularity and random baselines it is measured against.

Score (rules): for a customer holding the items H and a product P not in H, the matching rules are the
rules A -> P with A a subset of H and lift >= ``rules.offers.min_lift``. The score is the best confidence
among them, i.e. the estimated P(P | A) of the most specific evidence the customer shows; ties are broken
by lift, then support, then the antecedent. That rule is the offer's justification (antecedent,
confidence, lift). Products ranked by score (then lift, then product code); the top k are offered.

Everything is a join: customers' held items are exploded and joined to the rules (broadcast, bounded by
the rule ceiling) on the antecedent's first item, then the antecedent is checked to be a subset.
Excluded customers and ineligible products (gold.offer_exclusions) are removed before ranking.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

OFFER_COLUMNS = (
    "customer_id", "snapshot_date", "rank", "product", "score", "rule_antecedent", "rule_confidence",
    "rule_lift", "rule_support",
)  # fmt: skip


def matching_rules(holdings: DataFrame, rules: DataFrame, min_lift: float) -> DataFrame:
    """(snapshot_date, customer_id, product, antecedent, confidence, lift, support): rules a customer matches.

    ``holdings``: snapshot_date, customer_id, items; ``rules``: snapshot_date, antecedent, consequent,
    confidence, lift, support (one snapshot's or several). Products already held never match.
    """
    usable = rules.where(F.col("lift") >= min_lift).select(
        "snapshot_date",
        F.element_at("antecedent", 1).alias("item"),
        "antecedent",
        F.element_at("consequent", 1).alias("product"),
        "confidence",
        "lift",
        "support",
    )
    exploded = holdings.select("snapshot_date", "customer_id", "items", F.explode("items").alias("item"))
    joined = exploded.join(F.broadcast(usable), ["snapshot_date", "item"])
    subset = F.size(F.array_except("antecedent", "items")) == 0
    return joined.where(subset & ~F.array_contains("items", F.col("product"))).select(
        "snapshot_date", "customer_id", "product", "antecedent", "confidence", "lift", "support"
    )


def without_exclusions(candidates: DataFrame, exclusions: DataFrame) -> DataFrame:
    """``candidates`` (snapshot_date, customer_id, product, ...) minus excluded customers and products."""
    keys = ["snapshot_date", "customer_id"]
    customers = exclusions.where(F.col("product").isNull()).select(*keys).distinct()
    products = exclusions.where(F.col("product").isNotNull()).select(*keys, "product").distinct()
    return candidates.join(customers, keys, "left_anti").join(products, [*keys, "product"], "left_anti")


def rule_offers(
    holdings: DataFrame, rules: DataFrame, exclusions: DataFrame, top_k: int, min_lift: float
) -> DataFrame:
    """OFFER_COLUMNS: each customer's top ``top_k`` eligible products by rule score."""
    matches = without_exclusions(matching_rules(holdings, rules, min_lift), exclusions)
    per_product = Window.partitionBy("snapshot_date", "customer_id", "product").orderBy(
        F.desc("confidence"), F.desc("lift"), F.desc("support"), F.array_join("antecedent", ",")
    )
    best = matches.withColumn("n", F.row_number().over(per_product)).where(F.col("n") == 1)
    scored = best.select(
        "snapshot_date",
        "customer_id",
        "product",
        F.col("confidence").alias("score"),
        F.col("antecedent").alias("rule_antecedent"),
        F.col("confidence").alias("rule_confidence"),
        F.col("lift").alias("rule_lift"),
        F.col("support").alias("rule_support"),
    )
    return top_ranked(scored, top_k, F.desc("score"), F.desc("rule_lift"))


def top_ranked(scored: DataFrame, top_k: int, *order: F.Column) -> DataFrame:
    """The first ``top_k`` products per customer and snapshot by ``order`` (then product code), ranked 1..k."""
    window = Window.partitionBy("snapshot_date", "customer_id").orderBy(*order, F.col("product"))
    ranked = scored.withColumn("rank", F.row_number().over(window)).where(F.col("rank") <= top_k)
    return ranked.select(
        "customer_id",
        "snapshot_date",
        F.col("rank").cast("int").alias("rank"),
        "product",
        F.col("score").cast("double").alias("score"),
        F.col("rule_antecedent").cast("array<string>").alias("rule_antecedent"),
        F.col("rule_confidence").cast("double").alias("rule_confidence"),
        F.col("rule_lift").cast("double").alias("rule_lift"),
        F.col("rule_support").cast("double").alias("rule_support"),
    )


def product_popularity(holdings: DataFrame) -> DataFrame:
    """(snapshot_date, product, popularity): the share of customers holding each product."""
    customers = holdings.groupBy("snapshot_date").agg(F.count(F.lit(1)).alias("customers"))
    held = holdings.select("snapshot_date", F.explode("items").alias("product"))
    counts = held.groupBy("snapshot_date", "product").agg(F.count(F.lit(1)).alias("holders"))
    return counts.join(customers, "snapshot_date").select(
        "snapshot_date", "product", (F.col("holders") / F.col("customers")).alias("popularity")
    )


def not_held_candidates(holdings: DataFrame, popularity: DataFrame) -> DataFrame:
    """(snapshot_date, customer_id, product, popularity) for every product seen at the snapshot but not held."""
    products = popularity.groupBy("snapshot_date").agg(F.collect_list("product").alias("catalogue"))
    # One row per snapshot holding the distinct products: bounded by the catalogue, broadcast.
    with_catalogue = holdings.join(F.broadcast(products), "snapshot_date")
    candidates = with_catalogue.select(
        "snapshot_date", "customer_id", F.explode(F.array_except("catalogue", "items")).alias("product")
    )
    return candidates.join(F.broadcast(popularity), ["snapshot_date", "product"])


def baseline_offers(
    holdings: DataFrame, exclusions: DataFrame, top_k: int, method: str, seed: int = 0
) -> DataFrame:
    """OFFER_COLUMNS for ``popularity`` (most held products not held) or ``random`` (seeded hash order)."""
    candidates = without_exclusions(not_held_candidates(holdings, product_popularity(holdings)), exclusions)
    if method == "popularity":
        score = F.col("popularity")
    else:
        # A deterministic pseudo-random score per (customer, product): reruns give the same baseline.
        score = F.abs(F.xxhash64(F.lit(seed), "customer_id", "product")) / F.lit(float(2**63))
    nothing = F.lit(None)
    scored = candidates.select(
        "snapshot_date",
        "customer_id",
        "product",
        score.alias("score"),
        nothing.alias("rule_antecedent"),
        nothing.alias("rule_confidence"),
        nothing.alias("rule_lift"),
        nothing.alias("rule_support"),
    )
    return top_ranked(scored, top_k, F.desc("score"))
