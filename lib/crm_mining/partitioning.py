"""A large input cached hash-partitioned by a key, in as many partitions as its size calls for.

Stages that aggregate per customer over every transaction (features) hold, per task, every customer whose
rows the task reads: with a task per input file, each task held all of them and spilled at 30M
transactions. Partitioned by customer first, each task holds a share. The count follows the data:
adaptive execution starts from ``max_partitions`` and coalesces them to its advisory size (~64 MB).
"""

from __future__ import annotations

from pyspark.sql import DataFrame

from crm_mining.session import session_conf

INITIAL_PARTITIONS = "spark.sql.adaptive.coalescePartitions.initialPartitionNum"
# Spark's default keeps a cached shuffle at its full count (no coalescing): 64 tasks for a small lake.
COALESCE_CACHED = "spark.sql.optimizer.canChangeCachedPlanOutputPartitioning"


def cached_by_key(df: DataFrame, key: str, max_partitions: int) -> DataFrame:
    """``df`` cached, hash-partitioned by ``key`` into at most ``max_partitions`` of ~64 MB.

    The two settings hold only while ``persist`` plans the cache; the session's own values come back after,
    so the stage's other shuffles keep theirs (starting every small shuffle from 64 partitions cost small
    lakes 50 ms per query; scripts/results/bench_overhead_ab_partitions.md)."""
    settings = {INITIAL_PARTITIONS: str(max_partitions), COALESCE_CACHED: "true"}
    with session_conf(df.sparkSession, settings):
        return df.repartition(key).persist()
