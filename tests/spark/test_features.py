"""gold.customer_features: point in time, hand-checked values, catalog schema, partitioning and reruns."""

from __future__ import annotations

import datetime as dt

from pyspark.testing import assertDataFrameEqual

from crm_mining.config import load_config
from crm_mining.features import build_features
from crm_mining.features.catalog import feature_catalog
from crm_mining.tables import Lake

D = dt.date
TXN = "customer_id string, account_id string, txn_ts timestamp, txn_date date, txn_month date, amount_base double, direction string, channel string, merchant_category string, product_code string, txn_id string"
SNAPSHOTS = ["2025-01-31", "2025-02-28"]


def txn(customer, day, amount, direction="DEBIT", channel="POS", category="GROCERY", product="DDA"):
    ts = dt.datetime.combine(day, dt.time(12))
    return (
        customer,
        f"{customer}-{product}",
        ts,
        day,
        day.replace(day=1),
        amount,
        direction,
        channel,
        category,
        product,
        f"{customer}-{day}-{amount}",
    )


def write_silver(spark, config, future: bool) -> None:
    """Tiny silver tables; ``future`` adds rows dated after the last snapshot (2025-02-28) only."""
    lake = Lake(config)
    customers = [
        ("C1", 1980, "F", "M", "ENG", "UNI", "NORTH", "HIGH", D(2024, 1, 15)),
        ("C2", 1990, "M", "S", "ART", "HS", "SOUTH", "LOW", D(2024, 6, 1)),
    ]
    if future:
        customers.append(("C9", 2000, "F", "S", "ENG", "UNI", "EAST", "LOW", D(2025, 3, 5)))
    lake.write(
        spark.createDataFrame(
            customers,
            "customer_id string, birth_year int, gender string, "
            "marital_status string, occupation string, education string, region string, income_band string, "
            "join_date date",
        ),
        "silver.customers",
    )
    accounts = [
        ("C1-DDA", "C1", "DDA", D(2024, 1, 15), None),
        ("C1-CC", "C1", "CC", D(2024, 3, 1), None),
        ("C1-PL", "C1", "PL", D(2024, 2, 1), D(2025, 1, 10)),
        # C2's account closes after the last snapshot: only the "future" extract shows the close date.
        ("C2-DDA", "C2", "DDA", D(2024, 6, 1), D(2025, 3, 20) if future else None),
    ]
    if future:
        accounts += [
            ("C1-FUNDS", "C1", "FUNDS", D(2025, 3, 2), None),
            ("C9-DDA", "C9", "DDA", D(2025, 3, 5), None),
        ]
    lake.write(
        spark.createDataFrame(
            accounts,
            "account_id string, customer_id string, product_code string, open_date date, close_date date",
        ),
        "silver.accounts",
    )
    balances = [
        ("C1-DDA", "C1", "DDA", D(2024, 9, 30), 100.0, None),
        ("C1-DDA", "C1", "DDA", D(2024, 10, 31), 100.0, None),
        ("C1-DDA", "C1", "DDA", D(2024, 11, 30), 100.0, None),
        ("C1-DDA", "C1", "DDA", D(2024, 12, 31), 300.0, None),
        ("C1-DDA", "C1", "DDA", D(2025, 1, 31), 300.0, None),
        ("C1-DDA", "C1", "DDA", D(2025, 2, 28), 300.0, None),
        ("C1-CC", "C1", "CC", D(2025, 2, 28), -250.0, 1000.0),
        ("C2-DDA", "C2", "DDA", D(2025, 2, 28), 50.0, None),
    ]
    if future:
        balances += [
            ("C1-DDA", "C1", "DDA", D(2025, 3, 31), 9999.0, None),
            ("C1-CC", "C1", "CC", D(2025, 3, 31), -999.0, 1000.0),
        ]
    lake.write(
        spark.createDataFrame(
            balances,
            "account_id string, customer_id string, product_code string, "
            "month_end date, balance_base double, credit_limit_base double",
        ),
        "silver.balances",
    )
    repayments = [
        ("C1-CC", "C1", "CC", D(2024, 12, 31), 10.0, 0.0, 30),
        ("C1-CC", "C1", "CC", D(2025, 2, 28), 10.0, 10.0, 0),
    ]
    if future:
        repayments.append(("C1-CC", "C1", "CC", D(2025, 3, 31), 10.0, 0.0, 120))
    lake.write(
        spark.createDataFrame(
            repayments,
            "account_id string, customer_id string, product_code string, "
            "month_end date, amount_due_base double, amount_paid_base double, days_past_due int",
        ),
        "silver.repayments",
    )
    interactions = [
        ("I1", "C1", dt.datetime(2025, 2, 10, 9), D(2025, 2, 10), "COMPLAINT", "PHONE", "x"),
        ("I2", "C1", dt.datetime(2024, 6, 10, 9), D(2024, 6, 10), "INQUIRY", "PHONE", "x"),
    ]
    if future:
        interactions.append(
            ("I3", "C1", dt.datetime(2025, 3, 1, 9), D(2025, 3, 1), "COMPLAINT", "PHONE", "x")
        )
    lake.write(
        spark.createDataFrame(
            interactions,
            "interaction_id string, customer_id string, interaction_ts timestamp, "
            "interaction_date date, kind string, channel string, text_masked string",
        ),
        "silver.interactions",
    )
    txns = [
        txn("C1", D(2024, 9, 15), 60.0),  # previous 3 months (Sep-Nov) for the Feb snapshot
        txn("C1", D(2024, 11, 20), 40.0, channel="ATM", category="CASH"),
        txn("C1", D(2025, 1, 5), 500.0, "CREDIT", channel="ONLINE", category="SALARY"),
        txn("C1", D(2025, 2, 1), 30.0, product="CC", category="FUEL"),
        txn("C1", D(2025, 2, 27), 120.0, category="TRAVEL", product="CC"),
        txn("C2", D(2024, 7, 1), 10.0),
    ]
    if future:
        txns += [
            txn("C1", D(2025, 3, 1), 5000.0),
            txn("C2", D(2025, 3, 3), 7.0),
            txn("C9", D(2025, 3, 6), 1.0),
        ]
    lake.write(spark.createDataFrame(txns, TXN), "silver.transactions")


def features_config(config, *extra):
    dates = ", ".join(SNAPSHOTS)
    return load_config(
        overrides=["spark.master=local[2]", f"features.snapshot_dates=[{dates}]", *extra],
        lakehouse=config.lake.root,
    )


def test_features_use_only_data_on_or_before_the_snapshot(spark, config):
    config = features_config(config)
    write_silver(spark, config, future=False)
    summary = build_features(spark, config)
    # Every silver input is there; the complaints stage's texts are not (tests/spark/test_complaint_features.py).
    assert summary["snapshots"] == SNAPSHOTS and summary["missing_inputs"] == ["gold.interaction_insights"]
    lake = Lake(config)
    version = lake.delta(spark, "gold.customer_features").history(1).first().version
    assert summary["rows"] == {"gold.customer_features": 4, "gold.labels": 4, "gold.rfm": 4}

    write_silver(spark, config, future=True)
    build_features(spark, config)
    after = lake.read(spark, "gold.customer_features")
    before = lake.read(spark, "gold.customer_features", version=version)  # time travel to the first build
    # Equal rows (and counts): the future rows change nothing and the rerun replaced rather than appended.
    assertDataFrameEqual(after, before)
    assert before.count() == 4  # C1 and C2 at both snapshots; C9 joins later
    assert lake.read(spark, "gold.labels").count() == 4 and lake.read(spark, "gold.rfm").count() == 4
    expected_schema = [
        (c.name, c.type)
        for c in feature_catalog(config.features, config.rfm.window_days)
        if c.needs != "gold.interaction_insights"
    ]
    assert [(f.name, f.dataType.simpleString()) for f in after.schema.fields] == expected_schema
    assert lake.delta(spark, "gold.customer_features").detail().first().partitionColumns == ["snapshot_date"]

    c1 = before.where("customer_id = 'C1' AND snapshot_date = DATE'2025-02-28'").first()
    assert c1.age_years == 45 and c1.tenure_months == 13
    assert c1.products == ["CC", "DDA"] and c1.product_count == 2 and c1.account_count == 2
    assert c1.closed_account_count == 1 and c1.all_accounts_closed is False and c1.has_pl == 0
    assert c1.active_product_count == 2  # DDA (salary credit in Jan) and CC (Feb)
    assert c1.recency_days == 1 and c1.txn_count_30d == 2 and c1.txn_count_90d == 3
    assert c1.spend_30d == 150.0 and c1.inflow_90d == 500.0 and c1.spend_365d == 250.0
    assert (c1.spend_3m, c1.spend_prev_3m, c1.spend_trend) == (150.0, 100.0, 1.5)
    assert (c1.txn_count_3m, c1.txn_count_prev_3m) == (3, 2)
    assert c1.balance_total == 50.0 and c1.balance_deposit == 300.0 and c1.balance_credit == 250.0
    assert c1.credit_limit_total == 1000.0 and c1.credit_utilisation == 0.25
    assert (c1.balance_3m_avg, c1.balance_prev_3m_avg) == ((300.0 + 300.0 + 50.0) / 3, 100.0)
    assert c1.max_dpd_3m == 30 and c1.max_dpd_12m == 30
    assert c1.complaint_count_90d == 1 and c1.contact_count_365d == 2
    assert c1.channel_share_pos == 0.6 and c1.channel_share_atm == 0.2 and c1.channel_share_online == 0.2
    assert c1.category_share_travel == 0.48 and c1.category_share_salary == 0.0
    c2_jan = before.where("customer_id = 'C2' AND snapshot_date = DATE'2025-01-31'").first()
    assert c2_jan.recency_days == 214 and c2_jan.txn_count_90d == 0 and c2_jan.spend_trend is None
    assert c2_jan.balance_total == 0.0 and c2_jan.balance_3m_avg is None and c2_jan.max_dpd_12m == 0


def test_recent_products_are_the_distinct_codes_of_the_90_days_to_each_snapshot(spark):
    from pyspark.sql import functions as F

    from crm_mining.features.activity import recent_products
    from crm_mining.features.snapshots import snapshots_frame

    # 2025-01-31 looks back to 2024-11-03 (90 days, inclusive), 2025-02-28 to 2024-12-01.
    rows = [
        ("C1", D(2024, 11, 2), "CC"),  # one day too old for January
        ("C1", D(2025, 1, 10), "DDA"),
        ("C1", D(2025, 1, 11), "DDA"),  # the same product twice: once in the set
        ("C1", D(2025, 2, 20), "CC"),
        ("C1", D(2025, 3, 1), "PL"),  # after both snapshots
        ("C2", D(2025, 1, 5), None),  # no product: no row for C2
    ]
    transactions = spark.createDataFrame(rows, "customer_id string, txn_date date, product_code string")
    snapshots = snapshots_frame(spark, [D(2025, 1, 31), D(2025, 2, 28)])
    got = recent_products(transactions, snapshots).select(
        "customer_id", "snapshot_date", F.array_sort("txn_products_90d").alias("txn_products_90d")
    )
    expected = spark.createDataFrame(
        [("C1", D(2025, 1, 31), ["DDA"]), ("C1", D(2025, 2, 28), ["CC", "DDA"])],
        "customer_id string, snapshot_date date, txn_products_90d array<string>",
    )
    assertDataFrameEqual(got, expected)
