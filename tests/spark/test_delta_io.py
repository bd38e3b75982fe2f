"""Delta I/O through the table registry: write, MERGE upsert, time travel, constraints."""

from __future__ import annotations

from pathlib import Path

import pytest
from delta.tables import DeltaTable
from pyspark.sql.types import StructType
from pyspark.testing import assertDataFrameEqual

from crm_mining import CrmMiningError
from crm_mining.delta_checksum import checksum_path, checksum_rows
from crm_mining.tables import Lake


def test_write_merge_and_time_travel(spark, config):
    lake = Lake(config)
    first = spark.createDataFrame(
        [("C1", "A", 10.0), ("C2", "B", 20.0)], "customer_id string, stage string, v double"
    )
    lake.write(first, "gold.lifecycle_actions")

    upsert = spark.createDataFrame(
        [("C2", "B2", 21.0), ("C3", "C", 30.0)], "customer_id string, stage string, v double"
    )
    lake.merge(spark, upsert, "gold.lifecycle_actions", keys=["customer_id"])

    assertDataFrameEqual(
        lake.read(spark, "gold.lifecycle_actions"),
        spark.createDataFrame([("C1", "A", 10.0), ("C2", "B2", 21.0), ("C3", "C", 30.0)], first.schema),
    )
    assertDataFrameEqual(lake.read(spark, "gold.lifecycle_actions", version=0), first)
    history = lake.delta(spark, "gold.lifecycle_actions").history().select("operation").collect()
    assert [row.operation for row in history] == ["MERGE", "WRITE"]


def test_merge_without_update_keeps_existing_rows(spark, config):
    lake = Lake(config)
    schema = "customer_id string, v double"
    lake.write(spark.createDataFrame([("C1", 1.0)], schema), "gold.lifecycle_actions")
    lake.merge(
        spark,
        spark.createDataFrame([("C1", 9.0), ("C2", 2.0)], schema),
        "gold.lifecycle_actions",
        keys=["customer_id"],
        update=False,
    )
    assertDataFrameEqual(
        lake.read(spark, "gold.lifecycle_actions"), spark.createDataFrame([("C1", 1.0), ("C2", 2.0)], schema)
    )


def test_partitioning_comes_from_the_registry(spark, config):
    lake = Lake(config)
    df = spark.createDataFrame([("C1", "2025-01-31")], "customer_id string, snapshot_date string")
    lake.write(df, "gold.customer_features")
    detail = lake.delta(spark, "gold.customer_features").detail().first()
    assert detail.partitionColumns == ["snapshot_date"]


def test_constraints_reject_bad_rows(spark, config):
    lake = Lake(config)
    good = spark.createDataFrame([("T1", 5.0)], "txn_id string, amount double")
    for _ in range(2):  # idempotent
        lake.ensure_table(
            spark,
            "silver.products",
            good.schema,
            not_null=["txn_id"],
            checks={"amount_positive": "amount > 0"},
        )
    lake.write(good, "silver.products", mode="append")
    assert lake.constraints(spark, "silver.products") == {"amount_positive"}
    bad = spark.createDataFrame([("T2", -1.0)], "txn_id string, amount double")
    with pytest.raises(Exception, match="(?i)check constraint"):
        lake.write(bad, "silver.products", mode="append")
    with pytest.raises(Exception, match="(?i)null"):
        lake.write(
            spark.createDataFrame([(None, 1.0)], "txn_id string, amount double"),
            "silver.products",
            mode="append",
        )
    assert lake.read(spark, "silver.products").count() == 1


def test_an_existing_table_gets_the_constraints_it_lacks(spark, config):
    lake = Lake(config)
    schema = StructType.fromDDL("txn_id string, amount double")
    lake.ensure_table(spark, "silver.products", schema, not_null=["txn_id"])
    lake.write(spark.createDataFrame([("T1", -1.0)], schema), "silver.products", mode="append")
    with pytest.raises(Exception, match="(?i)violate"):  # Delta checks the rows already there
        lake.ensure_table(spark, "silver.products", schema, checks={"Amount_Positive": "amount > 0"})
    lake.delta(spark, "silver.products").delete("amount <= 0")
    lake.ensure_table(spark, "silver.products", schema, checks={"Amount_Positive": "amount > 0"})
    assert lake.constraints(spark, "silver.products") == {"amount_positive"}
    with pytest.raises(Exception, match="(?i)check constraint"):
        lake.write(spark.createDataFrame([("T2", -2.0)], schema), "silver.products", mode="append")


def test_reading_a_missing_table_names_it(spark, config):
    with pytest.raises(CrmMiningError, match="gold.labels"):
        Lake(config).read(spark, "gold.labels")


def test_rows_of_each_version_come_from_its_checksum(spark, config):
    lake = Lake(config)
    schema = "customer_id string, v double"
    lake.write(spark.createDataFrame([("C1", 1.0), ("C2", 2.0)], schema), "gold.lifecycle_actions")
    lake.write(spark.createDataFrame([("C3", 3.0)] * 3, schema), "gold.lifecycle_actions", mode="append")
    lake.write(spark.createDataFrame([("C4", 4.0)], schema), "gold.lifecycle_actions")
    location = lake.location("gold.lifecycle_actions")
    # Delta 4.4 lists a small table's files with their statistics in each version's checksum.
    assert [checksum_rows(spark, location, v) for v in range(3)] == [2, 5, 1]
    assert [lake.rows(spark, "gold.lifecycle_actions", v) for v in range(3)] == [2, 5, 1]


def test_rows_without_a_checksum_are_counted(spark, config):
    lake = Lake(config)
    schema = "customer_id string, v double"
    lake.write(spark.createDataFrame([("C1", 1.0), ("C2", 2.0)], schema), "gold.lifecycle_actions")
    lake.write(spark.createDataFrame([("C3", 3.0)], schema), "gold.lifecycle_actions", mode="append")
    crc = Path(checksum_path(lake.location("gold.lifecycle_actions"), 1))
    crc.unlink()
    assert checksum_rows(spark, lake.location("gold.lifecycle_actions"), 1) is None
    assert lake.rows(spark, "gold.lifecycle_actions", 1) == 3


def test_rows_after_a_delete_with_deletion_vectors(spark, config):
    lake = Lake(config)
    schema = "customer_id string, v double"
    (
        DeltaTable.create(spark)
        .location(lake.location("gold.lifecycle_actions"))
        .addColumns(StructType.fromDDL(schema))
        .property("delta.enableDeletionVectors", "true")
        .execute()
    )
    rows = spark.createDataFrame([("C1", 1.0), ("C2", 2.0), ("C3", 3.0)], schema).coalesce(1)
    lake.write(rows, "gold.lifecycle_actions", mode="append")
    lake.delta(spark, "gold.lifecycle_actions").delete("customer_id = 'C2'")
    # The file still holds 3 records; its deletion vector marks 1 deleted.
    assert checksum_rows(spark, lake.location("gold.lifecycle_actions"), 2) == 2
    assert lake.rows(spark, "gold.lifecycle_actions", 2) == 2
