"""`ingest_lake` run after run: a rerun adds nothing, a new daily drop is picked up alone, schema merge."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyspark.sql import functions as F  # noqa: N812
from pyspark.testing import assertDataFrameEqual

from crm_mining.config import load_config
from crm_mining.ingest import ingest_lake
from crm_mining.tables import Lake
from helpers.landing_files import (
    CUSTOMER_HEADER,
    TXN_COLUMNS,
    account,
    customer,
    txn,
    write_csv,
    write_json_lines,
    write_parquet,
)


def small_landing(root: Path) -> None:
    write_csv(root / "products/products.csv", ["product_code", "product_name", "category", "is_credit"],
              [["DDA", "Current account", "DEPOSIT", "false"]])  # fmt: skip
    write_csv(root / "customers/customers.csv", CUSTOMER_HEADER, [customer("C1"), customer("C2")])
    write_json_lines(root / "accounts/accounts.json", [account("A1", "C1"), account("A2", "C2")])
    write_csv(root / "balances/balances.csv", ["account_id", "customer_id", "month_end", "balance", "credit_limit",
                                                "currency"], [["A1", "C1", "2025-01-31", "10", "", "EUR"]])  # fmt: skip
    write_csv(
        root / "transactions/csv/drop_date=2025-01-02/part-0.csv", TXN_COLUMNS, [txn("T1"), txn("T2", "A2")]
    )
    write_parquet(root / "transactions/parquet/drop_date=2025-01-03/part-0.parquet",
                  [dict(zip(TXN_COLUMNS, txn("T3", ts="2025-01-03 09:00:00"), strict=True))])  # fmt: skip
    write_csv(root / "repayments/repayments.csv", ["account_id", "customer_id", "month_end", "amount_due",
                                                    "amount_paid", "days_past_due"],
              [["A1", "C1", "2025-01-31", "0", "0", "0"]])  # fmt: skip
    write_json_lines(root / "interactions/interactions.json", [
        {"interaction_id": "I1", "customer_id": "C1", "interaction_ts": "2025-01-05 08:00:00", "kind": "SERVICE",
         "channel": "PHONE", "text": "hello"}])  # fmt: skip


def stray_files(root: Path) -> None:
    """Files no stream reads: each must be reported, except an in-flight (hidden) one."""
    write_csv(root / "transactions/csv/stray.csv", TXN_COLUMNS, [txn("T90")])  # not in a drop_date= folder
    write_csv(
        root / "transactions/csv/drop_date=2025-01-02/part-9.CSV", TXN_COLUMNS, [txn("T91")]
    )  # upper case
    write_csv(root / "customers/_inflight.csv", CUSTOMER_HEADER, [customer("C7")])  # still being copied
    (root / "notes.txt").write_text("delivered by ops\n")  # under no source folder


def grow_after_ingest(path: Path) -> None:
    """The rest of a file that was picked up while still being copied."""
    with path.open("a") as out:
        out.write("A2,C2,2025-01-31,20,,EUR\n")
    later = path.stat().st_mtime + 60
    os.utime(path, (later, later))


@contextlib.contextmanager
def warnings_logged(logger_name: str) -> Iterator[list[str]]:
    """The messages ``logger_name`` logs at WARNING and above inside the block."""
    lines: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: lines.append(record.getMessage())
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)


@pytest.fixture(scope="module")
def runs(spark, tmp_path_factory):
    """A first run, a rerun over the same files, then a new daily drop (two CSV files, and Parquet with a
    new column) ingested with allow_schema_merge on and one file per micro-batch."""
    root = tmp_path_factory.mktemp("ingest_incremental")
    config = load_config(
        overrides=["spark.master=local[2]", "ingest.optimize=false"], lakehouse=str(root / "lake")
    )
    landing = Path(Lake(config).landing())
    small_landing(landing)
    stray_files(landing)
    with warnings_logged("crm_mining.ingest.unread") as first_log:
        first = ingest_lake(spark, config)
    grow_after_ingest(landing / "balances/balances.csv")
    with warnings_logged("crm_mining.ingest.unread") as rerun_log:
        rerun = ingest_lake(spark, config)
    write_csv(landing / "transactions/csv/drop_date=2025-01-04/part-0.csv", TXN_COLUMNS,
              [txn("T30", ts="2025-01-04 12:00:00", amount="3.5"), txn("T2", "A2")])  # fmt: skip
    write_csv(landing / "transactions/csv/drop_date=2025-01-04/part-1.csv", TXN_COLUMNS,
              [txn("T32", ts="2025-01-04 14:00:00", amount="5")])  # fmt: skip
    drifted = dict(zip(TXN_COLUMNS, txn("T31", ts="2025-01-04 13:00:00", amount="4"), strict=True))
    write_parquet(
        landing / "transactions/parquet/drop_date=2025-01-04/part-0.parquet", [drifted | {"device_id": "D9"}]
    )
    merging = load_config(overrides=["spark.master=local[2]", "ingest.optimize=false", "ingest.allow_schema_merge=true",
                                     "ingest.max_files_per_batch=1"], lakehouse=str(root / "lake"))  # fmt: skip
    new_drop = ingest_lake(spark, merging)
    return {"lake": Lake(config), "runs": [first, rerun, new_drop], "unread_logs": [first_log, rerun_log]}


def test_rerun_adds_nothing_and_a_new_drop_is_picked_up_alone(spark, runs):
    first, rerun, new_drop = runs["runs"]
    assert first["sources"]["transactions"]["rows_written"] == 3
    assert all(s["rows_read"] == 0 and s["rows_written"] == 0 for s in rerun["sources"].values())
    audit = runs["lake"].read(spark, "ops.ingest_audit").where(F.col("run_id") == rerun["run_id"])
    assertDataFrameEqual(
        audit.select("source", "rows_written"),
        spark.createDataFrame([(s, 0) for s in first["sources"]], "source string, rows_written bigint"),
    )
    txns = new_drop["sources"]["transactions"]
    assert (txns["rows_read"], txns["rows_written"], txns["duplicates"]) == (4, 3, 1)
    # max_files_per_batch=1: each new file is its own micro-batch
    assert len(txns["batches"]) == 3
    assert all(s["rows_read"] == 0 for name, s in new_drop["sources"].items() if name != "transactions")
    silver = runs["lake"].read(spark, "silver.transactions").select("txn_id")
    assertDataFrameEqual(
        silver,
        spark.createDataFrame([(t,) for t in ["T1", "T2", "T3", "T30", "T31", "T32"]], "txn_id string"),
    )


def test_a_new_column_is_merged_when_allowed(spark, runs):
    (merged,) = runs["runs"][2]["sources"]["transactions"]["schema_drift"]
    assert "'device_id'" in merged and merged.endswith("drop_date=2025-01-04/part-0.parquet")
    assert runs["lake"].read(spark, "bronze.transactions").where("device_id = 'D9'").count() == 1


def test_every_unread_landing_file_is_reported_with_its_reason(spark, runs):
    first, rerun, _ = runs["runs"]
    unread = runs["lake"].read(spark, "ops.unread_files")
    landing = runs["lake"].landing() + "/"
    got = unread.select(
        F.when(F.col("run_id") == first["run_id"], "first")
        .when(F.col("run_id") == rerun["run_id"], "rerun")
        .alias("run"),
        "source",
        F.col("file").substr(len(landing) + 1, 1000).alias("file"),
        "reason",
    ).where(F.col("run").isNotNull())
    strays = [
        ("transactions", "transactions/csv/stray.csv", "WRONG_FOLDER"),
        ("transactions", "transactions/csv/drop_date=2025-01-02/part-9.CSV", "UNKNOWN_EXTENSION"),
        (None, "notes.txt", "WRONG_FOLDER"),
    ]
    expected = [("first", *s) for s in strays] + [("rerun", *s) for s in strays]
    expected.append(("rerun", "balances", "balances/balances.csv", "CHANGED_AFTER_INGEST"))
    assertDataFrameEqual(
        got, spark.createDataFrame(expected, "run string, source string, file string, reason string")
    )
    assert first["unread_files"] == {"UNKNOWN_EXTENSION": 1, "WRONG_FOLDER": 2}
    assert rerun["unread_files"] == {"CHANGED_AFTER_INGEST": 1, "UNKNOWN_EXTENSION": 1, "WRONG_FOLDER": 2}
    # ... and the log names each one with its reason (a person running ingest sees them without a query)
    for run, lines in zip(("first", "rerun"), runs["unread_logs"], strict=True):
        want = sorted(f"landing file not ingested ({r}): {landing}{f}" for n, _, f, r in expected if n == run)
        assert sorted(lines) == want, run
