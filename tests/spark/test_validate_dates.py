"""The date floor (ingest.min_date, DATE_TOO_OLD) holds for every date a source lands, not only for
transactions: a customer born or joined in 1800 and an account opened in 1800 used to reach gold as an
age of 225 and a tenure of 2,700 months (#12 4). Hand-made records through the row rules."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import functions as F  # noqa: N812
from pyspark.testing import assertDataFrameEqual

from crm_mining.ingest.batch import rules_for
from crm_mining.ingest.validate import with_row_checks
from crm_mining.landing import source

NOW = dt.datetime(2025, 6, 1)
# The columns drift.records adds beside the contract's: no drift, well-formed, valid UTF-8.
FLAGS = {"drift": None, "drift_merged": None, "malformed": False, "invalid_utf8": False}


def records(spark, source_name: str, rows: list[dict]):
    columns = source(source_name).columns
    full = [{c: row.get(c) for c in columns} | {"raw": str(row)} | FLAGS for row in rows]
    ddl = ", ".join(f"{c} string" for c in [*columns, "raw"])
    return spark.createDataFrame(
        full, f"{ddl}, drift string, drift_merged string, malformed boolean, invalid_utf8 boolean"
    )


def reasons(spark, config, source_name: str, rows: list[dict]):
    checked = with_row_checks(records(spark, source_name, rows), source(source_name), rules_for(config, NOW))
    return checked.select("row_ref", "reason", F.split("detail", ":")[0].alias("field"))


def test_customer_dates_before_the_floor_are_quarantined(spark, config):
    got = reasons(spark, config, "customers", [
        {"customer_id": "C1", "birth_date": "1980-02-03", "join_date": "2020-01-01"},
        {"customer_id": "C2", "birth_date": "1800-02-03", "join_date": "2020-01-01"},
        {"customer_id": "C3", "birth_date": "1980-02-03", "join_date": "1800-01-01"},
        {"customer_id": "C4", "birth_date": "0001-01-01", "join_date": "2020-01-01"},
    ])  # fmt: skip
    want = [
        ("C1", None, None),
        ("C2", "DATE_TOO_OLD", "birth_date is before ingest.min_date 1900-01-01"),
        ("C3", "DATE_TOO_OLD", "join_date is before ingest.min_date 1900-01-01"),
        ("C4", "DATE_TOO_OLD", "birth_date is before ingest.min_date 1900-01-01"),
    ]
    assertDataFrameEqual(got, spark.createDataFrame(want, "row_ref string, reason string, field string"))


def test_account_dates_before_the_floor_are_quarantined(spark, config):
    account = {"customer_id": "C1", "product_code": "DDA", "status": "ACTIVE", "currency": "EUR"}
    got = reasons(spark, config, "accounts", [
        account | {"account_id": "A1", "open_date": "2020-01-01"},
        account | {"account_id": "A2", "open_date": "1800-01-01"},
        account | {"account_id": "A3", "open_date": "2020-01-01", "close_date": "1850-05-05"},
    ])  # fmt: skip
    want = [
        ("A1", None, None),
        ("A2", "DATE_TOO_OLD", "open_date is before ingest.min_date 1900-01-01"),
        ("A3", "DATE_TOO_OLD", "close_date is before ingest.min_date 1900-01-01"),
    ]
    assertDataFrameEqual(got, spark.createDataFrame(want, "row_ref string, reason string, field string"))
