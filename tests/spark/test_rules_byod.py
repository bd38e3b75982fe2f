"""Bring your own data: the rules stage on a plain CSV of customer-product holdings."""

from __future__ import annotations

import logging

from pyspark.sql import functions as F  # noqa: N812 (the project convention)
from pyspark.testing import assertDataFrameEqual

from crm_mining.config import load_config
from crm_mining.rules import mine_rules
from crm_mining.tables import Lake

# January: c1 A,B; c2 A,B; c3 A; c4 B,C. February: c3 has opened B. A blank customer id is left out.
CSV = """cust,product,month
c1,A,2025-01-31
c1,B,2025-01-31
c2,A,2025-01-31
c2,B,2025-01-31
c3,A,2025-01-31
c4,B,2025-01-31
c4,C,2025-01-31
c1,A,2025-02-28
c1,B,2025-02-28
c2,A,2025-02-28
c2,B,2025-02-28
c3,A,2025-02-28
c3,B,2025-02-28
c4,B,2025-02-28
c4,C,2025-02-28
,A,2025-02-28
"""


def test_rules_on_a_csv_of_holdings(spark, tmp_path, caplog):
    path = tmp_path / "holdings.csv"
    path.write_text(CSV)
    config = load_config(
        overrides=[
            "spark.master=local[2]",
            "rules.input.source=csv",
            f"rules.input.location={path}",
            "rules.input.columns={customer_id: cust, item: product, snapshot_date: month}",
            "rules.snapshot_dates=[2025-01-31]",
            "rules.min_support=0.5",
            "rules.min_confidence=0.5",
            "rules.min_lift=0.0",
            "rules.offers.min_lift=0.0",
            "rules.offers.top_k=1",
            "rules.offers.evaluation_horizon_months=1",
            "rules.coverage_target=B",
            "rules.coverage_targets_pct={}",
        ],
        lakehouse=str(tmp_path / "lakehouse"),
    )
    with caplog.at_level(logging.INFO, logger="crm_mining"):
        summary = mine_rules(spark, config)
    assert (
        "has no risk data: the RISK_LEVEL, RISK_RULE, DELINQUENT_CREDIT and AGE_LIMIT exclusions"
        in caplog.text
    )
    assert "1 rows without a customer id or snapshot date left out" in caplog.text
    lake = Lake(config)

    # January, 4 baskets, count >= 2: A (3), B (3), AB (2); A -> B and B -> A, confidence 2/3, lift 8/9.
    rules = lake.read(spark, "gold.cross_sell_rules").select(
        "antecedent", "consequent", "count", "confidence", "lift"
    )
    assertDataFrameEqual(
        rules,
        spark.createDataFrame(
            [(["A"], ["B"], 2, 2 / 3, 8 / 9), (["B"], ["A"], 2, 2 / 3, 8 / 9)],
            "antecedent array<string>, consequent array<string>, count long, confidence double, lift double",
        ),
    )
    assert summary["product_rules"] == {"2025-01-31": 2}
    offers = lake.read(spark, "gold.next_best_offers").select(
        "customer_id", "rank", "product", "rule_antecedent"
    )
    assertDataFrameEqual(
        offers,
        spark.createDataFrame(
            [("c3", 1, "B", ["A"]), ("c4", 1, "A", ["B"])],
            "customer_id string, rank int, product string, rule_antecedent array<string>",
        ),
    )
    coverage = lake.read(spark, "gold.product_coverage").where(F.col("snapshot_date") == "2025-01-31")
    assertDataFrameEqual(
        coverage.select("product", "holders", "holders_with_target"),
        spark.createDataFrame(
            [("A", 3, 2), ("C", 1, 1), ("TOTAL", 4, 3)],
            "product string, holders long, holders_with_target long",
        ),
    )
    # c3 opened B in February, the rule offered it: rules hit; the evaluation ran on January.
    evaluation = {r.method: r for r in lake.read(spark, "gold.offer_evaluation").collect()}
    assert str(evaluation["rules"].snapshot_date) == "2025-01-31"
    assert (evaluation["rules"].customers, evaluation["rules"].hit_rate) == (1, 1.0)
    # No risk data: no risk rules, no exclusions, no validation.
    assert not lake.exists(spark, "gold.risk_rules")
    assert lake.read(spark, "gold.offer_exclusions").count() == 0
    assert "risk_rules" not in summary and "exclusion_validation" not in summary
    assert sorted(summary["skipped"]) == ["gold.exclusion_validation", "gold.risk_rules"]
    assert summary["skipped"]["gold.risk_rules"].endswith("has no risk data")
