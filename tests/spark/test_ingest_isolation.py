"""One source's failure (a corrupt Parquet drop) does not stop the others; a re-delivered file recovers it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pyspark.testing import assertDataFrameEqual

from crm_mining.ingest import ingest_lake
from crm_mining.ingest.run import SourcesFailed
from crm_mining.tables import Lake
from helpers.landing_files import TXN_COLUMNS, base_landing, txn, write_parquet

CORRUPT = "transactions/parquet/drop_date=2025-01-04/part-0.parquet"


def test_a_corrupt_file_fails_its_source_only_and_a_redelivered_file_recovers_it(spark, config):
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
