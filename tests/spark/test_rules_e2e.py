"""The rules stage end to end on the sample lake: every table, offer hygiene, evaluation and validation."""

from __future__ import annotations

from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining.rules import mine_rules
from crm_mining.tables import Lake

WRITES = (
    "gold.frequent_itemsets", "gold.cross_sell_rules", "gold.product_coverage", "gold.product_depth",
    "gold.risk_rules", "gold.offer_exclusions", "gold.next_best_offers", "gold.offer_evaluation",
    "gold.exclusion_validation",
)  # fmt: skip


def test_rules_stage_on_the_sample_lake(spark, sample_lake):
    summary = mine_rules(spark, sample_lake)
    lake = Lake(sample_lake)
    assert all(lake.exists(spark, name) for name in WRITES)
    assert summary["skipped"] == {}
    (snapshot,) = summary["snapshots"]  # the latest by default
    at = F.col("snapshot_date") == F.lit(snapshot)

    rules = lake.read(spark, "gold.cross_sell_rules").where(at)
    assert rules.count() == summary["product_rules"][snapshot] > 0
    assert lake.read(spark, "gold.frequent_itemsets").where(at).count() == summary["itemsets"][snapshot] > 0
    assert rules.where((F.size("consequent") != 1) | (F.col("lift") < 1.0)).count() == 0

    # Offers never name a held product, an ineligible product or an excluded customer.
    offers = lake.read(spark, "gold.next_best_offers").where(at)
    held = lake.read(spark, "gold.customer_features").where(at).select("customer_id", "products")
    assert offers.join(held, "customer_id").where(F.array_contains("products", F.col("product"))).count() == 0
    exclusions = lake.read(spark, "gold.offer_exclusions").where(at)
    customers = exclusions.where(F.col("product").isNull()).select("customer_id")
    products = exclusions.where(F.col("product").isNotNull()).select("customer_id", "product")
    assert offers.join(customers, "customer_id").count() == 0
    assert offers.join(products, ["customer_id", "product"]).count() == 0
    assert customers.count() > 0 and products.count() > 0
    assert offers.where(F.col("rank") > sample_lake.rules.offers.top_k).count() == 0

    # Measured on this lake (generator version 2, t = 2026-04-30, 20 customers opened a product in 6 months):
    # rules and popularity both hit 0.60 (MAP 0.479), random 0.50 (MAP 0.233). The openers are mostly new
    # customers holding DDA (and PAYROLL), for whom the best rules rank products as popularity does; the two
    # openers of a planted consequent (MORTGAGE -> INSURANCE) are risk-excluded. So no margin over
    # popularity is asserted here (see docs/rules.md), only that rules are not worse and beat random.
    evaluation = {r.method: r for r in lake.read(spark, "gold.offer_evaluation").collect()}
    assert set(evaluation) == {"rules", "popularity", "random"}, evaluation
    assert evaluation["rules"].map - evaluation["random"].map >= 0.15
    assert evaluation["rules"].hit_rate >= evaluation["popularity"].hit_rate - 0.05, evaluation
    assert evaluation["rules"].map >= evaluation["popularity"].map - 0.05, evaluation

    # Measured: excluded customers defaulted 23% within 12 months, kept ones 2.7%.
    rates = {r.group: r.default_rate for r in lake.read(spark, "gold.exclusion_validation").collect()}
    assert rates["excluded_any"] - rates["kept"] >= 0.10
    assert rates["excluded_risk_rule"] > rates["kept"]

    coverage = lake.read(spark, "gold.product_coverage").where(at & (F.col("product") == "TOTAL")).first()
    assert coverage.holders == held.where(F.size("products") > 0).count()
    depth = lake.read(spark, "gold.product_depth").where(at)
    assert sorted(r.products_held for r in depth.collect()) == ["1", "2", "3", "4+"]
