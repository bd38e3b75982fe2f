"""`ingest_lake` on a tiny inline landing zone: reason codes, silver content, accounting, drift, constraints."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from pyspark.sql import functions as F  # noqa: N812
from pyspark.testing import assertDataFrameEqual

from crm_mining import CrmMiningError
from crm_mining.ingest import batch as batch_module
from crm_mining.ingest import ingest_lake
from crm_mining.ingest.audit import UnbalancedBatch
from crm_mining.ingest.run import months_to_optimize
from crm_mining.ingest.silver import METADATA, SILVER
from crm_mining.landing import source as landing_source
from crm_mining.tables import CONSTRAINT_PROPERTY, Lake
from helpers.landing_files import base_landing, landing_records
from helpers.pii_scan import landed_pii_values, pii_in_tables

EXPECTED_QUARANTINE = [
    ("customers", "MISSING_ID"), ("customers", "BAD_DATE"), ("customers", "MALFORMED_ROW"), ("customers", "DUPLICATE"),
    ("customers", "SCHEMA_DRIFT"), ("interactions", "SCHEMA_DRIFT"),
    ("accounts", "ORPHAN"), ("accounts", "UNKNOWN_CODE"), ("accounts", "MALFORMED_ROW"), ("accounts", "NEGATIVE_AMOUNT"),
    ("balances", "BAD_NUMBER"),
    ("transactions", "BAD_NUMBER"), ("transactions", "NEGATIVE_AMOUNT"), ("transactions", "ABSURD_AMOUNT"),
    ("transactions", "FUTURE_DATE"), ("transactions", "UNKNOWN_CODE"), ("transactions", "ORPHAN"),
    ("transactions", "DUPLICATE"), ("transactions", "NEAR_DUPLICATE"), ("transactions", "BAD_DATE"),
    ("transactions", "MALFORMED_ROW"), ("transactions", "MISSING_ID"), ("transactions", "DATE_TOO_OLD"),
    ("repayments", "BAD_NUMBER"), ("interactions", "ORPHAN"),
]  # fmt: skip


@pytest.fixture(scope="module")
def ingested(base_ingested):
    """One lake, one run, shared with test_ingest_crash (conftest): these tests only read it."""
    return base_ingested


def test_every_bad_record_kind_gets_its_reason_code(spark, ingested):
    lake = ingested["lake"]
    first_batches = [b for s in ingested["runs"][0]["sources"].values() for b in s["batches"]]
    got = (
        lake.read(spark, "ops.quarantine")
        .where(F.col("batch_id").isin(first_batches))
        .select("source", "reason")
    )
    assertDataFrameEqual(got, spark.createDataFrame(EXPECTED_QUARANTINE, "source string, reason string"))
    near = (
        lake.read(spark, "ops.quarantine")
        .where("reason = 'NEAR_DUPLICATE'")
        .select("row_ref", "detail")
        .first()
    )
    assert near.row_ref == "T9" and "T2" in near.detail


def test_accounting_matches_the_landing_files_and_the_tables(spark, ingested):
    first = ingested["runs"][0]["sources"]
    timing = {"batches": None, "schema_drift": None, "seconds": None, "step_seconds": None}
    assert first["transactions"] | timing == timing | {
        "rows_read": 15, "rows_written": 3, "rows_quarantined": 10,
        "duplicates": 2,
        "quarantined_by_reason": {"ABSURD_AMOUNT": 1, "BAD_DATE": 1, "BAD_NUMBER": 1, "DATE_TOO_OLD": 1, "DUPLICATE": 1,
                                  "FUTURE_DATE": 1, "MALFORMED_ROW": 1, "MISSING_ID": 1, "NEAR_DUPLICATE": 1,
                                  "NEGATIVE_AMOUNT": 1, "ORPHAN": 1, "UNKNOWN_CODE": 1},
    }  # fmt: skip
    assert set(first["transactions"]["step_seconds"]) == {
        "bronze", "layout", "check", "duplicates", "classify", "silver", "quarantine", "audit"
    }  # fmt: skip
    # Every figure of the audit against a count made without ingest's help: records in the landing
    # files, rows in silver, rows in quarantine.
    lake = ingested["lake"]
    landed = landing_records(Path(lake.landing()))
    audit = {
        r.source: r
        for r in lake.read(spark, "ops.ingest_audit")
        .groupBy("source")
        .agg(
            F.sum("rows_read").alias("read"),
            F.sum("rows_written").alias("written"),
            F.sum(F.col("rows_quarantined") + F.col("duplicates")).alias("rejected"),
        )
        .collect()
    }
    quarantined = {
        r.source: r["count"] for r in lake.read(spark, "ops.quarantine").groupBy("source").count().collect()
    }
    assert {s: r.read for s, r in audit.items()} == landed
    for name, row in audit.items():
        assert row.written == lake.read(spark, f"silver.{name}").count(), name
        assert row.rejected == quarantined.get(name, 0), name


def test_a_batch_with_nothing_to_quarantine_makes_no_quarantine_commit(spark, ingested):
    """Products land clean: their batch skips the quarantine write (a commit that carries nothing)."""
    history = ingested["lake"].delta(spark, "ops.quarantine").history()
    tags = {r.userMetadata for r in history.select("userMetadata").collect()}
    assert "crm_mining.ingest:products:0" not in tags
    assert "crm_mining.ingest:transactions_csv:0" in tags


def test_optimize_leaves_one_z_ordered_file_per_month_the_run_wrote(spark, ingested):
    """ingest.optimize (on by default): after the streams, OPTIMIZE ... ZORDER BY customer_id over the months
    this run's transaction batches wrote. The run is the lake's only one, so those are all of silver's
    months; the CSV, JSON and Parquet batches each left files in them, one file per month remains."""
    (summary,) = ingested["runs"]
    lake = ingested["lake"]
    silver = lake.read(spark, "silver.transactions")
    files = silver.groupBy("txn_month").agg(F.countDistinct("_metadata.file_path").alias("files"))
    assert sorted((str(r.txn_month), r.files) for r in files.collect()) == [
        (month, 1) for month in summary["optimized_months"]
    ]
    optimize = lake.delta(spark, "silver.transactions").history().where(F.col("operation") == "OPTIMIZE")
    (commit,) = optimize.select("operationParameters", "operationMetrics").collect()
    assert json.loads(commit.operationParameters["zOrderBy"]) == ["customer_id"]
    metrics = commit.operationMetrics
    assert int(metrics["numRemovedFiles"]) > int(metrics["numAddedFiles"]) == len(summary["optimized_months"])


def test_only_months_with_enough_files_are_optimized(spark, config):
    """ingest.optimize_min_files: a month of one file is left as it is; a month of three is rewritten."""
    lake = Lake(config)
    rows = [("c1", dt.date(2025, 1, 1), "b0"), ("c2", dt.date(2025, 2, 1), "b0")]
    frame = spark.createDataFrame(rows, "customer_id string, txn_month date, batch_id string")
    frame.write.format("delta").partitionBy("txn_month").save(lake.location("silver.transactions"))
    for batch in ("b1", "b2"):
        more = spark.createDataFrame([("c3", dt.date(2025, 2, 1), batch)], frame.schema)
        more.write.format("delta").mode("append").save(lake.location("silver.transactions"))
    months = ["2025-01-01", "2025-02-01"]
    assert months_to_optimize(spark, lake, months, 2) == ["2025-02-01"]
    assert months_to_optimize(spark, lake, months, 4) == []
    assert months_to_optimize(spark, lake, months, 1) == months


def test_a_batch_that_does_not_balance_stops_ingest_before_its_audit_row(spark, config, monkeypatch):
    """A step that invents a row (here: classification repeats one) must stop the run, naming the batch."""
    base_landing(Path(Lake(config).landing()))
    honest = batch_module.classify

    def repeats_a_row(job, checked, flags):
        classified = honest(job, checked, flags)
        return classified.unionByName(classified.limit(1))

    monkeypatch.setattr(batch_module, "classify", repeats_a_row)
    with pytest.raises(
        UnbalancedBatch, match=r"does not balance for source '\w+' batch '\w+-000000': read \d+"
    ):
        ingest_lake(spark, config)
    lake = Lake(config)
    assert not lake.exists(spark, "ops.ingest_audit") or lake.read(spark, "ops.ingest_audit").count() == 0


def test_silver_is_typed_conformed_and_free_of_pii(spark, ingested):
    lake = ingested["lake"]
    txns = lake.read(spark, "silver.transactions").select("txn_id", "customer_id", "txn_month", "amount", "currency",
                                                           "fx_rate", "amount_base", "product_code")  # fmt: skip
    jan = dt.date(2025, 1, 1)
    assertDataFrameEqual(txns, spark.createDataFrame([
        ("T1", "C1", jan, 10.0, "EUR", 1.0, 10.0, "DDA"), ("T2", "C2", jan, 20.0, "USD", 0.92, 20.0 * 0.92, "CC"),
        ("T20", "C3", jan, 7.0, "GBP", 1.17, 7.0 * 1.17, "PL"),
    ], txns.schema), checkRowOrder=False)  # fmt: skip
    customers = lake.read(spark, "silver.customers")
    assert {"first_name", "last_name", "phone", "national_id", "address", "email", "birth_date"}.isdisjoint(
        customers.columns
    )
    assertDataFrameEqual(customers.select("customer_id", "birth_year"),
                         spark.createDataFrame([("C1", 1980), ("C2", 1980), ("C3", 1980)],
                                               "customer_id string, birth_year int"))  # fmt: skip
    accounts = lake.read(spark, "silver.accounts").select("account_id", "product_code", "credit_limit_base")
    assertDataFrameEqual(accounts, spark.createDataFrame([("A1", "DDA", None), ("A2", "CC", 920.0), ("A3", "PL", None)],
                                                         accounts.schema))  # fmt: skip
    text = lake.read(spark, "silver.interactions").select("kind", "text_masked").first()
    assert text.kind == "COMPLAINT"
    assert text.text_masked == "call me on [phone] or [email], or write to [address] (DNI [idnumber]) please"


def test_silver_has_no_duplicates_and_no_orphans(spark, ingested):
    lake = ingested["lake"]
    txns = lake.read(spark, "silver.transactions")
    assert txns.groupBy("txn_id").count().where("count > 1").count() == 0
    accounts = lake.read(spark, "silver.accounts")
    assert txns.join(accounts, "account_id", "left_anti").count() == 0
    assert lake.read(spark, "silver.customers").groupBy("customer_id").count().where("count > 1").count() == 0


def test_schema_drift_is_rejected_naming_column_and_file(spark, ingested):
    lake = ingested["lake"]
    (first,) = ingested["runs"]
    (message,) = first["sources"]["customers"]["schema_drift"]
    assert message.startswith("unexpected column(s) 'loyalty_tier' in file ")
    assert message.endswith("customers_extra.csv")
    drifted = lake.read(spark, "ops.quarantine").where("reason = 'SCHEMA_DRIFT'")
    assertDataFrameEqual(
        drifted.select("source", "row_ref"),
        spark.createDataFrame([("customers", "C6"), ("interactions", "I3")], "source string, row_ref string"),
    )
    assert drifted.where("source = 'interactions'").first().detail.endswith("interactions_extra.json")
    assert drifted.where("detail LIKE '%sentiment%'").count() == 1


# Silver NOT NULL columns that no landing field reaches directly, and what keeps them non-null.
DERIVED_NOT_NULL = {
    "txn_date": "to_date(txn_ts), txn_ts required",
    "txn_month": "trunc(txn_ts), txn_ts required",
}


def test_every_constraint_on_a_silver_table_is_guarded_by_a_validation_rule(spark, ingested):
    """#12: the constraints are read from the tables, not from the code that creates them. Every CHECK on a
    silver table is one of the spec's, each of which tests/unit/test_silver_constraints.py maps to the
    validation rule that quarantines a breaking row first; every NOT NULL column is an id (MISSING_ID), a
    required field (BAD_DATE / BAD_NUMBER), a column derived from one, or ingest's own metadata."""
    lake = ingested["lake"]
    for name, spec in SILVER.items():
        table = f"silver.{name}"
        properties = spark.sql(f"SHOW TBLPROPERTIES {lake.sql_name(table)}")
        checks = properties.where(F.col("key").startswith(CONSTRAINT_PROPERTY)).collect()
        on_table = {row.key.removeprefix(CONSTRAINT_PROPERTY): row.value for row in checks}
        assert on_table == {check.lower(): sql for check, sql in spec.checks.items()}, table
        fields = {f.name: f for f in landing_source(name).fields}
        for column in [f.name for f in lake.read(spark, table).schema if not f.nullable]:
            field = fields.get(column) or fields.get(column.removesuffix("_base"))
            guarded = field is not None and (field.kind == "id" or field.required)
            assert guarded or column in METADATA or column in DERIVED_NOT_NULL, (
                f"{table}.{column} is NOT NULL, but no validation rule quarantines a null first"
            )
    assert sum(len(spec.checks) for spec in SILVER.values()) >= 6  # the loop read real constraints


def test_silver_constraints_reject_a_bad_row(spark, ingested):
    lake = ingested["lake"]
    good = lake.read(spark, "silver.transactions").where("txn_id = 'T1'")
    with pytest.raises(Exception, match="(?i)check constraint"):
        lake.write(good.withColumn("amount_base", F.lit(-1.0)), "silver.transactions", mode="append")
    with pytest.raises(Exception, match="(?i)null"):
        lake.write(
            good.withColumn("txn_id", F.lit(None).cast("string")), "silver.transactions", mode="append"
        )


def test_missing_landing_folder_is_named(spark, config):
    with pytest.raises(CrmMiningError, match="landing"):
        ingest_lake(spark, config)


def test_no_landed_pii_value_reaches_silver_ops_or_the_summary(spark, ingested):
    """The scan the data-protection officer would run: every string column of every silver and ops table."""
    lake = ingested["lake"]
    values = landed_pii_values(Path(lake.landing()))
    assert {"+34 600 111 222", "ann@example.com", "1 Main St, Town", "Ann", "+44 20 7946 0958"} <= values
    found = pii_in_tables(spark, lake, values)
    summary = json.dumps(ingested["runs"], default=str)
    found += [("summary", "", v) for v in values if re.search(rf"\b{re.escape(v)}\b", summary)]
    assert found == []


def test_quarantine_keeps_the_records_of_sources_without_pii_as_they_landed(spark, ingested):
    """Masking is for customers, interactions and lines that did not parse: a transaction's amounts, dates
    and ids are the evidence a steward needs, and a phone rule would take some of them."""
    got = (
        ingested["lake"]
        .read(spark, "ops.quarantine")
        .where("source = 'transactions' AND reason IN ('ABSURD_AMOUNT', 'FUTURE_DATE', 'MALFORMED_ROW')")
        .select("reason", "raw")
    )
    expected = spark.createDataFrame(
        [
            ("ABSURD_AMOUNT", "T5,A1,C1,2025-01-02 10:00:00,5e7,EUR,DEBIT,POS,GROCERY"),
            ("FUTURE_DATE", "T6,A1,C1,2099-01-01 00:00:00,10.0,EUR,DEBIT,POS,GROCERY"),
            ("MALFORMED_ROW", "T11,A1,C1,2025-01-02 11:00:00,5.0"),
        ],
        "reason string, raw string",
    )
    assertDataFrameEqual(got, expected)
