"""Frequent itemsets and association rules with Spark MLlib FPGrowth, with the full metric set.

``mine(baskets, params)`` fits FPGrowth on one set of baskets (column ``items``: an array of distinct
strings) and returns the frequent itemsets and the rules, each metric computed from absolute counts:

- support(X) = count(X) / baskets; an itemset is frequent when support >= ``min_support``, i.e. when
  count >= ``min_count(min_support, baskets)`` (the smallest whole c with c / baskets >= min_support, the
  test mlxtend applies; Spark's own ``ceil(min_support * baskets)`` can be one higher when the product
  rounds up, e.g. 0.3 x 10, so FPGrowth is given a support between c - 1 and c);
- a rule A -> C has one consequent item (what FPGrowth's associationRules yields, and what an offer is);
  support = count(A u C) / baskets, confidence = count(A u C) / count(A), lift = confidence / support(C),
  leverage = support - support(A) x support(C), conviction = (1 - support(C)) / (1 - confidence).
  Conviction is null when confidence is 1 (mlxtend returns infinity there: a rule that never fails has
  no finite conviction, and null keeps the column usable by BI tools and JSON);
- itemsets and rules larger than ``max_itemset_size`` items are left out, rules below ``min_confidence``
  or ``min_lift`` too. More rules than ``max_rules`` stop the run (``TooManyRules``) with the support that
  would keep them under the ceiling: the output is never truncated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pyspark.ml.fpm import FPGrowth, FPGrowthModel
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining import CrmMiningError

ITEMSET_COLUMNS = ("items", "size", "count", "support", "baskets")
RULE_COLUMNS = (
    "antecedent", "consequent", "antecedent_count", "consequent_count", "count", "baskets",
    "antecedent_support", "consequent_support", "support", "confidence", "lift", "leverage", "conviction",
)  # fmt: skip


class TooManyRules(CrmMiningError):
    """The thresholds give more rules than the configured ceiling."""


@dataclass(frozen=True)
class MiningParams:
    min_support: float
    min_confidence: float
    min_lift: float
    max_itemset_size: int
    max_rules: int
    baskets_per_partition: int
    # How the thresholds are named in messages, e.g. "rules" -> "rules.min_support".
    config_path: str = "rules"
    # What is mined, for messages, e.g. "product baskets at 2025-06-30".
    what: str = "baskets"


def min_count(min_support: float, baskets: int) -> int:
    """The smallest whole count c >= 1 with c / baskets >= min_support (robust to float rounding)."""
    count = max(1, math.ceil(min_support * baskets))
    while count > 1 and (count - 1) / baskets >= min_support:
        count -= 1
    while count / baskets < min_support:
        count += 1
    return count


def partitions_for(baskets: int, baskets_per_partition: int) -> int:
    """FPGrowth numPartitions: one per ``baskets_per_partition`` baskets, at least 1."""
    return max(1, math.ceil(baskets / baskets_per_partition))


def fit_fpgrowth(baskets: DataFrame, count: int, params: MiningParams) -> FPGrowthModel:
    """FPGrowth on ``baskets.items`` (``count`` baskets) keeping itemsets with count >= min_count."""
    threshold = min_count(params.min_support, count)
    # Spark keeps count >= ceil(minSupport * n): (threshold - 0.5) / n makes that exactly ``threshold``.
    estimator = FPGrowth(
        itemsCol="items",
        minSupport=(threshold - 0.5) / count,
        minConfidence=params.min_confidence,
        numPartitions=partitions_for(count, params.baskets_per_partition),
    )
    return estimator.fit(baskets.select("items"))


def frequent_itemsets(model: FPGrowthModel, baskets: int, max_size: int) -> DataFrame:
    """(items sorted, size, count, support, baskets) of the model's itemsets up to ``max_size`` items."""
    return model.freqItemsets.where(F.size("items") <= max_size).select(
        F.array_sort("items").alias("items"),
        F.size("items").cast("int").alias("size"),
        F.col("freq").cast("long").alias("count"),
        (F.col("freq") / F.lit(baskets)).cast("double").alias("support"),
        F.lit(baskets).cast("long").alias("baskets"),
    )


def rules_with_metrics(model: FPGrowthModel, itemsets: DataFrame, params: MiningParams) -> DataFrame:
    """The model's one-consequent rules up to max_itemset_size, every metric from counts (RULE_COLUMNS).

    ``itemsets`` is ``frequent_itemsets(...)``: every antecedent, consequent and union of a kept rule is
    frequent (anti-monotone support), so the count joins never miss.
    """
    raw = model.associationRules.where(F.size("antecedent") + 1 <= params.max_itemset_size).select(
        F.array_sort("antecedent").alias("antecedent"),
        F.array_sort("consequent").alias("consequent"),
    )
    counts = itemsets.select("items", "count", "baskets")
    union = raw.withColumn("items", F.array_sort(F.array_union("antecedent", "consequent")))
    joined = (
        union.join(counts, "items")
        .join(
            counts.select(F.col("items").alias("antecedent"), F.col("count").alias("antecedent_count")),
            "antecedent",
        )
        .join(
            counts.select(F.col("items").alias("consequent"), F.col("count").alias("consequent_count")),
            "consequent",
        )
    )
    return with_rule_metrics(joined).where(
        (F.col("confidence") >= params.min_confidence) & (F.col("lift") >= params.min_lift)
    )


def with_rule_metrics(counts: DataFrame) -> DataFrame:
    """Rule metrics from antecedent_count, consequent_count, count (of the union) and baskets."""
    n = F.col("baskets").cast("double")
    support_a = F.col("antecedent_count") / n
    support_c = F.col("consequent_count") / n
    support = F.col("count") / n
    confidence = F.col("count") / F.col("antecedent_count").cast("double")
    return counts.select(
        "antecedent",
        "consequent",
        F.col("antecedent_count").cast("long").alias("antecedent_count"),
        F.col("consequent_count").cast("long").alias("consequent_count"),
        F.col("count").cast("long").alias("count"),
        F.col("baskets").cast("long").alias("baskets"),
        support_a.alias("antecedent_support"),
        support_c.alias("consequent_support"),
        support.alias("support"),
        confidence.alias("confidence"),
        (confidence / support_c).alias("lift"),
        (support - support_a * support_c).alias("leverage"),
        F.when(confidence < 1.0, (1.0 - support_c) / (1.0 - confidence)).alias("conviction"),
    )


def suggested_support(rules: DataFrame, baskets: int, max_rules: int) -> tuple[float, int] | None:
    """The lowest support (rounded up to 4 decimals) giving at most ``max_rules`` of ``rules``, and that count.

    A rule's support is its itemset's, and its antecedent is at least as frequent, so mining at support s
    gives exactly the rules here with support >= s. None when even the most frequent rules exceed it.
    """
    by_count = rules.groupBy("count").agg(F.count(F.lit(1)).alias("rules"))
    # One row per distinct rule count: bounded by the number of baskets, small in practice. Rules kept at
    # each count = rules at that count or above: a self-join, not a window without a partition.
    at_or_above = by_count.select(F.col("count").alias("above"), F.col("rules").alias("above_rules"))
    cumulative = (
        by_count.join(F.broadcast(at_or_above), F.col("above") >= F.col("count"))
        .groupBy("count")
        .agg(F.sum("above_rules").alias("kept"))
    )
    best = cumulative.where(F.col("kept") <= max_rules).agg(F.min("count").alias("count")).first()
    if best is None or best["count"] is None:
        return None
    support = math.ceil(best["count"] / baskets * 10_000) / 10_000
    threshold = min_count(support, baskets)
    kept = by_count.where(F.col("count") >= threshold).agg(F.sum("rules")).first()[0] or 0
    return support, int(kept)


def check_rule_ceiling(rules: DataFrame, baskets: int, params: MiningParams) -> int:
    """The number of rules; raises TooManyRules (with a suggested support) above params.max_rules."""
    total = rules.count()
    if total <= params.max_rules:
        return total
    path = params.config_path
    suggestion = suggested_support(rules, baskets, params.max_rules)
    if suggestion is None:
        hint = f"even the most frequent rules number more; raise {path}.max_rules"
    else:
        support, kept = suggestion
        hint = f"set {path}.min_support to at least {support:g} ({kept} rules) or raise {path}.max_rules"
    raise TooManyRules(
        f"{path}.min_support={params.min_support:g} gives {total} rules on {params.what} "
        f"({baskets} baskets), more than {path}.max_rules={params.max_rules}; {hint}"
    )


def mine(
    baskets: DataFrame, params: MiningParams, keep: Column | None = None
) -> tuple[DataFrame, DataFrame, int]:
    """Itemsets (ITEMSET_COLUMNS) and rules (RULE_COLUMNS) of ``baskets.items``, and the rule count.

    ``keep`` restricts the rules (e.g. to risk-level consequents) before the ceiling is checked.
    The itemsets and rules are cached (both are bounded by the thresholds and the rule ceiling);
    the caller unpersists them.
    """
    count = baskets.count()
    if count == 0:
        raise CrmMiningError(f"no baskets to mine in {params.what}")
    model = fit_fpgrowth(baskets, count, params)
    itemsets = frequent_itemsets(model, count, params.max_itemset_size).cache()
    rules = rules_with_metrics(model, itemsets, params)
    if keep is not None:
        rules = rules.where(keep)
    rules = rules.cache()
    try:
        total = check_rule_ceiling(rules, count, params)
    except TooManyRules:
        rules.unpersist()
        itemsets.unpersist()
        raise
    return itemsets, rules, total
