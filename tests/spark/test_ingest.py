"""`ingest_lake` on a tiny inline landing zone: reason codes, silver content, accounting, drift, constraints."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyspark.sql import functions as F  # noqa: N812
from pyspark.testing import assertDataFrameEqual

from crm_mining import CrmMiningError
from crm_mining.config import load_config
from crm_mining.ingest import ingest_lake
from crm_mining.ingest.sources import source
from crm_mining.tables import Lake

CUSTOMER_HEADER = source("customers").columns
TXN_COLUMNS = source("transactions").columns


def customer(cid: str, join_date: str = "2024-05-01", birth: str = "1980-02-03") -> list[str]:
    return [cid, "Ann", "Lee", birth, "F", "single", "clerk", "secondary", "North", "B2", join_date,
            "+34 600 111 222", "X123", "1 Main St, Town", "ann@example.com"]  # fmt: skip


def write_csv(path: Path, header: list[str], rows: list[list[str] | str]) -> None:
    """Rows are cell lists (quoted when they hold a comma) or raw lines written as they are."""
    path.parent.mkdir(parents=True, exist_ok=True)

    def line(row: list[str] | str) -> str:
        if isinstance(row, str):
            return row
        return ",".join(f'"{c}"' if "," in c else c for c in row)

    path.write_text("\n".join([",".join(header), *map(line, rows)]) + "\n")


def write_json_lines(path: Path, rows: list[dict | str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")


def write_parquet(path: Path, rows: list[dict]) -> None:
    """All-string Parquet, as the contract says banks' extract tools deliver."""
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = list(rows[0])
    table = pa.table({c: pa.array([r.get(c) for r in rows], pa.string()) for c in columns})
    pq.write_table(table, path)


def txn(tid, account="A1", ts="2025-01-02 10:00:00", amount="10.0", currency="EUR", direction="DEBIT",
        customer_id="C1", channel="POS", category="GROCERY") -> list[str]:  # fmt: skip
    return [tid, account, customer_id, ts, amount, currency, direction, channel, category]


def account(aid, cid, product="DDA", currency="EUR", limit=None, status="ACTIVE") -> dict:
    return {"account_id": aid, "customer_id": cid, "product_code": product, "open_date": "2024-06-01",
            "close_date": None, "status": status, "balance": 12.5, "credit_limit": limit, "currency": currency}  # fmt: skip


def base_landing(root: Path) -> None:
    """Valid records plus one bad record of every kind."""
    write_csv(root / "products/products.csv", ["product_code", "product_name", "category", "is_credit"],
              [["DDA", "Current account", "DEPOSIT", "false"], ["CC", "Credit card", "CREDIT", "true"],
               ["PL", "Personal loan", "LOAN", "true"]])  # fmt: skip
    write_csv(root / "customers/customers.csv", CUSTOMER_HEADER, [
        customer("C1"), customer("C2"), customer(" C3 "),
        customer(""),                       # MISSING_ID
        customer("C4", join_date="2025-13-40"),  # BAD_DATE
        "C5,only,three",                    # MALFORMED_ROW
        customer("C1"),                     # DUPLICATE
    ])  # fmt: skip
    write_json_lines(root / "accounts/accounts.json", [
        account("A1", "C1"), account("A2", "C2", "cc ", "USD", limit="1000"), account("A3", "C3", "PL", "GBP"),
        account("A9", "C9"),                # ORPHAN (unknown customer)
        account("A8", "C1", "XYZ"),         # UNKNOWN_CODE
        '{"account_id": "A7", broken',      # MALFORMED_ROW
    ])  # fmt: skip
    write_csv(root / "balances/balances.csv", ["account_id", "customer_id", "month_end", "balance", "credit_limit",
                                                "currency"],
              [["A1", "C1", "2025-01-31", "100.5", "", "EUR"], ["A2", "C2", "2025-01-31", "-20", "1000", "USD"],
               ["A3", "C3", "2025-01-31", "lots", "", "GBP"]])  # fmt: skip
    write_csv(root / "transactions/csv/drop_date=2025-01-02/part-0.csv", TXN_COLUMNS, [
        txn("T1"), txn("T2", "A2", amount="20", currency="usd", customer_id="C2"),
        txn("T3", amount="abc"),            # BAD_NUMBER
        txn("T4", amount="-5"),             # NEGATIVE_AMOUNT
        txn("T5", amount="5e7"),            # ABSURD_AMOUNT
        txn("T6", ts="2099-01-01 00:00:00"),  # FUTURE_DATE
        txn("T7", currency="XXX"),          # UNKNOWN_CODE
        txn("T8", account="A99"),           # ORPHAN
        txn("T1"),                          # DUPLICATE
        txn("T9", "A2", ts="2025-01-02 10:00:30", amount="20", currency="USD", customer_id="C2"),  # NEAR_DUPLICATE
        txn("T10", ts="2025-02-30 10:00:00"),  # BAD_DATE
        "T11,A1,C1,2025-01-02 11:00:00,5.0",  # MALFORMED_ROW
    ])  # fmt: skip
    write_parquet(root / "transactions/parquet/drop_date=2025-01-03/part-0.parquet", [
        dict(zip(TXN_COLUMNS, txn("T20", "A3", "2025-01-03 09:00:00", "7", "GBP", "CREDIT", "C3"), strict=True)),
        dict(zip(TXN_COLUMNS, txn(None, "A3", "2025-01-03 09:30:00"), strict=True)),  # MISSING_ID
    ])  # fmt: skip
    write_csv(root / "repayments/repayments.csv", ["account_id", "customer_id", "month_end", "amount_due",
                                                    "amount_paid", "days_past_due"],
              [["A2", "C2", "2025-01-31", "100", "50", "0"], ["A2", "C2", "2025-02-28", "100", "0", "-3"]])  # fmt: skip
    write_csv(
        root / "customers/customers_extra.csv",
        [*CUSTOMER_HEADER, "loyalty_tier"],
        [[*customer("C6"), "GOLD"]],
    )  # SCHEMA_DRIFT (rejected: allow_schema_merge is off)
    write_json_lines(root / "interactions/interactions_extra.json", [
        {"interaction_id": "I3", "customer_id": "C1", "interaction_ts": "2025-01-06 08:00:00", "kind": "SERVICE",
         "channel": "PHONE", "text": "ok", "sentiment": "happy"},  # SCHEMA_DRIFT
    ])  # fmt: skip
    write_json_lines(root / "interactions/interactions.json", [
        {"interaction_id": "I1", "customer_id": "C1", "interaction_ts": "2025-01-05 08:00:00", "kind": "complaint",
         "channel": "PHONE", "text": "call me on +44 20 7946 0958 or ann.lee@example.com please"},
        {"interaction_id": "I2", "customer_id": "C404", "interaction_ts": "2025-01-05 08:00:00", "kind": "INQUIRY",
         "channel": "ONLINE", "text": "hi"},  # ORPHAN
    ])  # fmt: skip


EXPECTED_QUARANTINE = [
    ("customers", "MISSING_ID"), ("customers", "BAD_DATE"), ("customers", "MALFORMED_ROW"), ("customers", "DUPLICATE"),
    ("customers", "SCHEMA_DRIFT"), ("interactions", "SCHEMA_DRIFT"),
    ("accounts", "ORPHAN"), ("accounts", "UNKNOWN_CODE"), ("accounts", "MALFORMED_ROW"),
    ("balances", "BAD_NUMBER"),
    ("transactions", "BAD_NUMBER"), ("transactions", "NEGATIVE_AMOUNT"), ("transactions", "ABSURD_AMOUNT"),
    ("transactions", "FUTURE_DATE"), ("transactions", "UNKNOWN_CODE"), ("transactions", "ORPHAN"),
    ("transactions", "DUPLICATE"), ("transactions", "NEAR_DUPLICATE"), ("transactions", "BAD_DATE"),
    ("transactions", "MALFORMED_ROW"), ("transactions", "MISSING_ID"),
    ("repayments", "BAD_NUMBER"), ("interactions", "ORPHAN"),
]  # fmt: skip


@pytest.fixture(scope="module")
def ingested(spark, tmp_path_factory):
    """One lake, one run (Spark is slow on this machine, so the tests share it)."""
    root = tmp_path_factory.mktemp("ingest")
    config = load_config(overrides=["spark.master=local[2]"], lakehouse=str(root / "lakehouse"))
    base_landing(Path(Lake(config).landing()))
    return {"config": config, "lake": Lake(config), "runs": [ingest_lake(spark, config)]}


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


def test_accounting_balances_per_source_and_batch(spark, ingested):
    first = ingested["runs"][0]["sources"]
    for name, s in first.items():
        assert s["rows_read"] == s["rows_written"] + s["rows_quarantined"] + s["duplicates"], name
    timing = {"batches": None, "schema_drift": None, "seconds": None, "step_seconds": None}
    assert first["transactions"] | timing == timing | {
        "rows_read": 14, "rows_written": 3, "rows_quarantined": 9,
        "duplicates": 2,
        "quarantined_by_reason": {"ABSURD_AMOUNT": 1, "BAD_DATE": 1, "BAD_NUMBER": 1, "DUPLICATE": 1,
                                  "FUTURE_DATE": 1, "MALFORMED_ROW": 1, "MISSING_ID": 1, "NEAR_DUPLICATE": 1,
                                  "NEGATIVE_AMOUNT": 1, "ORPHAN": 1, "UNKNOWN_CODE": 1},
    }  # fmt: skip
    assert set(first["transactions"]["step_seconds"]) == {
        "bronze", "layout", "check", "duplicates", "classify", "silver", "quarantine", "audit"
    }  # fmt: skip
    audit = ingested["lake"].read(spark, "ops.ingest_audit")
    assert audit.where("NOT balanced").count() == 0
    assert audit.where(F.col("rows_read") != F.col("rows_written") + F.col("rows_quarantined") + F.col("duplicates")
                       ).count() == 0  # fmt: skip


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
    assert text.kind == "COMPLAINT" and text.text_masked == "call me on [phone] or [email] please"


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
