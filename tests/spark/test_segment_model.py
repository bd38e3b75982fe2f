"""The segmentation pipeline on crafted data: k rule on blobs, save/reload, distances, migration, own CSV."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)
from pyspark.testing import assertDataFrameEqual

from crm_mining.config import load_config
from crm_mining.config.segment import SegmentSettings, SetApart
from crm_mining.segment import fit_segmentation, segment_customers
from crm_mining.segment.artifacts import ModelStore
from crm_mining.segment.assign import customer_segments
from crm_mining.segment.migration import segment_migration
from crm_mining.segment.model import kmeans_stage, preprocessing, scaled_in_canonical_layout
from crm_mining.segment.source import customer_frame
from crm_mining.tables import Lake

SNAPSHOT = dt.date(2025, 6, 30)


def blob_rows(centres, sizes, seed=3, spread=0.5):
    """(customer_id, snapshot_date, x, y, z, blob) rows: Gaussian blobs around ``centres``."""
    rng = np.random.default_rng(seed)
    rows = []
    for blob, (centre, size) in enumerate(zip(centres, sizes, strict=True)):
        for point in rng.normal(centre, spread, size=(size, 3)):
            rows.append((f"c{len(rows):04d}", SNAPSHOT, *map(float, point), blob))
    return rows


def blobs(spark, centres, sizes, seed=3):
    schema = "customer_id string, snapshot_date date, x double, y double, z double, blob int"
    return spark.createDataFrame(blob_rows(centres, sizes, seed), schema)


def settings(**changes) -> SegmentSettings:
    base = SegmentSettings(
        features=["x", "y", "z"],
        log1p_columns=[],
        profile_columns=[],
        k_min=2,
        k_max=6,
        n_init=2,
        selection_n_init=2,
    )
    return dataclasses.replace(base, **changes)


FOUR = [(0, 0, 0), (10, 0, 0), (0, 10, 0), (0, 0, 10)]


def test_k_selection_finds_the_four_blobs_and_ids_follow_size(spark):
    frame = blobs(spark, FOUR, [50, 80, 60, 70])
    fit = fit_segmentation(frame, settings(), "v1", "blobs")
    assert fit.info.k == 4
    assert [c.k for c in fit.candidates] == [2, 3, 4, 5, 6]
    # Each blob is one segment; segment 1 is the largest blob (80 customers, blob 1), then 70, 60, 50.
    got = customer_segments(fit.pipeline, fit.info, frame).join(frame, "customer_id")
    pairs = {(r.blob, r.segment_id) for r in got.select("blob", "segment_id").distinct().collect()}
    assert pairs == {(1, 1), (3, 2), (2, 3), (0, 4)}


@pytest.mark.parametrize(("rows_per_partition", "partitions"), [(50_000, 1), (100, 3), (10, 4)])
def test_kmeans_rows_sit_in_one_partition_per_rows_per_partition(spark, rows_per_partition, partitions):
    # 260 customers: ceil(260 / rows_per_partition) partitions, at most the 4 shuffle partitions.
    frame = blobs(spark, FOUR, [50, 80, 60, 70])
    chosen = settings(rows_per_partition=rows_per_partition)
    prep = preprocessing(chosen).fit(frame)
    scaled = scaled_in_canonical_layout(prep, frame, 260, chosen.rows_per_partition)
    assert scaled.rdd.getNumPartitions() == partitions
    assert scaled.count() == 260
    # Another layout of the same customers still finds the four blobs.
    assert fit_segmentation(frame, chosen, "v1", "blobs").info.k == 4


def test_min_share_rule_rejects_a_tiny_cluster(spark):
    # Three blobs of 100 and a tight clump of 6 customers (2%) set apart from blob 0.
    centres = [(0, 0, 0), (20, 0, 0), (0, 20, 0), (0, 0, 5)]
    frame = blobs(spark, centres, [100, 100, 100, 6])
    # The best silhouette alone (tolerance 0): with the default tolerance, k = 5 (a blob split in two) is
    # within 0.05 of k = 4 on such clean blobs.
    # Five KMeans runs per k (the default): with two, k = 3's best run can be a local optimum that merges two
    # blobs and keeps the clump (smallest share 2%), whatever the rule.
    plain = {"silhouette_tolerance": 0.0, "selection_n_init": 5, "n_init": 5}
    assert fit_segmentation(frame, settings(min_segment_share=0.0, **plain), "v1", "blobs").info.k == 4
    guarded = fit_segmentation(frame, settings(min_segment_share=0.05, **plain), "v1", "blobs")
    assert guarded.info.k == 3
    assert "best silhouette" in guarded.info.k_rule


def test_set_apart_customers_get_their_rule_segment_and_stay_out_of_the_fit(spark):
    # Four blobs, and 12 far-away customers whose accounts are all closed: fitted with the others they would
    # be a fifth cluster; set apart, they are segment k+1 "Leavers" without a centroid.
    frame = blobs(spark, [*FOUR, (40, 40, 40)], [50, 80, 60, 70, 12]).withColumn("closed", F.col("blob") == 4)
    rules = [
        SetApart("Leavers", "closed"),
        SetApart("Dormant", "months_silent >= 6"),
    ]  # no such column: skipped
    config = settings(set_apart=rules)
    target = customer_frame(frame, config)
    fit = fit_segmentation(target, config, "v1", "blobs")
    assert (fit.info.k, fit.info.fitted_customers) == (4, 260)
    assert fit.info.set_apart == [
        {"segment_id": 5, "name": "Leavers", "when": "closed"},
        {"segment_id": 6, "name": "Dormant", "when": "months_silent >= 6"},
    ]
    segments = customer_segments(fit.pipeline, fit.info, target)
    apart = segments.where(F.col("segment_id") > 4).select(
        "customer_id", "segment_id", "segment_name", "distance_to_centroid"
    )
    expected = spark.createDataFrame(
        [(f"c{i:04d}", 5, "Leavers", None) for i in range(260, 272)],
        "customer_id string, segment_id int, segment_name string, distance_to_centroid double",
    )
    assertDataFrameEqual(apart, expected)
    assert (
        segments.where(F.col("segment_id") <= 4).where(F.col("distance_to_centroid").isNotNull()).count()
        == 260
    )


def test_fixed_k_skips_the_search(spark):
    fit = fit_segmentation(blobs(spark, FOUR, [30, 30, 30, 30]), settings(k=3), "v1", "blobs")
    assert (fit.info.k, [c.k for c in fit.candidates]) == (3, [3])


def test_saved_pipeline_reloads_and_scores_the_same(spark, tmp_path):
    frame = blobs(spark, FOUR, [40, 50, 60, 70]).withColumn(
        "x", F.when(F.col("customer_id") == "c0001", None).otherwise(F.col("x"))
    )  # a null to impute
    fit = fit_segmentation(frame, settings(log1p_columns=["y"]), "v1", "blobs")
    store = ModelStore(spark, str(tmp_path / "models"))
    assert store.next_version() == "v1"
    store.save(fit.pipeline, fit.info)
    assert (store.versions(), store.next_version()) == (["v1"], "v2")
    pipeline, info = store.load("v1")
    assert info == fit.info
    reloaded = customer_segments(pipeline, info, frame)
    assert reloaded.schema.simpleString() == (
        "struct<customer_id:string,snapshot_date:date,segment_id:int,segment_name:string,"
        "distance_to_centroid:double,model_version:string>"
    )
    assertDataFrameEqual(reloaded, customer_segments(fit.pipeline, fit.info, frame))


def test_distances_to_centroids_add_up_to_the_training_cost(spark):
    frame = blobs(spark, FOUR, [40, 50, 60, 70])
    fit = fit_segmentation(frame, settings(k=4), "v1", "blobs")
    squares = (
        customer_segments(fit.pipeline, fit.info, frame)
        .agg(F.sum(F.col("distance_to_centroid") ** 2))
        .first()[0]
    )
    assert squares == pytest.approx(kmeans_stage(fit.pipeline).summary.trainingCost, rel=1e-9)


def test_migration_matrix_on_a_crafted_case(spark):
    schema = (
        "customer_id string, snapshot_date date, segment_id int, segment_name string, model_version string"
    )
    before, after = dt.date(2025, 5, 31), dt.date(2025, 6, 30)
    previous = spark.createDataFrame(
        [
            ("c1", before, 1, "A", "v1"),
            ("c2", before, 1, "A", "v1"),
            ("c3", before, 2, "B", "v1"),
            ("c4", before, 2, "B", "v1"),
        ],
        schema,
    )
    current = spark.createDataFrame(
        [
            ("c1", after, 1, "A", "v1"),
            ("c2", after, 2, "B", "v1"),
            ("c3", after, 2, "B", "v1"),
            ("c5", after, 1, "A", "v1"),
        ],
        schema,
    )
    expected = spark.createDataFrame(
        [
            (before, after, "v1", 1, "A", 1, "A", 1, 0.5),
            (before, after, "v1", 1, "A", 2, "B", 1, 0.5),
            (before, after, "v1", 2, "B", 2, "B", 1, 0.5),
            (before, after, "v1", 2, "B", None, "(gone)", 1, 0.5),
            (before, after, "v1", None, "(new)", 1, "A", 1, 1.0),
        ],
        "from_snapshot date, to_snapshot date, model_version string, from_segment_id int, from_segment_name string, "
        "to_segment_id int, to_segment_name string, customers long, share_of_from double",
    )
    assertDataFrameEqual(segment_migration(previous, current), expected)


def test_bring_your_own_csv(spark, tmp_path):
    csv = tmp_path / "clients.csv"
    rows = ["client_no,balance,visits,region"]
    rng = np.random.default_rng(5)
    for i in range(60):
        rich = i < 20
        balance = rng.normal(50_000, 5_000) if rich else rng.normal(800, 100)
        visits = rng.normal(2, 0.3) if rich else rng.normal(12, 1)
        rows.append(
            f"K{i:03d},{balance:.2f},{'' if i == 7 else f'{visits:.1f}'},{'north' if i % 2 else 'south'}"
        )
    csv.write_text("\n".join(rows) + "\n")
    config = load_config(
        overrides=[
            "segment.source=csv",
            f"segment.location={csv}",
            "segment.id_column=client_no",
            "segment.features=[balance, visits]",
            "segment.log1p_columns=[balance]",
            "segment.k=2",
            "segment.snapshot_date=2025-06-30",
        ],
        lakehouse=str(tmp_path / "lakehouse"),
    )
    summary = segment_customers(spark, config)
    assert (summary["k"], summary["snapshots"], summary["refitted"]) == (2, ["2025-06-30"], True)
    lake = Lake(config)
    segments = lake.read(spark, "gold.customer_segments")
    by_customer = {r.customer_id: r.segment_id for r in segments.collect()}
    assert len(by_customer) == 60
    # The 40 low-balance frequent visitors are segment 1 (the larger), the 20 rich ones segment 2.
    assert {by_customer[f"K{i:03d}"] for i in range(20)} == {2}
    assert {by_customer[f"K{i:03d}"] for i in range(20, 60)} == {1}
    profiles = lake.read(spark, "gold.segment_profiles").orderBy("segment_id").collect()
    assert [(p.customers, p.share) for p in profiles] == [(40, 40 / 60), (20, 20 / 60)]
    assert [p.lifecycle_mix for p in profiles] == [None, None]
    assert [s.feature for s in profiles[0].feature_stats] == ["balance", "visits"]
    assert profiles[1].feature_stats[0].mean > 40_000  # unscaled, in the file's units
