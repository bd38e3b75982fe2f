"""Coverage, depth, exclusions, offers, offer evaluation and risk rules on hand-worked data."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import functions as F  # noqa: N812 (the project convention)
from pyspark.testing import assertDataFrameEqual

from crm_mining.config.rules import OfferSettings, RiskSettings
from crm_mining.rules.baskets import category_baskets
from crm_mining.rules.coverage import product_coverage, product_depth
from crm_mining.rules.evaluation import offer_metrics, opened_products
from crm_mining.rules.exclusions import offer_exclusions
from crm_mining.rules.mining import MiningParams, mine
from crm_mining.rules.offers import baseline_offers, rule_offers
from crm_mining.rules.risk import flagged_rules, is_risk_rule, risk_baskets, risk_rule_matches

D = dt.date(2025, 6, 30)
D2 = dt.date(2025, 7, 31)
OPEN = dt.date(2025, 12, 31)  # a snapshot whose label windows have not closed
BASKET_SCHEMA = "snapshot_date date, customer_id string, items array<string>"
EXCLUSION_SCHEMA = (
    "snapshot_date date, customer_id string, product string, reason string, detail string, risk_level int"
)


def test_coverage_per_product_with_targets_gaps_and_total(spark):
    baskets = spark.createDataFrame(
        [
            (D, "c1", ["CC", "PL"]),
            (D, "c2", ["PL"]),
            (D, "c3", ["PAYROLL", "PL"]),
            (D, "c4", ["CC", "PAYROLL"]),
            (D, "c5", ["AUTO"]),
            # 10 PL holders, 7 with CC: 70% of 10 is exactly 7 (no float gap of 1)
            *[(D2, f"d{i}", ["CC", "PL"] if i < 7 else ["PL"]) for i in range(10)],
        ],
        BASKET_SCHEMA,
    )
    got = product_coverage(spark, baskets, "CC", {"PL": 70.0, "PAYROLL": 50.0, "TOTAL": 43.0})
    expected = spark.createDataFrame(
        [
            (D, "CC", "PL", 3, 1, 100 / 3, 70.0, 2),  # ceil(2.1) - 1
            (D, "CC", "PAYROLL", 2, 1, 50.0, 50.0, 0),
            (D, "CC", "AUTO", 1, 0, 0.0, None, None),  # no target -> no gap
            (D, "CC", "TOTAL", 5, 2, 40.0, 43.0, 1),  # ceil(2.15) - 2
            (D2, "CC", "PL", 10, 7, 70.0, 70.0, 0),
            (D2, "CC", "TOTAL", 10, 7, 70.0, 43.0, 0),
        ],
        "snapshot_date date, target_product string, product string, holders long, holders_with_target long, "
        "coverage_pct double, target_pct double, gap_customers long",
    )
    assertDataFrameEqual(got, expected)


def test_depth_buckets_activity_churn_and_default(spark):
    customers = spark.createDataFrame(
        [
            (D, "a", 1, True),
            (D, "b", 1, False),
            (D, "c", 2, True),
            (D, "d", 3, True),
            (D, "e", 5, True),
            (D, "f", 4, False),
            (D, "g", 0, True),
            (OPEN, "a", 1, True),
            (OPEN, "b", 1, True),
        ],  # fmt: skip
        "snapshot_date date, customer_id string, product_count int, active_90d boolean",
    )
    labels = spark.createDataFrame(
        [
            (D, "a", 1, 0),
            (D, "b", 0, None),
            (D, "c", 0, 1),
            (D, "d", None, None),
            (D, "e", 0, 0),
            (D, "f", 1, 1),
            # A window still open: only the positives seen so far are labelled; no rate from them.
            (OPEN, "a", 1, None),
            (OPEN, "b", None, 1),
        ],
        "snapshot_date date, customer_id string, churn int, default int",
    )
    expected = spark.createDataFrame(
        [
            (D, "1", 2, 1, 0.5, 2, 0.5, 1, 0.0),
            (D, "2", 1, 1, 1.0, 1, 0.0, 1, 1.0),
            (D, "3", 1, 1, 1.0, 0, None, 0, None),
            (D, "4+", 2, 1, 0.5, 2, 0.5, 2, 0.5),
            (OPEN, "1", 2, 2, 1.0, 0, None, 0, None),
        ],
        "snapshot_date date, products_held string, customers long, active_90d long, activity_rate double, "
        "churn_labelled long, churn_rate double, default_labelled long, default_rate double",
    )
    assertDataFrameEqual(product_depth(customers, labels), expected)


def test_exclusions_have_reasons(spark):
    profiles = spark.createDataFrame(
        [
            (D, "p1", ["DDA"], 70, 0, 1),
            (D, "p2", ["CC", "DDA"], 40, 45, 3),
            (D, "p3", ["DDA"], None, 5, 2),
            (D, "p4", ["MORTGAGE"], 30, 0, 1),
        ],
        "snapshot_date date, customer_id string, items array<string>, age_years int, worst_dpd int, risk_level int",
    )
    settings = OfferSettings(
        age_limits={"MORTGAGE": [18, 65]}, credit_products=["CC", "PL"], exclude_risk_level=3
    )
    got = offer_exclusions(profiles, settings, "max_dpd_12m", None, use_risk=True)
    delinquent = "credit product while max_dpd_12m = {} >= 1"
    expected = spark.createDataFrame(
        [
            (D, "p1", "MORTGAGE", "AGE_LIMIT", "age 70 outside 18-65", 1),
            (D, "p2", None, "RISK_LEVEL", "risk level 3 >= 3 (max_dpd_12m = 45)", 3),
            (D, "p2", "PL", "DELINQUENT_CREDIT", delinquent.format(45), 3),
            (D, "p3", "CC", "DELINQUENT_CREDIT", delinquent.format(5), 2),
            (D, "p3", "PL", "DELINQUENT_CREDIT", delinquent.format(5), 2),
        ],
        EXCLUSION_SCHEMA,
    )
    assertDataFrameEqual(got, expected)
    # Without risk data only the age limits remain.
    assert [r.reason for r in offer_exclusions(profiles, settings, "x", None, use_risk=False).collect()] == [
        "AGE_LIMIT"
    ]


def test_offers_take_the_best_rule_and_skip_held_ineligible_and_excluded(spark):
    rules = spark.createDataFrame(
        [
            (D, ["PAYROLL"], ["CC"], 0.6, 2.0, 0.3),
            (D, ["MORTGAGE"], ["INSURANCE"], 0.7, 3.0, 0.2),
            (D, ["MORTGAGE", "PAYROLL"], ["CC"], 0.8, 2.5, 0.1),
            (D, ["DDA"], ["MOBILE"], 0.5, 0.9, 0.4),  # below the lift floor: never used
            (D, ["DDA"], ["FUNDS"], 0.2, 1.1, 0.05),
            (D2, ["DDA"], ["TD"], 0.9, 5.0, 0.5),  # another snapshot's rule: never used at D
        ],
        "snapshot_date date, antecedent array<string>, consequent array<string>, confidence double, lift double, "
        "support double",
    )
    holdings = spark.createDataFrame(
        [
            (D, "u1", ["DDA", "MORTGAGE", "PAYROLL"]),
            (D, "u2", ["CC", "PAYROLL"]),  # holds the only product its rules offer
            (D, "u3", ["DDA", "PAYROLL"]),  # excluded customer
            (D, "u4", ["MORTGAGE", "PAYROLL"]),  # CC not eligible
            (D, "u5", ["DDA"]),
        ],
        BASKET_SCHEMA,
    )
    exclusions = spark.createDataFrame(
        [(D, "u3", None, "RISK_LEVEL", "x", 3), (D, "u4", "CC", "AGE_LIMIT", "y", 1)], EXCLUSION_SCHEMA
    )
    got = rule_offers(holdings, rules, exclusions, top_k=2, min_lift=1.0)
    expected = spark.createDataFrame(
        [
            ("u1", D, 1, "CC", 0.8, ["MORTGAGE", "PAYROLL"], 0.8, 2.5, 0.1),
            ("u1", D, 2, "INSURANCE", 0.7, ["MORTGAGE"], 0.7, 3.0, 0.2),
            ("u4", D, 1, "INSURANCE", 0.7, ["MORTGAGE"], 0.7, 3.0, 0.2),
            ("u5", D, 1, "FUNDS", 0.2, ["DDA"], 0.2, 1.1, 0.05),
        ],
        "customer_id string, snapshot_date date, rank int, product string, score double, "
        "rule_antecedent array<string>, rule_confidence double, rule_lift double, rule_support double",
    )
    assertDataFrameEqual(got, expected)

    popular = baseline_offers(holdings, exclusions, 2, "popularity").select("customer_id", "rank", "product")
    # Held by: PAYROLL 4, DDA 3, MORTGAGE 2, CC 1 of 5 customers.
    assertDataFrameEqual(
        popular,
        spark.createDataFrame(
            [
                ("u1", 1, "CC"),
                ("u2", 1, "DDA"),
                ("u2", 2, "MORTGAGE"),
                ("u4", 1, "DDA"),
                ("u5", 1, "PAYROLL"),
                ("u5", 2, "MORTGAGE"),
            ],  # fmt: skip
            "customer_id string, rank int, product string",
        ),
    )


def test_opened_products_are_new_within_the_horizon(spark):
    baskets = spark.createDataFrame(
        [
            (dt.date(2025, 1, 31), "x", ["DDA"]),
            (dt.date(2025, 2, 28), "x", ["CC", "DDA"]),
            (dt.date(2025, 3, 31), "x", ["DDA", "INSURANCE"]),  # CC closed again: still opened in the window
            (dt.date(2025, 8, 31), "x", ["DDA", "PL"]),  # after the horizon
            (dt.date(2025, 1, 31), "y", ["CC", "DDA"]),
            (dt.date(2025, 2, 28), "y", ["CC", "DDA"]),
        ],
        BASKET_SCHEMA,
    )
    got = opened_products(baskets, dt.date(2025, 1, 31), 2)
    assertDataFrameEqual(
        got, spark.createDataFrame([("x", "CC"), ("x", "INSURANCE")], "customer_id string, product string")
    )


def test_offer_metrics_on_known_hits(spark):
    offers = spark.createDataFrame(
        [
            ("rules", "x", 1, "CC"),
            ("rules", "x", 2, "INSURANCE"),
            ("rules", "y", 1, "FUNDS"),
            ("rules", "z", 1, "CC"),
            ("popularity", "x", 1, "MOBILE"),
            ("popularity", "x", 2, "CC"),
            ("popularity", "y", 1, "MOBILE"),
            ("popularity", "y", 2, "CC"),
            ("popularity", "z", 1, "MOBILE"),
            ("popularity", "z", 2, "INSURANCE"),
            ("random", "x", 1, "TD"),
            ("random", "x", 2, "FX"),
            ("random", "y", 1, "TD"),
        ],  # fmt: skip
        "method string, customer_id string, rank int, product string",
    )
    # w opened PL but is not in the population (excluded); z opened nothing: neither is evaluated.
    opened = spark.createDataFrame(
        [("x", "CC"), ("x", "INSURANCE"), ("y", "CC"), ("w", "PL")], "customer_id string, product string"
    )
    population = spark.createDataFrame([("x",), ("y",), ("z",)], "customer_id string")
    got = offer_metrics(offers, opened, population, ["rules", "popularity", "random"], top_k=2)
    # rules: x hits at 1 and 2 (AP 1), y misses (AP 0). popularity: x hits at 2 (AP 0.5 / 2),
    # y hits at 2 (AP 0.5 / 1). random: nothing.
    expected = spark.createDataFrame(
        [
            ("rules", 2, 2, 0.5, 0.5, 0.5),
            ("popularity", 2, 2, 1.0, 0.5, 0.375),
            ("random", 2, 2, 0.0, 0.0, 0.0),
        ],
        "method string, k int, customers long, hit_rate double, precision double, map double",
    )
    assertDataFrameEqual(got, expected)


def risk_profiles(spark):
    """40 customers: high card utilisation (>= 0.9) drives risk level 3; gender and age do not."""
    rows = []
    for i in range(40):
        high = i < 10
        late = (high and i < 8) or i == 10  # 8 of the 10 high-utilisation customers, 1 of the 30 others
        rows.append(
            (
                D,
                f"r{i:02d}",
                30,
                0.95 if high else 0.2,
                "F" if i % 2 else "M",
                45 if late else 0,
                3 if late else 1,
            )
        )
    return spark.createDataFrame(
        rows,
        "snapshot_date date, customer_id string, age_years int, credit_utilisation double, gender string, "
        "worst_dpd int, risk_level int",
    )


def test_risk_rules_find_the_band_that_drives_the_risk(spark):
    settings = RiskSettings(
        categorical=["gender"],
        min_support=0.05,
        max_itemset_size=3,
        exclude_level=3,
        exclude_min_confidence=0.5,
    )
    baskets = risk_baskets(risk_profiles(spark), settings)
    params = MiningParams(0.05, 0.1, 1.0, 3, 1000, 1000, "rules.risk", "risk baskets")
    _, rules, _ = mine(baskets, params, keep=is_risk_rule())
    flagged = flagged_rules(rules, settings).withColumn("snapshot_date", F.lit(D))

    driver = flagged.where(F.col("antecedent") == F.array(F.lit("utilisation=>=0.9"))).where(
        F.col("consequent") == F.array(F.lit("risk_level=3"))
    )
    row = driver.first()
    # 8 of 10 high-utilisation customers are level 3; 9 of 40 customers are level 3.
    assert (row["count"], row["antecedent_count"], row["consequent_count"]) == (8, 10, 9)
    assert abs(row["confidence"] - 0.8) < 1e-12 and abs(row["lift"] - 0.8 / (9 / 40)) < 1e-12
    assert row["excludes"] and row["risk_level"] == 3
    # Every consequent is one risk level; every excluding rule holds the utilisation band.
    assert all(
        len(r["consequent"]) == 1 and r["consequent"][0].startswith("risk_level=") for r in rules.collect()
    )
    excluding = [r["antecedent"] for r in flagged.where("excludes").collect()]
    assert excluding and all("utilisation=>=0.9" in a for a in excluding)

    matches = risk_rule_matches(baskets, flagged)
    assert sorted(r.customer_id for r in matches.collect()) == [f"r{i:02d}" for i in range(10)]
    assert {r.reason for r in matches.collect()} == {"RISK_RULE"}


def test_merchant_category_baskets_per_customer_month(spark):
    transactions = spark.createDataFrame(
        [
            ("a", dt.date(2025, 4, 3), "DEBIT", "GROCERY"),
            ("a", dt.date(2025, 4, 9), "DEBIT", "GROCERY"),
            ("a", dt.date(2025, 4, 20), "DEBIT", "FUEL"),
            ("a", dt.date(2025, 4, 21), "CREDIT", "SALARY"),  # not spend
            ("a", dt.date(2025, 6, 30), "DEBIT", "TRAVEL"),
            ("a", dt.date(2025, 3, 31), "DEBIT", "HEALTH"),  # before the 3 months up to June
            ("b", dt.date(2025, 5, 5), "DEBIT", None),  # no category: no basket
            ("b", dt.date(2025, 7, 1), "DEBIT", "RETAIL"),  # after the snapshot
        ],
        "customer_id string, txn_date date, direction string, merchant_category string",
    )
    got = category_baskets(transactions, [D], 3)
    expected = spark.createDataFrame(
        [(D, "a", dt.date(2025, 4, 1), ["FUEL", "GROCERY"]), (D, "a", dt.date(2025, 6, 1), ["TRAVEL"])],
        "snapshot_date date, customer_id string, month date, items array<string>",
    )
    assertDataFrameEqual(got, expected)


def test_validation_snapshot_is_the_latest_with_a_closed_default_window(spark):
    from crm_mining.rules.run import validation_snapshot

    # 12 month-end snapshots of a 24-month lake (Jan..Dec 2026) with a 6-month default horizon: gold.labels
    # has 0/1 labels up to 2026-06-30 (window closed by 2026-12-31) and only the defaults already seen after.
    present = [dt.date(2026, m + 1, 1) - dt.timedelta(days=1) for m in range(1, 12)] + [dt.date(2026, 12, 31)]
    rows = [(s, "c1", 0 if s <= dt.date(2026, 6, 30) else None) for s in present]
    rows += [(s, "c2", 1) for s in present]  # a defaulter is labelled 1 everywhere: not a closed window
    labels = spark.createDataFrame(rows, "snapshot_date date, customer_id string, default int")
    assert validation_snapshot(labels, present, None) == dt.date(2026, 6, 30)
    assert validation_snapshot(labels, present, dt.date(2026, 3, 31)) == dt.date(2026, 3, 31)
    open_only = labels.where(F.col("snapshot_date") > dt.date(2026, 6, 30))
    assert validation_snapshot(open_only, present, None) is None
