"""One source's failure (a corrupt Parquet drop) does not stop the others; a re-delivered file recovers it,
and `--skip-file` takes a corrupt or deleted planned file out on the record."""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyspark.testing import assertDataFrameEqual

from crm_mining import CrmMiningError, cli
from crm_mining.config import Config
from crm_mining.ingest import ingest_lake
from crm_mining.ingest.run import SourcesFailed
from crm_mining.tables import Lake
from helpers.landing_files import TXN_COLUMNS, base_landing, txn, write_parquet

CORRUPT = "transactions/parquet/drop_date=2025-01-04/part-0.parquet"


@pytest.fixture
def config(config: Config) -> Config:
    """conftest's, without OPTIMIZE after each of the many ingests here (it compacts files; CI time)."""
    return replace(config, ingest=replace(config.ingest, optimize=False))


def test_a_corrupt_file_fails_its_source_only_and_a_redelivered_file_recovers_it(spark, config, capfd):
    landing = Path(Lake(config).landing())
    base_landing(landing)
    (landing / CORRUPT).parent.mkdir(parents=True)
    (landing / CORRUPT).write_bytes(b"not a parquet file, a text the extract tool wrote instead\n" * 40)

    with pytest.raises(
        SourcesFailed,
        match=r"1 of 7 sources not ingested \(transactions: .*drop_date=2025-01-04/part-0.parquet: .*is not a Parquet file",
    ) as err:
        ingest_lake(spark, config)
    assert list(err.value.failed) == ["transactions"]  # repayments' parent is accounts, which loaded
    lake = Lake(config)

    # The same failure through the CLI: exit 2 and one last line naming the file and the cause, no Python
    # traceback. (Executor traces are the session's logging, set when the JVM starts: this test shares the
    # suite's session, so tests/runtime/test_quiet_failures.py checks them in a JVM of its own.)
    code = cli.main(["ingest", "--lakehouse", config.lake.root, "--set", "spark.master=local[2]",
                     "--set", "ingest.optimize=false"])  # fmt: skip
    err_text = capfd.readouterr().err
    assert code == 2, err_text[-3000:]
    last = err_text.strip().splitlines()[-1]
    assert re.search(
        r"1 of 7 sources not ingested .*drop_date=2025-01-04/part-0.parquet: .*is not a Parquet", last
    )
    assert "Traceback" not in err_text and "Py4JJavaError" not in err_text, err_text[-3000:]

    def keys(table: str, *columns: str):
        return lake.read(spark, table).select(*columns)

    # The sources after the failed one were ingested; the transactions' CSV drop too (its own stream).
    assertDataFrameEqual(keys("silver.interactions", "interaction_id"), [("I1",)], checkRowOrder=False)
    assertDataFrameEqual(
        keys("silver.repayments", "account_id", "month_end"),
        spark.createDataFrame([("A2", dt.date(2025, 1, 31))], "account_id string, month_end date"),
    )
    assertDataFrameEqual(
        keys("silver.transactions", "txn_id"), spark.createDataFrame([("T1",), ("T2",)], "txn_id string")
    )

    # The bank re-delivers the file under the same name; the rerun reads the failed batch again, with it.
    write_parquet(landing / CORRUPT, [dict(zip(TXN_COLUMNS, txn("T21", "A3", "2025-01-04 09:00:00", "3", "GBP", "CREDIT", "C3"), strict=True))])  # fmt: skip
    ingest_lake(spark, config)
    assertDataFrameEqual(
        keys("silver.transactions", "txn_id"),
        spark.createDataFrame([("T1",), ("T2",), ("T20",), ("T21",)], "txn_id string"),
    )


def test_a_corrupt_or_deleted_planned_file_is_skipped_on_the_record_by_skip_file(spark, config):
    landing = Path(Lake(config).landing())
    base_landing(landing)
    corrupt, deleted = landing / CORRUPT, landing / CORRUPT.replace("2025-01-04", "2025-01-05")
    # The first bad file types 'amount' as double (the contract: every column a string), the second is
    # not Parquet at all.
    row = dict(
        zip(TXN_COLUMNS, txn("T30", "A3", "2025-01-04 09:00:00", "3", "GBP", "CREDIT", "C3"), strict=True)
    )
    corrupt.parent.mkdir(parents=True)
    pq.write_table(pa.table({c: [12.5 if c == "amount" else v] for c, v in row.items()}), corrupt)
    deleted.parent.mkdir(parents=True)
    deleted.write_bytes(b"not a parquet file\n" * 40)
    for order, path in enumerate((corrupt, deleted), start=1):
        os.utime(path, (time.time() + 60 * order,) * 2)  # the file source plans files oldest first
    typed_bytes = corrupt.read_bytes()
    # One file per micro-batch: the good drop, then each bad file, each in its own batch.
    one_file = replace(config, ingest=replace(config.ingest, max_files_per_batch=1))

    def skipping(path: Path, reason: str) -> Config:
        return replace(one_file, ingest=replace(one_file.ingest, skip_file=str(path), skip_reason=reason))

    with pytest.raises(
        SourcesFailed,
        match=rf"{corrupt.parent.name}/part-0.parquet of 'transactions_parquet': column 'amount' is double",
    ):
        ingest_lake(spark, one_file)  # and again at every run: the replayed batch holds the same file
    typo = landing / "transactions/parquet/drop_date=2025-01-09/part-0.parquet"
    with pytest.raises(
        CrmMiningError, match="no such file, and stream 'transactions_parquet' never planned it"
    ):
        ingest_lake(spark, skipping(typo, "typo"))
    # Skipping the corrupt file moves it aside; its batch goes on without it, and the next bad file stops it.
    with pytest.raises(
        SourcesFailed, match=rf"{deleted.parent.name}/part-0.parquet: .*is not a Parquet file"
    ):
        ingest_lake(spark, skipping(corrupt, "corrupt: the sender resends it as a new drop"))
    deleted.unlink()  # the sender withdrew this one and someone deleted it: the replay says what to do
    with pytest.raises(
        SourcesFailed, match=rf"gone from landing, e.g. {deleted}: re-deliver it .*--skip-file {deleted}"
    ):
        ingest_lake(spark, one_file)
    summary = ingest_lake(spark, skipping(deleted, "withdrawn by the sender"))

    moved = landing / "_skipped" / corrupt.relative_to(landing)
    assert moved.read_bytes() == typed_bytes and not corrupt.exists()
    assert summary["skipped_file"] == {
        "file": str(deleted),
        "stream": "transactions_parquet",
        "moved_to": None,
        "bytes": None,
        "reason": "withdrawn by the sender",
    }
    lake = Lake(config)
    assertDataFrameEqual(
        lake.read(spark, "ops.skipped_files").drop("run_id", "skipped_at"),
        spark.createDataFrame(
            [
                ("transactions", "transactions_parquet", str(corrupt), str(moved), len(typed_bytes), "corrupt: the sender resends it as a new drop"),
                ("transactions", "transactions_parquet", str(deleted), None, None, "withdrawn by the sender"),
            ],
            "source string, stream string, file string, moved_to string, bytes bigint, reason string",
        ),
        checkRowOrder=False,
    )  # fmt: skip
    assertDataFrameEqual(
        lake.read(spark, "silver.transactions").select("txn_id"),
        spark.createDataFrame([("T1",), ("T2",), ("T20",)], "txn_id string"),
        checkRowOrder=False,
    )
    unread_version = lake.version(spark, "ops.unread_files")
    assert ingest_lake(spark, one_file)["unread_files"] == {}  # nothing left behind, nothing fails any more
    assert lake.version(spark, "ops.unread_files") == unread_version  # no commit that carries nothing
