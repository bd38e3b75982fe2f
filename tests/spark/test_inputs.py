"""The canonical transaction input: lake silver or a user's own files with a column mapping."""

from __future__ import annotations

import datetime as dt

import pytest
from pyspark.testing import assertDataFrameEqual

from crm_mining.config import load_config
from crm_mining.inputs import (
    InputError,
    available_inputs,
    load_transactions,
    optional_columns,
    rejected_transactions,
)
from crm_mining.tables import Lake

CSV = """cust,when,amt,kind
A,2025-01-05 10:00:00,12.5,dr
A,2025-01-06 11:00:00,-3,
B,2025-02-01 09:30:00,100,Credit
B,not a date,5,DEBIT
,2025-02-02 00:00:00,5,DEBIT
C,2025-02-03 00:00:00,abc,DEBIT
C,2025-02-04 00:00:00,7,sideways
"""


def byod_config(tmp_path, *extra):
    path = tmp_path / "my_txns.csv"
    path.write_text(CSV)
    return load_config(
        overrides=[
            "input.source=csv",
            f"input.location={path}",
            "input.columns={customer_id: cust, txn_ts: when, amount: amt}",
            *extra,
        ],
        lakehouse=str(tmp_path / "lake"),
    )


def test_csv_with_custom_names_maps_types_and_rejects_bad_rows(spark, tmp_path):
    config = byod_config(tmp_path, "input.signed_amounts=true", "input.columns.direction=kind")
    got = load_transactions(spark, config)
    assert got.columns == ["customer_id", "txn_ts", "txn_date", "amount_base", "direction"]
    expected = spark.createDataFrame(
        [
            ("A", dt.datetime(2025, 1, 5, 10), dt.date(2025, 1, 5), 12.5, "DEBIT"),
            (
                "A",
                dt.datetime(2025, 1, 6, 11),
                dt.date(2025, 1, 6),
                3.0,
                "DEBIT",
            ),  # no direction: sign says DEBIT
            ("B", dt.datetime(2025, 2, 1, 9, 30), dt.date(2025, 2, 1), 100.0, "CREDIT"),
        ],
        "customer_id string, txn_ts timestamp, txn_date date, amount_base double, direction string",
    )
    assertDataFrameEqual(got, expected)
    reasons = {(r.customer_id, r.reject_reason) for r in rejected_transactions(spark, config).collect()}
    assert reasons == {("B", "BAD_DATE"), (None, "MISSING_ID"), ("C", "BAD_NUMBER"), ("C", "UNKNOWN_CODE")}
    assert optional_columns(got) == []


def test_without_direction_every_row_is_debit_by_default(spark, tmp_path):
    got = load_transactions(spark, byod_config(tmp_path))
    assert {r.direction for r in got.collect()} == {"DEBIT"}
    assert got.where("amount_base <= 0").count() == 0


def test_missing_required_column_names_it_and_the_source(spark, tmp_path):
    config = byod_config(tmp_path, "input.columns.amount=value_eur")
    with pytest.raises(InputError, match=r"'value_eur'.*logical 'amount'.*input.source=csv"):
        load_transactions(spark, config)


def test_lake_source_and_available_inputs(spark, config):
    lake = Lake(config)
    silver = spark.createDataFrame(
        [
            (
                "T1",
                "ACC1",
                "C1",
                dt.datetime(2025, 3, 1, 8),
                dt.date(2025, 3, 1),
                dt.date(2025, 3, 1),
                9.0,
                "EUR",
                1.0,
                9.0,
                None,
                "POS",
                "GROCERY",
                "DDA",
            )
        ],
        "txn_id string, account_id string, customer_id string, txn_ts timestamp, txn_date date, txn_month date, "
        "amount double, currency string, fx_rate double, amount_base double, direction string, channel string, "
        "merchant_category string, product_code string",
    )
    lake.write(silver, "silver.transactions")
    got = load_transactions(spark, config)
    assert optional_columns(got) == ["txn_id", "account_id", "channel", "merchant_category", "product_code"]
    row = got.first()
    assert (row.customer_id, row.amount_base, row.direction, row.channel) == ("C1", 9.0, "DEBIT", "POS")
    available = available_inputs(spark, config, got)
    assert available["channel"] is True
    assert available["silver.balances"] is False


def test_zero_amounts_are_rejected_unless_kept_as_purchases(spark, tmp_path):
    rows = "cust,when,amt\nZ,2025-03-01 10:00:00,0\nZ,2025-03-02 10:00:00,4\nY,2025-03-03 10:00:00,0.0\n"
    path = tmp_path / "zero.csv"
    path.write_text(rows)
    base = [
        "input.source=csv",
        f"input.location={path}",
        "input.columns={customer_id: cust, txn_ts: when, amount: amt}",
    ]
    dropped = load_config(overrides=[*base, "input.signed_amounts=true"], lakehouse=str(tmp_path / "l1"))
    assert [(r.customer_id, r.amount_base) for r in load_transactions(spark, dropped).collect()] == [
        ("Z", 4.0)
    ]
    assert {(r.customer_id, r.reject_reason) for r in rejected_transactions(spark, dropped).collect()} == {
        ("Z", "BAD_NUMBER"),
        ("Y", "BAD_NUMBER"),
    }
    kept = load_config(
        overrides=[*base, "input.signed_amounts=true", "input.keep_zero_amounts=true"],
        lakehouse=str(tmp_path / "l2"),
    )
    got = {
        (r.customer_id, r.txn_date, r.amount_base, r.direction)
        for r in load_transactions(spark, kept).collect()
    }
    assert got == {
        ("Z", dt.date(2025, 3, 1), 0.0, "DEBIT"),  # a zero order is a purchase, whatever the sign rule
        ("Z", dt.date(2025, 3, 2), 4.0, "CREDIT"),  # positive signed amount: money in
        ("Y", dt.date(2025, 3, 3), 0.0, "DEBIT"),
    }
    assert rejected_transactions(spark, kept).count() == 0
