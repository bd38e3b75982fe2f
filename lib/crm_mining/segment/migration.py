"""gold.segment_migration: how customers move between segments from one snapshot to the next."""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)


def segment_migration(previous: DataFrame, current: DataFrame) -> DataFrame:
    """gold.segment_migration: customers moving from each segment at one snapshot to each at the next.

    ``previous``/``current``: gold.customer_segments rows of one snapshot each (same model). A customer in
    only one snapshot shows as from "(new)" or to "(gone)" with a null segment id. share_of_from is the
    share of the from-segment's customers that went to the to-segment (rows of a from-segment sum to 1).
    """
    from_date = previous.agg(F.max("snapshot_date")).first()[0]  # one value
    to_date = current.agg(F.max("snapshot_date")).first()[0]
    left = previous.select(
        "customer_id",
        F.col("segment_id").alias("from_segment_id"),
        F.col("segment_name").alias("from_segment_name"),
    )
    right = current.select(
        "customer_id",
        F.col("segment_id").alias("to_segment_id"),
        F.col("segment_name").alias("to_segment_name"),
        "model_version",
    )
    version = current.select("model_version").first()[0]
    counts = (
        left.join(right.drop("model_version"), "customer_id", "full")
        .groupBy("from_segment_id", "from_segment_name", "to_segment_id", "to_segment_name")
        .agg(F.count(F.lit(1)).alias("customers"))
    )
    from_total = F.sum("customers").over(Window.partitionBy("from_segment_id", "from_segment_name"))
    return counts.select(
        F.lit(from_date).cast("date").alias("from_snapshot"),
        F.lit(to_date).cast("date").alias("to_snapshot"),
        F.lit(version).cast("string").alias("model_version"),
        F.col("from_segment_id").cast("int").alias("from_segment_id"),
        F.coalesce("from_segment_name", F.lit("(new)")).alias("from_segment_name"),
        F.col("to_segment_id").cast("int").alias("to_segment_id"),
        F.coalesce("to_segment_name", F.lit("(gone)")).alias("to_segment_name"),
        F.col("customers").cast("long").alias("customers"),
        (F.col("customers") / from_total).cast("double").alias("share_of_from"),
    )
