"""`segment` on the sample lake: every table, the saved model on a later snapshot, the anchors
(scikit-learn's inertia and the generator's latent segments)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from pyspark.ml.functions import vector_to_array
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)
from sklearn.cluster import KMeans

from crm_mining.config import Config
from crm_mining.segment import fit_segmentation, segment_customers
from crm_mining.segment.artifacts import ModelStore, model_dir
from crm_mining.segment.assign import agreement, customer_segments
from crm_mining.segment.model import SCALED
from crm_mining.segment.source import customer_frame, read_customers, to_cluster
from crm_mining.tables import Lake

# Measured on the sample lake (2026-12-03): with leavers and inactive customers set apart and the silhouette
# tolerance, the model this module fits (second-latest snapshot) chose k = 5 and scored the latest snapshot at
# ARI 0.705 on the 316 customers KMeans segments (0.481 on all 400, the two set-apart segments as labels);
# with age + occupation added 0.709 (k = 6). Before both changes: k = 4, ARI 0.427 on all customers.
# The floor leaves room for KMeans' initialisation.
TRUTH_ARI_FLOOR = 0.60


def with_segment(config: Config, **changes) -> Config:
    return dataclasses.replace(config, segment=dataclasses.replace(config.segment, **changes))


@pytest.fixture(scope="module")
def segmented(spark, sample_lake, tmp_path_factory):
    """With the stage's defaults: fit on the second-latest snapshot, then score the latest with the saved model."""
    config = with_segment(sample_lake, model_dir=str(tmp_path_factory.mktemp("models")))
    lake = Lake(config)
    dates = sorted(
        r[0] for r in lake.read(spark, "gold.customer_features").select("snapshot_date").distinct().collect()
    )
    first = segment_customers(spark, with_segment(config, snapshot_date=dates[-2]))
    second = segment_customers(spark, config)
    return config, dates, first, second


def latest_target(spark, config: Config, date):
    frame = customer_frame(read_customers(spark, config), config.segment)
    return frame.where(F.col("snapshot_date") == F.lit(date)).cache()


def test_every_table_is_written_and_the_later_snapshot_uses_the_saved_model(spark, segmented):
    config, dates, first, second = segmented
    lake = Lake(config)
    assert (first["refitted"], first["model_version"], first["snapshots"]) == (
        True,
        "v1",
        [d.isoformat() for d in dates[-3:-1]],
    )
    assert (second["refitted"], second["model_version"], second["k"]) == (False, "v1", first["k"])
    k = first["k"]

    selection = lake.read(spark, "gold.segment_k_selection").where("model_version = 'v1'").collect()
    assert sorted(r.k for r in selection) == [3, 4, 5, 6, 7, 8]
    assert [r.k for r in selection if r.chosen] == [k]

    features = lake.read(spark, "gold.customer_features").where(F.col("snapshot_date") == F.lit(dates[-1]))
    segments = lake.read(spark, "gold.customer_segments").where(F.col("snapshot_date") == F.lit(dates[-1]))
    assert segments.count() == features.count()
    assert {r.segment_id for r in segments.select("segment_id").distinct().collect()} == set(range(1, k + 3))
    assert segments.where("distance_to_centroid < 0").count() == 0
    # Leavers (all accounts closed) and inactive customers (no transaction in 90 days) are set apart as
    # segments k+1 and k+2, without a centroid; every other customer has a KMeans segment and a distance.
    apart = (
        features.select(
            "customer_id",
            F.when(F.col("all_accounts_closed"), F.lit("Leavers"))
            .when(F.col("txn_count_90d") == 0, F.lit("Inactive customers"))
            .alias("expected"),
        )
        .join(segments, "customer_id")
        .groupBy(
            "expected",
            "segment_id",
            "segment_name",
            F.col("distance_to_centroid").isNull().alias("no_distance"),
        )
        .count()
        .collect()
    )
    assert {(r.expected, r.segment_id, r.segment_name, r.no_distance) for r in apart if r.expected} == {
        ("Leavers", k + 1, "Leavers", True),
        ("Inactive customers", k + 2, "Inactive customers", True),
    }
    assert all(r.segment_id <= k and not r.no_distance for r in apart if r.expected is None)

    profiles = (
        lake.read(spark, "gold.segment_profiles").where(F.col("snapshot_date") == F.lit(dates[-1])).collect()
    )
    names = [p.segment_name for p in profiles]
    assert len(profiles) == k + 2 and len(set(names)) == k + 2
    assert sum(p.share for p in profiles) == pytest.approx(1.0)
    assert all(p.lifecycle_mix and sum(p.lifecycle_mix.values()) == pytest.approx(1.0) for p in profiles)
    assert all(p.top_products and len(p.top_products) == 3 for p in profiles if p.segment_id <= k)
    assert [p.top_products for p in profiles if p.segment_name == "Leavers"] == [None]  # no product held
    assert any(
        p.mean_expected_value is not None for p in profiles
    )  # gold.customer_value is at the latest snapshot
    assert profiles[0].feature_stats[0].feature == config.segment.features[0]

    migration = lake.read(spark, "gold.segment_migration").where(F.col("to_snapshot") == F.lit(dates[-1]))
    totals = migration.groupBy("from_segment_id").agg(F.sum("share_of_from").alias("s")).collect()
    assert all(r.s == pytest.approx(1.0) for r in totals)
    assert migration.agg(F.sum("customers")).first()[0] >= features.count()

    # Written on the first run too: the fitted model against a refit with other seeds on its snapshot; then
    # the saved model against a refit on the later snapshot it scores.
    stability = lake.read(spark, "gold.segment_stability").orderBy("snapshot_date").collect()
    assert [(r.snapshot_date, r.model_version, r.comparison, r.k) for r in stability] == [
        (dates[-2], "v1", "seed refit", k),
        (dates[-1], "v1", "saved model vs refit", k),
    ]
    assert [s["stability"]["comparison"] for s in (first, second)] == ["seed refit", "saved model vs refit"]
    assert all(0.3 < r.adjusted_rand_index <= 1.0 and r.customers > 300 for r in stability)
    print(
        f"stability ARI (seed refit, saved v1 vs refit): {[round(r.adjusted_rand_index, 3) for r in stability]}"
    )


def test_mllib_inertia_is_within_one_percent_of_scikit_learn(spark, segmented):
    """The stage's own model (default KMeans settings) against scikit-learn on its fit snapshot."""
    config, dates, first, _ = segmented
    lake = Lake(config)
    pipeline, info = ModelStore(spark, model_dir(config)).load("v1")
    assert (info.k, info.fitted_on_snapshot) == (first["k"], dates[-2].isoformat())
    # The model's final inertia: its customers' squared distances to their centroids, as the stage wrote them.
    segments = lake.read(spark, "gold.customer_segments").where(F.col("snapshot_date") == F.lit(dates[-2]))
    ours = segments.agg(F.sum(F.col("distance_to_centroid") ** 2)).first()[0]
    target = to_cluster(latest_target(spark, config, dates[-2]))  # the customers KMeans segments
    scaled = pipeline.transform(target).select(vector_to_array(SCALED).alias("v"))
    matrix = np.array([r.v for r in scaled.collect()])  # 400 customers: a test-sized sample lake
    assert matrix.shape[0] == segments.where(F.col("distance_to_centroid").isNotNull()).count()
    theirs = KMeans(n_clusters=info.k, init="k-means++", n_init=10, random_state=0).fit(matrix).inertia_
    print(f"inertia MLlib {ours:.2f} / scikit-learn {theirs:.2f} = {ours / theirs:.4f} (k={info.k})")
    assert abs(ours / theirs - 1) <= 0.01


# Issue #10: the floor applies to the behavioural features alone; the ARI with demographics is printed beside it.
def test_segments_recover_the_latent_segments(spark, segmented):
    config, dates, _, _ = segmented
    lake = Lake(config)
    truth = spark.read.parquet(lake.truth("customers"))
    segments = lake.read(spark, "gold.customer_segments").where(F.col("snapshot_date") == F.lit(dates[-1]))
    # The floor is on the customers KMeans segments; leavers and inactive customers are set apart by rule
    # (their latent segment no longer shows in behaviour). With the two set-apart segments as labels too:
    clustered = segments.where(F.col("distance_to_centroid").isNotNull())
    behavioural, customers = agreement(clustered, truth, "segment_id", "segment")
    everyone, _ = agreement(segments, truth, "segment_id", "segment")

    demographic = with_segment(
        config,
        features=[*config.segment.features, "age_years"],
        categorical_features=["occupation"],
        n_init=3,
    ).segment
    target = latest_target(spark, dataclasses.replace(config, segment=demographic), dates[-1])
    fit = fit_segmentation(target, demographic, "demographics", "sample lake")
    with_demographics, _ = agreement(
        customer_segments(fit.pipeline, fit.info, target).where(F.col("distance_to_centroid").isNotNull()),
        truth,
        "segment_id",
        "segment",
    )
    print(
        f"ARI vs latent segment on {customers} segmented customers: behavioural {behavioural:.3f} "
        f"(k={segmented[2]['k']}; {everyone:.3f} on all {segments.count()} with the set-apart segments), "
        f"with age + occupation {with_demographics:.3f} (k={fit.info.k})"
    )
    assert customers == clustered.count() > 0.7 * segments.count()
    assert behavioural >= TRUTH_ARI_FLOOR


def test_the_same_customers_in_another_layout_give_the_same_model(spark, segmented):
    """KMeans|| and the silhouette sample draw rows per partition: the fit must not depend on how the
    customers were read, filtered or cached (a stage run and a notebook once chose different k)."""
    config, dates, _, _ = segmented
    settings = with_segment(config, k=5, n_init=2).segment
    target = latest_target(spark, config, dates[-1])
    shuffled = target.repartition(3).orderBy(F.rand(7))
    fits = [fit_segmentation(frame, settings, "layout", "sample lake") for frame in (target, shuffled)]
    centers = [np.array(sorted(map(tuple, f.pipeline.stages[-1].clusterCenters()))) for f in fits]
    costs = [f.candidates[0].training_cost for f in fits]
    assert centers[0].shape == centers[1].shape
    np.testing.assert_allclose(centers[0], centers[1], rtol=0, atol=1e-9)
    assert costs[0] == pytest.approx(costs[1], rel=1e-12)
