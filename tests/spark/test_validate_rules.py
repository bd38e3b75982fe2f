"""Row rules on hand-made records (#12 2 and 4): the date floor (ingest.min_date, DATE_TOO_OLD) for
every date a source lands, not only transactions' (a customer born or joined in 1800 and an account opened
in 1800 used to reach gold as an age of 225 and a tenure of 2,700 months); and the rows that would break
a silver CHECK through their base-currency amounts, which must be quarantined before the write."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import functions as F  # noqa: N812
from pyspark.testing import assertDataFrameEqual

from crm_mining.ingest.batch import rules_for
from crm_mining.ingest.validate import Rules, duplicate_flags, with_row_checks
from crm_mining.landing import source

NOW = dt.datetime(2025, 6, 1)
# The columns drift.records adds beside the contract's: no drift, well-formed, valid UTF-8.
FLAGS = {"drift": None, "drift_merged": None, "malformed": False, "invalid_utf8": False}


def records(spark, source_name: str, rows: list[dict], extra: tuple[str, ...] = ()):
    columns = [*source(source_name).columns, *extra]
    full = [{c: row.get(c) for c in columns} | {"raw": str(row)} | FLAGS for row in rows]
    ddl = ", ".join(f"{c} string" for c in [*columns, "raw"])
    return spark.createDataFrame(
        full, f"{ddl}, drift string, drift_merged string, malformed boolean, invalid_utf8 boolean"
    )


def reasons(spark, config, source_name: str, rows: list[dict]):
    checked = with_row_checks(records(spark, source_name, rows), source(source_name), rules_for(config, NOW))
    return checked.select("row_ref", "reason", F.split("detail", ":")[0].alias("field"))


# A bank whose rates include one far below 1 (yen in euros), and no rate for Swiss francs.
RULES = Rules(
    fx_rates={"EUR": 1.0, "JPY": 0.0062},
    max_amount=1e6,
    future_cutoff=NOW,
    min_date=dt.date(1900, 1, 1),
    near_duplicate_seconds=60,
)


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


def test_an_amount_that_is_zero_in_base_currency_is_quarantined(spark):
    """silver.transactions CHECKs amount_base > 0: 5e-324 yen is positive, but 0.0 in euros."""
    txn = {
        "account_id": "A1",
        "customer_id": "C1",
        "txn_ts": "2025-01-02 10:00:00",
        "direction": "DEBIT",
        "channel": "ONLINE",
    }
    rows = [
        txn | {"txn_id": "T1", "amount": "5", "currency": "JPY"},
        txn | {"txn_id": "T2", "amount": "5e-324", "currency": "JPY"},
    ]
    checked = with_row_checks(records(spark, "transactions", rows), source("transactions"), RULES)
    got = checked.select("row_ref", "reason")
    assertDataFrameEqual(
        got, spark.createDataFrame([("T1", None), ("T2", "NEGATIVE_AMOUNT")], "row_ref string, reason string")
    )


def test_a_repayment_whose_account_currency_lost_its_rate_is_quarantined(spark):
    """Repayments take their account's currency; a rate removed from ingest.fx_rates after the account
    landed would leave amount_due_base null, which silver's CHECK refuses (a failed write, every run)."""
    repayment = {
        "customer_id": "C1",
        "month_end": "2025-01-31",
        "amount_due": "100",
        "amount_paid": "50",
        "days_past_due": "0",
    }
    rows = [
        repayment | {"account_id": "A1", "parent_currency": "EUR"},
        repayment | {"account_id": "A2", "parent_currency": "CHF"},
    ]
    checked = with_row_checks(
        records(spark, "repayments", rows, extra=("parent_currency",)),
        source("repayments"),
        RULES,
        currency="parent_currency",
    )
    got = checked.select("row_ref", "reason", "detail")
    want = [
        ("A1|2025-01-31", None, None),
        ("A2|2025-01-31", "UNKNOWN_CODE", "parent_currency 'CHF' has no rate in ingest.fx_rates"),
    ]
    assertDataFrameEqual(got, spark.createDataFrame(want, "row_ref string, reason string, detail string"))


CHECKED_DDL = (
    "record_id long, source_file string, txn_id string, account_id string, direction string, amount double, "
    "currency string, txn_ts timestamp, reason string"
)


def at(minute: int, second: int = 0) -> dt.datetime:
    return dt.datetime(2025, 1, 2, 10, minute, second)


def test_duplicate_flags_keep_the_first_landed_and_flag_the_rest(spark):
    """DUPLICATE: a key already in silver (every copy), or repeated in the batch (all but the first by
    file, then record id). NEAR_DUPLICATE: same account, direction, amount and currency as the previous
    still-valid transaction within near_duplicate_seconds (60), so a chain flags each one after the first;
    an already rejected row is not anyone's previous; a row rejected by a row rule takes no part."""
    a1 = ("A1", "DEBIT", 10.0, "EUR")
    checked = spark.createDataFrame(
        [
            (1, "f1", "T1", *a1, at(0), None),
            (2, "f1", "T2", *a1, at(0, 30), None),  # 30 s after T1: near duplicate
            (3, "f1", "T3", *a1, at(1, 20), None),  # 50 s after T2 (itself flagged): near duplicate
            (4, "f1", "T4", *a1, at(5), None),  # minutes later: kept
            (5, "f2", "T1", *a1, at(0), None),  # T1 again in a later file: duplicate
            (6, "f1", "T6", "A1", "CREDIT", 10.0, "EUR", at(0, 10), None),  # other direction: kept
            (7, "f1", "T7", "A1", "DEBIT", 10.0, "USD", at(0, 10), None),  # other currency: kept
            (8, "f0", "T8", "A2", "DEBIT", 5.0, "EUR", at(0), None),  # key in silver
            (9, "f2", "T8", "A2", "DEBIT", 5.0, "EUR", at(0), None),  # key in silver, copy
            (10, "f1", "T10", "A2", "DEBIT", 5.0, "EUR", at(0, 5), None),  # previous T8s are duplicates
            (11, "f1", "T11", "A2", "DEBIT", 5.0, "EUR", at(0, 6), "BAD_NUMBER"),  # rejected: no part
            (0, "f1", "T12", "A3", "DEBIT", 7.0, "EUR", at(0), None),
            (12, "f1", "T12", "A3", "DEBIT", 7.0, "EUR", at(0), None),  # same file, later record: duplicate
        ],
        CHECKED_DDL,
    )
    silver = spark.createDataFrame([("T8",), ("T8",), ("T99",)], "txn_id string")  # a key twice in silver
    flags = duplicate_flags(checked, source("transactions"), silver, RULES)
    expected = spark.createDataFrame(
        [
            (2, "NEAR_DUPLICATE", "same account, direction and amount as T1 within 30s"),
            (3, "NEAR_DUPLICATE", "same account, direction and amount as T2 within 50s"),
            (5, "DUPLICATE", "key repeated in this batch: T1"),
            (8, "DUPLICATE", "key already in silver: T8"),
            (9, "DUPLICATE", "key already in silver: T8"),
            (12, "DUPLICATE", "key repeated in this batch: T12"),
        ],
        "record_id long, reason string, detail string",
    )
    assertDataFrameEqual(flags, expected)
