"""The local session's Spark conf comes from the validated config (no Spark started)."""

from __future__ import annotations

from crm_mining.config import load_config
from crm_mining.session import local_builder


def built_conf(*overrides: str) -> dict[str, str]:
    return dict(local_builder(load_config(overrides=list(overrides)).spark)._options)


def test_batch_shuffles_start_wide_and_adaptive_execution_may_coalesce_cached_ones():
    conf = built_conf("spark.adaptive_initial_partitions=24", "spark.shuffle_partitions=3")
    assert conf["spark.sql.adaptive.coalescePartitions.initialPartitionNum"] == "24"
    assert conf["spark.sql.shuffle.partitions"] == "3"
    assert conf["spark.sql.optimizer.canChangeCachedPlanOutputPartitioning"] == "true"


def test_the_configs_spark_conf_wins_over_the_defaults():
    conf = built_conf("spark.conf={spark.sql.adaptive.coalescePartitions.initialPartitionNum: '8'}")
    assert conf["spark.sql.adaptive.coalescePartitions.initialPartitionNum"] == "8"
