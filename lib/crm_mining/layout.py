"""A canonical partition layout, so that fits which sample rows partition by partition are reproducible.

KMeans' k-means|| initialisation, ``DataFrame.sample``, LDA's online optimiser and the GBT's subsampling
draw their random rows partition by partition: the same rows arriving in another layout (another read,
filter, join, cache or file layout of a table) give another model. In this layout they give the same one.
"""

from __future__ import annotations

import math

from pyspark.sql import DataFrame, SparkSession


def in_canonical_layout(df: DataFrame, *keys: str, partitions: int | None = None) -> DataFrame:
    """``df`` hash-partitioned by ``keys`` (unique per row) into ``partitions`` (default
    ``spark.sql.shuffle.partitions``), sorted by them within each. An explicit partition count, so adaptive
    execution does not coalesce it by data size; another count (or ``spark.shuffle_partitions``) is
    another layout."""
    count = partitions or int(df.sparkSession.conf.get("spark.sql.shuffle.partitions"))
    return df.repartition(count, *keys).sortWithinPartitions(*keys)


def partitions_for(spark: SparkSession, rows: int, rows_per_partition: int) -> int:
    """ceil(rows / rows_per_partition) partitions, at least 1 and at most ``spark.sql.shuffle.partitions``.

    An iterative MLlib fit runs a Spark job per step (a GBT one per tree level); on a few thousand rows
    each job's time is scheduling its tasks, not reading rows, so fewer partitions fit faster.
    """
    most = int(spark.conf.get("spark.sql.shuffle.partitions"))
    return max(1, min(most, math.ceil(rows / rows_per_partition)))
