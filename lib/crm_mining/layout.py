"""A canonical partition layout, so that fits which sample rows partition by partition are reproducible.

KMeans' k-means|| initialisation, ``DataFrame.sample``, LDA's online optimiser and the GBT's subsampling
draw their random rows partition by partition: the same rows arriving in another layout (another read,
filter, join, cache or file layout of a table) give another model. In this layout they give the same one.
"""

from __future__ import annotations

from pyspark.sql import DataFrame


def in_canonical_layout(df: DataFrame, *keys: str) -> DataFrame:
    """``df`` hash-partitioned by ``keys`` (unique per row) into ``spark.sql.shuffle.partitions`` partitions,
    sorted by them within each. An explicit partition count, so adaptive execution does not coalesce it by
    data size; a different ``spark.shuffle_partitions`` is a different layout."""
    partitions = int(df.sparkSession.conf.get("spark.sql.shuffle.partitions"))
    return df.repartition(partitions, *keys).sortWithinPartitions(*keys)
