"""The synthetic bank lake: landing shapes, ground truth consistency, bad records, determinism.

One small lake (300 customers x 8 months) is generated for the module; tests read it back.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyspark.sql import Window
from pyspark.sql import functions as F  # noqa: N812 (the project convention)
from pyspark.testing import assertDataFrameEqual

from crm_mining import CrmMiningError
from crm_mining.config import load_config
from crm_mining.generate import generate_lake
from crm_mining.generate.customers import customer_id, customers_frame
from crm_mining.generate.landing import ALL_REASONS
from crm_mining.generate.segments import STRETCHED_AGES, SWITCH_AGES
from crm_mining.generate.texts import SENTIMENTS, TOPICS
from crm_mining.generate.transactions import customer_months, transactions_frame
from crm_mining.generate.window import months_frame
from crm_mining.landing import source
from crm_mining.tables import Lake

TXN_SCHEMA = (
    "txn_id string, account_id string, customer_id string, txn_ts string, amount string, currency string, "
    "direction string, channel string, merchant_category string"
)


@pytest.fixture(scope="module")
def lake_config(tmp_path_factory):
    root = tmp_path_factory.mktemp("generated") / "lakehouse"
    return load_config(
        overrides=["spark.master=local[2]", "generate.customers=300", "generate.months=8", "generate.seed=7"],
        lakehouse=str(root),
    )


@pytest.fixture(scope="module")
def summary(spark, lake_config):
    return generate_lake(spark, lake_config)


@pytest.fixture(scope="module")
def lake(summary, lake_config):
    return Lake(lake_config)


def read_csv(spark, path, schema=None):
    reader = spark.read.option("header", "true").option("mode", "PERMISSIVE")
    if schema:
        reader = reader.schema(schema)
    return reader.csv(path)


def clean_transactions(spark, lake):
    """Landing transactions (CSV + Parquet) minus every record named in truth/bad_records."""
    csv = read_csv(spark, lake.landing("transactions/csv"), TXN_SCHEMA)
    parquet = spark.read.parquet(lake.landing("transactions/parquet")).select(*csv.columns)
    csv = csv.select(*parquet.columns)
    bad = spark.read.parquet(lake.truth("bad_records")).where("source = 'transactions'")
    return (
        csv.unionByName(parquet)
        .join(bad.select(F.col("record_key").alias("txn_id")), "txn_id", "left_anti")
        .withColumn("ts", F.try_to_timestamp("txn_ts", F.lit("yyyy-MM-dd HH:mm:ss")))
        .withColumn("amt", F.col("amount").try_cast("double"))
    )


def test_summary_counts_every_source_and_rerun_is_skipped(spark, lake_config, summary, lake):
    assert summary["skipped"] is False
    assert set(summary["rows"]) == {
        "customers",
        "products",
        "accounts",
        "balances",
        "transactions",
        "repayments",
        "interactions",
    }
    assert summary["rows"]["customers"] >= 300
    assert summary["rows"]["transactions"] > 300 * 8 * 5
    manifest = json.loads(Path(lake.truth("manifest.json")).read_text())
    assert manifest["settings"]["generate"]["customers"] == 300
    assert manifest["summary"]["rows"] == summary["rows"]
    again = generate_lake(spark, lake_config)
    assert again["skipped"] is True
    assert again["rows"] == summary["rows"]


def test_landing_shapes_products_and_pii(spark, lake):
    products = read_csv(spark, lake.landing("products"))
    assert products.count() == 12
    assert products.where("is_credit = 'true'").count() == 4
    customers = read_csv(spark, lake.landing("customers"))
    assert set(source("customers").pii_columns) <= set(customers.columns)
    assert customers.where(F.col("email").contains("@")).count() >= 300
    parquet = spark.read.parquet(lake.landing("transactions/parquet"))
    # drop_date is the partition folder (drop_date=YYYY-MM-DD), not a column of the files.
    assert {f.dataType.simpleString() for f in parquet.drop("drop_date").schema.fields} == {"string"}
    csv = read_csv(spark, lake.landing("transactions/csv"))
    assert (
        csv.drop("drop_date").columns
        == parquet.drop("drop_date").columns
        == TXN_SCHEMA.replace(" string", "").split(", ")
    )
    channels = {r[0] for r in csv.unionByName(parquet).select("channel").distinct().collect()}
    assert {"ATM", "POS", "ONLINE", "MOBILE", "BRANCH", "PHONE"} <= channels
    texts = spark.read.json(lake.landing("interactions")).select("text")
    assert texts.where(F.col("text").rlike(r"\+34 6\d")).count() > 0
    assert texts.where(F.col("text").contains("@example.com")).count() > 0


def test_truth_customers_exist_and_churners_close_everything_then_stop(spark, lake):
    truth = spark.read.parquet(lake.truth("customers"))
    customers = read_csv(spark, lake.landing("customers")).select("customer_id").distinct()
    assert truth.join(customers, "customer_id", "left_anti").count() == 0
    assert truth.count() == 300
    churners = truth.where("is_churner")
    assert churners.count() > 10
    accounts = spark.read.json(lake.landing("accounts")).join(churners, "customer_id")
    assert (
        accounts.where(
            F.col("close_date").isNull() | (F.to_date("close_date") != F.col("churn_date"))
        ).count()
        == 0
    )
    assert accounts.where("status != 'CLOSED'").count() == 0
    late = (
        clean_transactions(spark, lake)
        .join(churners, "customer_id")
        .where(F.to_date("ts") >= F.col("churn_date"))
    )
    assert late.count() == 0


def test_switchers_are_at_either_end_of_the_age_range_and_leave_without_a_decline(spark, lake_config, lake):
    # #11: life-event switchers make churn depend on age at both ends (a tree model's signal, not a linear
    # one's). Their debits hold up until they leave, where a decliner's fall: compared over the 3 months
    # before the churn month against the window's first 3 months (churn month 6 or 7 of 8, so the two
    # periods do not overlap). Counts, not amounts: the amounts are too heavy-tailed for a handful of people.
    start = F.lit(lake_config.generate.start_date)
    churners = spark.read.parquet(lake.truth("customers")).where("is_churner")
    born = (
        read_csv(spark, lake.landing("customers"))
        .select("customer_id", F.try_to_date("birth_date").alias("born"))
        .where("born is not null")
        .dropDuplicates(["customer_id"])
    )
    age = F.floor(F.months_between(start, "born") / 12)
    young, old = SWITCH_AGES
    switchers = churners.where("is_switcher").join(born, "customer_id")
    assert switchers.count() >= 10
    assert switchers.where((age >= young) & (age < old)).count() == 0
    month = F.months_between(F.trunc("ts", "month"), start).cast("int")
    churn_month = F.months_between(F.trunc("churn_date", "month"), start).cast("int")
    last_before_leaving = month.between(churn_month - 3, churn_month - 1)
    ratios = {
        r.is_switcher: (r.people, r.ratio)
        for r in clean_transactions(spark, lake)
        .where("direction = 'DEBIT'")
        .join(churners.where(churn_month >= 6), "customer_id")
        .groupBy("is_switcher")
        .agg(
            F.countDistinct("customer_id").alias("people"),
            (F.count(F.when(last_before_leaving, 1)) / F.count(F.when(month < 3, 1))).alias("ratio"),
        )
        .collect()
    }
    assert ratios[True][0] >= 3 and ratios[False][0] >= 3, ratios
    assert ratios[True][1] > 0.8 and ratios[False][1] < 0.6, ratios


def test_defaulters_are_likelier_at_either_end_of_the_age_range(spark):
    # #11, risk: with default_age_multiplier 1 (the default) age plays no part; with 5, customers under 30 or
    # at 70 and over default 5 times as often as those aged 30-69. Rates among the customers who can default
    # (joined 4 months before the window, not decliners), 20,000 customers, the frame only: within 3
    # binomial standard errors.
    def rates(multiplier):
        settings = load_config(
            overrides=[
                "generate.customers=20000",
                "generate.default_rate=0.04",
                f"generate.default_age_multiplier={multiplier}",
            ]
        ).generate
        young, old = STRETCHED_AGES
        frame = customers_frame(spark, settings)
        assert frame.where("is_defaulter and (is_churner or is_dormant)").count() == 0
        can_default = (F.col("join_date") <= F.date_sub(F.lit(settings.start_date), 120)) & ~(
            F.col("is_churner") & ~F.col("is_switcher")
        )
        rows = (
            frame.where(can_default)
            .groupBy(((F.col("age") < young) | (F.col("age") >= old)).alias("stretched"))
            .agg(F.count(F.lit(1)).alias("people"), F.avg(F.col("is_defaulter").cast("double")).alias("rate"))
            .collect()
        )
        return {r.stretched: (r.people, r.rate) for r in rows}

    def variance(people_rate):
        people, rate = people_rate
        return rate * (1 - rate) / people

    for multiplier, by_age in ((1, rates(1)), (5, rates(5))):
        assert by_age[False][0] > 1000 and by_age[True][0] > 1000, by_age
        gap = by_age[True][1] - multiplier * by_age[False][1]
        assert abs(gap) < 3 * (variance(by_age[True]) + multiplier**2 * variance(by_age[False])) ** 0.5, (
            by_age
        )


def test_defaulters_reach_90_days_past_due_at_default_date(spark, lake):
    truth = spark.read.parquet(lake.truth("customers")).where("is_defaulter")
    assert truth.count() >= 5
    bad_keys = (
        spark.read.parquet(lake.truth("bad_records")).where("source = 'repayments'").select("record_key")
    )
    repayments = (
        read_csv(spark, lake.landing("repayments"))
        .withColumn("record_key", F.concat_ws("|", "account_id", "month_end"))
        .join(bad_keys, "record_key", "left_anti")
        .withColumn("dpd", F.col("days_past_due").try_cast("int"))
        .withColumn("month_end", F.try_to_date("month_end", "yyyy-MM-dd"))
        .join(truth, "customer_id")
        .where(F.col("account_id").endswith("-CC"))
    )
    at_default = repayments.where(F.col("month_end") == F.col("default_date"))
    assert at_default.count() >= truth.count() - 1  # at most one replaced by a bad record
    assert at_default.where("dpd < 90").count() == 0
    assert repayments.where((F.col("month_end") < F.col("default_date")) & (F.col("dpd") >= 90)).count() == 0
    climb = repayments.where(F.col("month_end") == F.last_day(F.add_months("default_date", -1)))
    assert climb.where("dpd != 60").count() == 0
    status = spark.read.json(lake.landing("accounts")).join(truth, "customer_id").where("product_code = 'CC'")
    assert status.where("status != 'DEFAULTED'").count() == 0


def test_every_bad_record_is_in_landing_with_one_known_reason(spark, lake, summary):
    bad = spark.read.parquet(lake.truth("bad_records"))
    reasons = {r[0] for r in bad.select("reason").distinct().collect()}
    assert reasons == set(ALL_REASONS)  # every reason code except SCHEMA_DRIFT
    assert bad.where(F.col("record_key").isNull() | F.col("file").isNull()).count() == 0
    text_files = spark.read.text(
        [
            lake.landing(s)
            for s in ("customers", "accounts", "balances", "repayments", "interactions", "transactions/csv")
        ],
        recursiveFileLookup=True,
    ).select(F.col("value").alias("raw"))
    text_bad = bad.where(~F.col("file").endswith(".parquet"))
    assert text_bad.join(text_files, "raw", "left_anti").count() == 0
    parquet = spark.read.parquet(lake.landing("transactions/parquet")).drop("drop_date")
    parquet_raw = parquet.select(
        F.to_json(F.struct(*parquet.columns), {"ignoreNullFields": "false"}).alias("raw")
    )
    assert bad.where(F.col("file").endswith(".parquet")).join(parquet_raw, "raw", "left_anti").count() == 0
    dup = bad.where("reason = 'DUPLICATE' and source = 'transactions'").select("raw")
    if dup.count():
        assert dup.join(text_files.unionByName(parquet_raw), "raw").count() >= 2 * dup.count()
    assert summary["bad_records_total"] == bad.count()


def test_affinities_are_observable(spark, lake):
    accounts = spark.read.json(lake.landing("accounts")).where(F.col("customer_id").rlike("^C[0-9]{8}$"))
    held = accounts.groupBy("customer_id").agg(F.collect_set("product_code").alias("p"))
    row = held.agg(
        F.count("*").alias("n"),
        F.sum(F.array_contains("p", "CC").cast("int")).alias("cc"),
        F.sum(F.array_contains("p", "PAYROLL").cast("int")).alias("payroll"),
        F.sum((F.array_contains("p", "CC") & F.array_contains("p", "PAYROLL")).cast("int")).alias("both"),
    ).first()
    assert row.both / row.payroll > 1.2 * row.cc / row.n
    rules = json.loads(Path(lake.truth("affinities.json")).read_text())
    assert {(r["antecedent"][0], r["consequent"][0]) for r in rules} >= {
        ("PAYROLL", "CC"),
        ("MORTGAGE", "INSURANCE"),
    }
    assert all(r["lift"] > 1.2 for r in rules)
    # Cross-sold after the antecedent (1-6 months later), not at a random time (about half would be before).
    assert all(r["opened_after_antecedent"] >= 0.75 for r in rules)


def test_antecedent_holders_are_cross_sold_the_consequent_inside_the_window(spark, lake_config, lake):
    # #9: next-best-offer is measured on the products opened after a snapshot; holders of an affinity's
    # antecedent without its consequent at the window start open it inside the window (cross_sell_rate,
    # 0.5 by default), other customers of that time rarely do.
    start = F.lit(lake_config.generate.start_date)
    accounts = spark.read.json(lake.landing("accounts")).where(F.col("customer_id").rlike("^C[0-9]{8}$"))
    opened = accounts.groupBy("customer_id").pivot("product_code").agg(F.min(F.to_date("open_date")))
    before = {code: F.coalesce(F.col(code) < start, F.lit(False)) for code in ("DDA", "PAYROLL", "CC")}
    shares = (
        opened.where(before["DDA"] & ~before["CC"])
        .groupBy(before["PAYROLL"].alias("payroll"))
        .agg(
            F.count("*").alias("people"),
            F.avg(F.coalesce(F.col("CC") >= start, F.lit(False)).cast("double")).alias("share"),
        )
    )
    share = {r.payroll: (r.people, r.share) for r in shares.collect()}  # two rows
    assert share[True][0] >= 20 and share[False][0] >= 20, share
    assert share[True][1] >= 0.25, share  # about 0.5, less those who leave before their day
    assert share[True][1] >= 3 * share[False][1], share


def test_lifecycle_truth_matches_its_definitions(spark, lake):
    stages = spark.read.parquet(lake.truth("lifecycle"))
    truth = spark.read.parquet(lake.truth("customers"))
    found = {r[0] for r in stages.select("stage").distinct().collect()}
    assert {"acquisition", "build_up", "maturity", "decline", "exit", "dormant"} <= found
    joined = stages.join(truth, "customer_id")
    exit_rule = F.col("is_churner") & (F.col("month_end") >= F.col("churn_date"))
    assert joined.where((F.col("stage") == "exit") != exit_rule).count() == 0
    assert stages.where("stage = 'acquisition' and tenure_months > 3").count() == 0
    assert stages.where("stage = 'dormant' and recency_days < 90").count() == 0
    assert stages.where("stage = 'reactivated' and (recency_days >= 90 or recency_days is null)").count() == 0
    assert joined.where("stage = 'decline' and not is_churner").count() == 0
    assert joined.where("stage = 'decline' and is_switcher").count() == 0  # switchers leave without one
    assert joined.where("stage = 'maturity' and tenure_months <= 24").count() == 0
    assert joined.where("is_dormant").where("stage = 'dormant'").count() > 0
    # Decline: debit spend of the last 3 months < 0.6 x the 3 before, at month ends with 6 months of data.
    spend = (
        clean_transactions(spark, lake)
        .where("direction = 'DEBIT'")
        .groupBy("customer_id", F.last_day(F.to_date("ts")).alias("month_end"))
        .agg(F.sum("amt").alias("spend"))
    )
    grid = stages.select("customer_id", "month_end", "stage").join(
        spend, ["customer_id", "month_end"], "left"
    )
    w = Window.partitionBy("customer_id").orderBy("month_end")
    ratios = (
        grid.fillna(0.0, ["spend"])
        .withColumn("last3", F.sum("spend").over(w.rowsBetween(-2, 0)))
        .withColumn("prev3", F.sum("spend").over(w.rowsBetween(-5, -3)))
        .withColumn("rows", F.count("*").over(w.rowsBetween(-5, 0)))
        .where("stage = 'decline' and rows = 6 and prev3 > 0")
        .withColumn("ratio", F.col("last3") / F.col("prev3"))
    )
    # Heavy-tailed amounts over few (decayed) transactions make single months noisy: test the bulk.
    assert ratios.count() > 5
    assert ratios.where("ratio < 0.6").count() >= 0.65 * ratios.count()
    assert ratios.agg(F.median("ratio")).first()[0] < 0.6


def test_payday_salary_and_month_end_seasonality(spark, lake):
    txns = clean_transactions(spark, lake).withColumn("day", F.dayofmonth(F.to_date("ts")))
    salaries = txns.where("merchant_category = 'SALARY'")
    assert salaries.count() > 300
    assert salaries.where("day < 25 or direction != 'CREDIT'").count() == 0
    debits = txns.where("direction = 'DEBIT'")
    assert debits.where("day >= 25").count() > 0.3 * debits.count()  # days 25+ are ~21% of a month


def test_same_seed_same_data_whatever_the_partitioning(spark):
    def build(seed, partitions):
        settings = load_config(
            overrides=["generate.customers=120", "generate.months=3", f"generate.seed={seed}"]
        ).generate
        customers = customers_frame(spark, settings, partitions).withColumn(
            "customer_id", customer_id(F.col("cust_num"))
        )
        return customers, transactions_frame(
            customer_months(customers, months_frame(spark, settings)), settings
        )

    customers_a, txns_a = build(11, 1)
    customers_b, txns_b = build(11, 5)
    assertDataFrameEqual(txns_a, txns_b)
    assertDataFrameEqual(customers_a, customers_b)
    customers_c, txns_c = build(12, 1)
    assert (
        customers_c.select("segment", "join_date")
        .exceptAll(customers_a.select("segment", "join_date"))
        .count()
        > 0
    )
    assert txns_c.select("txn_id", "amount").exceptAll(txns_a.select("txn_id", "amount")).count() > 0


def test_generate_never_replaces_a_landing_zone_it_did_not_write(spark, tmp_path):
    """A bank's own files in landing/ (no generate manifest) are left alone, with a message saying why."""
    config = load_config(None, ["spark.master=local[2]", "generate.customers=10"], str(tmp_path / "lake"))
    bank_file = Path(Lake(config).landing("customers")) / "customers_2025-01-31.jsonl"
    bank_file.parent.mkdir(parents=True)
    bank_file.write_text('{"customer_id": "C1"}\n')
    with pytest.raises(CrmMiningError, match="holds files that generate did not write"):
        generate_lake(spark, config)
    off = load_config(None, ["generate.enabled=false"], str(tmp_path / "lake"))
    assert generate_lake(spark, off) == {"skipped": True, "reason": "generate.enabled is false"}
    assert bank_file.read_text() == '{"customer_id": "C1"}\n'


def test_interaction_truth_plants_topics_sentiments_languages_and_angrier_churners(spark, lake):
    truth = spark.read.parquet(lake.truth("interactions"))
    landed = spark.read.json(lake.landing("interactions")).select("interaction_id", "interaction_ts", "text")
    texts = truth.join(landed.dropDuplicates(["interaction_id"]), "interaction_id")
    assert texts.count() >= 0.98 * truth.count()  # the rest became bad records (e.g. MISSING_ID)
    assert {r.topic for r in truth.select("topic").distinct().collect()} == set(TOPICS)
    assert {r.sentiment for r in truth.select("sentiment").distinct().collect()} == set(SENTIMENTS)
    chinese = F.col("text").rlike("[一-鿿]")
    # Each text is in its planted language; about generate.chinese_share (0.2) of them are Chinese.
    assert texts.where((F.col("language") == "zh") != chinese).count() == 0
    zh_share = texts.where(chinese).count() / texts.count()
    assert 0.15 < zh_share < 0.25
    # Churners in their decline months (6 months before churn) write more, and more negative, complaints.
    # Switchers leave without a decline, so their last months are not declining ones.
    customers = (
        spark.read.parquet(lake.truth("customers"))
        .where("not is_switcher")
        .select("customer_id", "churn_date")
    )
    months = F.months_between(F.col("churn_date"), F.to_date("interaction_ts"))
    rows = texts.join(customers, "customer_id").withColumn(
        "declining", F.coalesce((months >= 0) & (months < 6), F.lit(False))
    )
    rates = {
        r.declining: (r.complaint_share, r.negative_share)
        for r in rows.groupBy("declining")
        .agg(
            F.avg((F.col("kind") == "COMPLAINT").cast("double")).alias("complaint_share"),
            F.avg(
                F.when(F.col("kind") == "COMPLAINT", (F.col("sentiment") == "negative").cast("double"))
            ).alias("negative_share"),
        )
        .collect()
    }
    assert rates[True][0] > 2 * rates[False][0]
    assert rates[True][1] > rates[False][1] + 0.1


def test_a_window_ending_after_today_stops_before_writing(spark, tmp_path):
    """The old default (2025-01 + 24 months) ended 2026-12-31: ingest quarantined December as FUTURE_DATE."""
    future = load_config(
        overrides=["spark.master=local[2]", "generate.start_date=2099-01-01", "generate.months=2"],
        lakehouse=str(tmp_path / "lakehouse"),
    )
    with pytest.raises(CrmMiningError, match=r"ends 2099-02-28, after today .*FUTURE_DATE"):
        generate_lake(spark, future)
    assert not (tmp_path / "lakehouse" / "landing").exists()
