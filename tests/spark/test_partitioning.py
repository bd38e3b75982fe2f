"""cached_by_key: hash-partitioned by the key, sized by adaptive execution, the session's conf left as it was."""

from __future__ import annotations

from pyspark.sql import functions as F  # noqa: N812
from pyspark.testing import assertDataFrameEqual

from crm_mining.partitioning import COALESCE_CACHED, INITIAL_PARTITIONS, cached_by_key


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
