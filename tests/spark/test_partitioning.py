"""cached_by_key: hash-partitioned by the key, sized by adaptive execution, the session's conf left as it was;
session_conf, the setting-within-a-block it and ingest's missing-file skip use."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F  # noqa: N812
from pyspark.testing import assertDataFrameEqual

from crm_mining.partitioning import COALESCE_CACHED, INITIAL_PARTITIONS, cached_by_key
from crm_mining.session import session_conf


def test_small_input_is_coalesced_each_key_in_one_partition_and_the_conf_restored(spark):
    before = {key: spark.conf.get(key, None) for key in (INITIAL_PARTITIONS, COALESCE_CACHED)}
    df = spark.range(2_000).select((F.col("id") % 50).alias("customer_id"), F.col("id").alias("txn"))
    cached = cached_by_key(df, "customer_id", 16)
    try:
        assert {key: spark.conf.get(key, None) for key in before} == before
        # a few KB: adaptive execution coalesces the 16 partitions it starts from
        assert cached.rdd.getNumPartitions() < 16
        per_key = cached.withColumn("part", F.spark_partition_id()).groupBy("customer_id")
        assert per_key.agg(F.countDistinct("part").alias("n")).where("n > 1").count() == 0
        assertDataFrameEqual(cached, df)
    finally:
        cached.unpersist()


def test_session_conf_gives_each_key_its_own_value_back_even_when_the_block_fails(spark):
    was_set, was_unset = "spark.sql.files.maxPartitionBytes", "spark.sql.files.ignoreMissingFiles"
    spark.conf.set(was_set, "64m")
    spark.conf.unset(was_unset)
    failing = pytest.raises(RuntimeError, match="the block failed")
    with failing, session_conf(spark, {was_set: "1m", was_unset: "true"}):
        assert (spark.conf.get(was_set), spark.conf.get(was_unset)) == ("1m", "true")
        raise RuntimeError("the block failed")
    try:
        assert spark.conf.get(was_set) == "64m"
        assert spark.conf.get(was_unset, None) is None
    finally:
        spark.conf.unset(was_set)
