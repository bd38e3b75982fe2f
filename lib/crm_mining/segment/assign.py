"""Scoring customers with a fitted pipeline: segment id, name and distance to the centroid."""

from __future__ import annotations

from pyspark.ml import PipelineModel
from pyspark.ml.functions import vector_to_array
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)

from crm_mining.segment.artifacts import ModelInfo
from crm_mining.segment.model import CLUSTER, SCALED, kmeans_stage
from crm_mining.segment.rules import adjusted_rand_index
from crm_mining.segment.source import SET_APART, to_cluster


def literal_array(values: list) -> Column:
    return F.array(*[F.lit(v) for v in values])


def distance_to_centre(pipeline: PipelineModel) -> Column:
    """Euclidean distance (standardised units) from ``scaled`` to the centre of its ``cluster``."""
    # k x d numbers: bounded by config, not by customers.
    centres = F.array(
        *[literal_array([float(v) for v in c]) for c in kmeans_stage(pipeline).clusterCenters()]
    )
    centre = F.element_at(centres, F.col(CLUSTER) + 1)
    squares = F.zip_with(vector_to_array(F.col(SCALED)), centre, lambda x, c: (x - c) * (x - c))
    return F.sqrt(F.aggregate(squares, F.lit(0.0), lambda total, v: total + v))


def clusters(pipeline: PipelineModel, frame: DataFrame) -> DataFrame:
    """customer_id, snapshot_date, cluster (KMeans index), distance of the customers KMeans segments."""
    return pipeline.transform(to_cluster(frame)).select(
        "customer_id",
        "snapshot_date",
        F.col(CLUSTER).cast("int").alias(CLUSTER),
        distance_to_centre(pipeline).alias("distance"),
    )


def set_apart_segments(info: ModelInfo, frame: DataFrame) -> DataFrame:
    """gold.customer_segments rows of the customers a set-apart rule took (no centroid: null distance)."""
    ids = F.create_map(*[F.lit(v) for r in info.set_apart for v in (r["name"], r["segment_id"])])
    return frame.where(F.col(SET_APART).isNotNull()).select(
        "customer_id",
        "snapshot_date",
        ids[F.col(SET_APART)].cast("int").alias("segment_id"),
        F.col(SET_APART).cast("string").alias("segment_name"),
        F.lit(None).cast("double").alias("distance_to_centroid"),
        F.lit(info.version).cast("string").alias("model_version"),
    )


def customer_segments(pipeline: PipelineModel, info: ModelInfo, frame: DataFrame) -> DataFrame:
    """gold.customer_segments rows: customer_id, snapshot_date, segment_id, segment_name,
    distance_to_centroid (standardised feature units; null when set apart), model_version."""
    clustered = kmeans_segments(pipeline, info, frame)
    if SET_APART not in frame.columns:
        return clustered
    return clustered.unionByName(set_apart_segments(info, frame))


def kmeans_segments(pipeline: PipelineModel, info: ModelInfo, frame: DataFrame) -> DataFrame:
    index = F.col(CLUSTER) + 1
    return (
        clusters(pipeline, frame)
        .withColumn("segment_id", F.element_at(literal_array(info.segment_ids), index))
        .withColumn("segment_name", F.element_at(literal_array(info.segment_names), index))
        .select(
            "customer_id",
            "snapshot_date",
            F.col("segment_id").cast("int").alias("segment_id"),
            F.col("segment_name").cast("string").alias("segment_name"),
            F.col("distance").cast("double").alias("distance_to_centroid"),
            F.lit(info.version).cast("string").alias("model_version"),
        )
    )


def contingency(left: DataFrame, right: DataFrame, left_label: str, right_label: str) -> dict:
    """{(left label, right label): customers} over customers in both frames (joined on customer_id)."""
    joined = left.select("customer_id", F.col(left_label).alias("a")).join(
        right.select("customer_id", F.col(right_label).alias("b")), "customer_id"
    )
    # At most (labels x labels) rows: bounded by k, not by customers.
    return {(r.a, r.b): r.n for r in joined.groupBy("a", "b").agg(F.count(F.lit(1)).alias("n")).collect()}


def agreement(left: DataFrame, right: DataFrame, left_label: str, right_label: str) -> tuple[float, int]:
    """(adjusted Rand index, customers compared) between two labellings of the same customers."""
    table = contingency(left, right, left_label, right_label)
    return adjusted_rand_index(table), sum(table.values())
