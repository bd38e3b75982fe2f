"""Stage `segment`. Entry point: `segment_customers(spark, config) -> summary dict`.

Clusters customers (gold.customer_features, or a customer-level table of your own) with an MLlib
pipeline (median imputation, signed log1p, standard scaling, KMeans k-means||), choosing k by the
silhouette among the k whose smallest segment is big enough; customers a ``segment.set_apart`` rule
takes (leavers, inactive customers) get that rule's segment instead. The fitted pipeline is saved under
``segment.model_dir`` and later snapshots are scored with it unless ``segment.refit``.

Writes gold.customer_segments, gold.segment_profiles, gold.segment_k_selection, gold.segment_migration
and gold.segment_stability. See docs/segment.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time

from pyspark.ml import PipelineModel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)

from crm_mining import CrmMiningError
from crm_mining.config import Config
from crm_mining.config.segment import SegmentSettings
from crm_mining.segment.artifacts import (
    ModelInfo,
    ModelStore,
    check_compatible,
    model_dir,
    set_apart_rules,
)
from crm_mining.segment.assign import agreement, clusters, customer_segments
from crm_mining.segment.migration import segment_migration
from crm_mining.segment.model import (
    check_features_not_all_null,
    fit_candidates,
    fit_kmeans,
    full_pipeline,
    preprocessing,
    scaled_in_canonical_layout,
)
from crm_mining.segment.profiles import feature_stats, segment_profiles, segmented_customers
from crm_mining.segment.rules import KCandidate, segment_names
from crm_mining.segment.source import (
    customer_frame,
    profile_columns,
    read_customers,
    snapshots_to_score,
    source_name,
    to_cluster,
)
from crm_mining.tables import Lake

__all__ = ["segment_customers", "fit_segmentation", "FitResult"]

log = logging.getLogger(__name__)

SEGMENTS, PROFILES = "gold.customer_segments", "gold.segment_profiles"
K_SELECTION, MIGRATION, STABILITY = (
    "gold.segment_k_selection",
    "gold.segment_migration",
    "gold.segment_stability",
)


@dataclasses.dataclass(frozen=True)
class FitResult:
    pipeline: PipelineModel
    info: ModelInfo
    candidates: list[KCandidate]


def dates_sql(dates: list[dt.date]) -> str:
    return ", ".join(f"DATE'{d.isoformat()}'" for d in dates)


def segment_ids_by_size(sizes: list[int]) -> list[int]:
    """Cluster index -> segment id, 1 = the largest cluster (ties: lower index first)."""
    order = sorted(range(len(sizes)), key=lambda i: (-sizes[i], i))
    return [order.index(i) + 1 for i in range(len(sizes))]


def named(
    pipeline: PipelineModel, info: ModelInfo, target: DataFrame, settings: SegmentSettings
) -> ModelInfo:
    """``info`` with segment names derived from the fit snapshot's profile by the configured rules.

    The population is every customer of the snapshot, set-apart ones included, as in gold.segment_profiles.
    """
    columns = profile_columns(settings, target.columns)
    segmented = segmented_customers(customer_segments(pipeline, info, target), target, columns)
    # One row per segment: bounded by k and the set-apart rules.
    ratios = {
        row.segment_id: {s.feature: s.ratio_to_population for s in row.feature_stats}
        for row in feature_stats(segmented, columns).collect()
        if row.segment_id in info.segment_ids
    }
    names = segment_names(
        ratios,
        settings.name_qualifiers,
        settings.name_nouns,
        settings.name_max_qualifiers,
        settings.default_noun,
        taken={r["name"] for r in info.set_apart},
    )
    return dataclasses.replace(info, segment_names=[names[sid] for sid in info.segment_ids])


def fit_segmentation(target: DataFrame, settings: SegmentSettings, version: str, source: str) -> FitResult:
    """Fit the pipeline on one snapshot's customers: k search (or fixed k), segment ids by size, names.

    Customers a set-apart rule took (``target``'s set_apart column) are left out of the fit.
    """
    clustered = to_cluster(target)
    check_features_not_all_null(clustered, settings, source)
    prep = preprocessing(settings).fit(clustered)
    customers = clustered.count()
    if customers == 0:
        raise CrmMiningError(f"segment: every customer of {source} was set apart by segment.set_apart")
    scaled = scaled_in_canonical_layout(prep, clustered, customers, settings.rows_per_partition).cache()
    candidates, chosen, reason = fit_candidates(scaled, customers, settings)
    k = chosen.getK()
    pipeline = full_pipeline(prep, chosen)
    ids = segment_ids_by_size(list(chosen.summary.clusterSizes))
    snapshot = target.select("snapshot_date").first()[0]
    info = ModelInfo(
        version=version,
        k=k,
        features=list(settings.features),
        categorical_features=list(settings.categorical_features),
        log1p_columns=list(settings.log1p_columns),
        fitted_on_snapshot=snapshot.isoformat(),
        fitted_customers=customers,
        seed=settings.seed,
        segment_ids=ids,
        segment_names=[f"Segment {i}" for i in ids],
        k_rule=reason,
        fitted_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        set_apart=set_apart_rules(settings, k),
    )
    info = named(pipeline, info, target, settings)
    scaled.unpersist()
    return FitResult(pipeline, info, candidates)


def k_selection_rows(spark: SparkSession, fit: FitResult, settings: SegmentSettings) -> DataFrame:
    """gold.segment_k_selection rows of one fit (k range rows: bounded by config)."""
    rows = [
        (
            fit.info.version,
            dt.date.fromisoformat(fit.info.fitted_on_snapshot),
            c.k,
            c.silhouette,
            c.training_cost,
            c.smallest_share,
            settings.min_segment_share,
            c.k == fit.info.k,
            fit.info.k_rule,
        )
        for c in fit.candidates
    ]
    schema = (
        "model_version string, snapshot_date date, k int, silhouette double, training_cost double, "
        "smallest_share double, min_segment_share double, chosen boolean, rule string"
    )
    return spark.createDataFrame(rows, schema)


def stability_row(spark: SparkSession, snapshot: dt.date, info: ModelInfo, check: dict) -> DataFrame:
    schema = (
        "snapshot_date date, model_version string, comparison string, reference string, k int, "
        "customers long, adjusted_rand_index double"
    )
    row = (snapshot, info.version, check["comparison"], check["reference"], info.k, check["customers"])
    return spark.createDataFrame([(*row, float(check["adjusted_rand_index"]))], schema)


def current_model(
    spark: SparkSession, store: ModelStore, target: DataFrame, settings: SegmentSettings, source: str
) -> tuple[PipelineModel, ModelInfo, FitResult | None, tuple[PipelineModel, ModelInfo] | None]:
    """(pipeline, info, the fit if one was made, the model it replaces or is checked against)."""
    versions = store.versions()
    saved = store.load(versions[-1]) if versions else None
    if saved and not settings.refit:
        check_compatible(saved[1], settings)
        return saved[0], saved[1], None, None
    fit = fit_segmentation(target, settings, store.next_version(), source)
    store.save(fit.pipeline, fit.info)
    return fit.pipeline, fit.info, fit, saved


def compatible(a: ModelInfo, b: ModelInfo) -> bool:
    return (a.features, a.categorical_features) == (b.features, b.categorical_features)


def seed_refit(target: DataFrame, settings: SegmentSettings, k: int) -> tuple[PipelineModel, list[int]]:
    """An independent refit at ``k`` on ``target``: the same procedure (preprocessing, best of ``n_init``
    KMeans runs) with seeds none of the model's runs used; returns the pipeline and its seeds."""
    first = settings.seed + max(settings.n_init, settings.selection_n_init)
    clustered = to_cluster(target)
    prep = preprocessing(settings).fit(clustered)
    scaled = scaled_in_canonical_layout(
        prep, clustered, clustered.count(), settings.rows_per_partition
    ).cache()
    try:
        model = fit_kmeans(scaled, settings, k, first_seed=first)
    finally:
        scaled.unpersist()
    return full_pipeline(prep, model), [first, first + settings.n_init - 1]


def stability(
    target: DataFrame,
    snapshot: dt.date,
    settings: SegmentSettings,
    pipeline: PipelineModel,
    info: ModelInfo,
    replaced: tuple[PipelineModel, ModelInfo] | None,
) -> dict | None:
    """The gold.segment_stability check of this run: {comparison, reference, adjusted_rand_index, customers}.

    * ``replaced model``: a refit replaced a saved model with the same features; the ARI between the two;
    * ``seed refit``: the model was fitted on this snapshot (a first run); the ARI between it and an
      independent refit with other seeds, i.e. how much the segments depend on KMeans' initialisation;
    * ``saved model vs refit``: a saved model fitted on an earlier snapshot scores this one; the ARI between
      it and a refit (other seeds) on this snapshot, i.e. whether the saved segments still fit the data.
    """
    if replaced is not None and compatible(replaced[1], info):
        comparison, reference, other = "replaced model", f"model {replaced[1].version}", replaced[0]
    elif settings.stability_check:
        other, seeds = seed_refit(target, settings, info.k)
        same = info.fitted_on_snapshot == snapshot.isoformat()
        comparison = "seed refit" if same else "saved model vs refit"
        reference = f"refit k={info.k} seeds {seeds[0]}..{seeds[1]}"
    else:
        return None
    ari, customers = agreement(clusters(pipeline, target), clusters(other, target), "cluster", "cluster")
    return {
        "comparison": comparison,
        "reference": reference,
        "adjusted_rand_index": ari,
        "customers": customers,
    }


def optional_table(spark: SparkSession, lake: Lake, name: str, settings: SegmentSettings) -> DataFrame | None:
    """A lake table the profiles use, or None for your own data or when it has not been built."""
    if settings.source != "lake" or not lake.exists(spark, name):
        return None
    return lake.read(spark, name)


def write_profiles(
    spark: SparkSession, lake: Lake, frame: DataFrame, dates: list[dt.date], settings: SegmentSettings
) -> None:
    segments = lake.read(spark, SEGMENTS).where(F.col("snapshot_date").isin(dates))
    columns = profile_columns(settings, frame.columns)
    profiles = segment_profiles(
        segmented_customers(segments, frame, columns),
        columns,
        settings.top_products,
        optional_table(spark, lake, "gold.lifecycle_stage", settings),
        optional_table(spark, lake, "gold.labels", settings),
        optional_table(spark, lake, "gold.customer_value", settings),
    )
    lake.write(profiles, PROFILES, replace_where=f"snapshot_date IN ({dates_sql(dates)})")


def write_migration(spark: SparkSession, lake: Lake, dates: list[dt.date]) -> list[dict]:
    """One migration matrix per consecutive pair of scored snapshots; returns the share who stayed."""
    if len(dates) < 2:
        return []
    segments = lake.read(spark, SEGMENTS)
    matrices = [
        segment_migration(
            segments.where(F.col("snapshot_date") == F.lit(a)),
            segments.where(F.col("snapshot_date") == F.lit(b)),
        )
        for a, b in zip(dates, dates[1:], strict=False)
    ]
    combined = matrices[0]
    for m in matrices[1:]:
        combined = combined.unionByName(m)
    lake.write(combined, MIGRATION, replace_where=f"to_snapshot IN ({dates_sql(dates[1:])})")
    written = lake.read(spark, MIGRATION).where(F.col("to_snapshot").isin(dates[1:]))
    both = F.col("from_segment_id").isNotNull() & F.col("to_segment_id").isNotNull()
    # One row per snapshot pair.
    stayed = written.groupBy("from_snapshot", "to_snapshot").agg(
        (
            F.sum(F.when(both & (F.col("from_segment_id") == F.col("to_segment_id")), F.col("customers")))
            / F.sum(F.when(both, F.col("customers")))
        ).alias("stayed")
    )
    return [
        {
            "from": r.from_snapshot.isoformat(),
            "to": r.to_snapshot.isoformat(),
            "stayed_share": round(r.stayed or 0.0, 4),
        }
        for r in stayed.orderBy("to_snapshot").collect()
    ]


def segment_customers(spark: SparkSession, config: Config) -> dict:
    """Fit (or load) the segmentation model, score the snapshots, profile, name and track segments."""
    started = time.monotonic()
    settings, lake = config.segment, Lake(config)
    source = source_name(settings)
    frame = customer_frame(read_customers(spark, config), settings)
    dates = snapshots_to_score(frame, settings)
    frame = frame.where(F.col("snapshot_date").isin(dates)).cache()
    target = frame.where(F.col("snapshot_date") == F.lit(dates[-1]))
    store = ModelStore(spark, model_dir(config))
    pipeline, info, fit, replaced = current_model(spark, store, target, settings, source)
    if fit is not None:
        lake.write(
            k_selection_rows(spark, fit, settings),
            K_SELECTION,
            replace_where=f"model_version = '{info.version}'",
        )

    segments = customer_segments(pipeline, info, frame)
    lake.write(segments, SEGMENTS, replace_where=f"snapshot_date IN ({dates_sql(dates)})")
    write_profiles(spark, lake, frame, dates, settings)
    migration = write_migration(spark, lake, dates)
    checked = stability(target, dates[-1], settings, pipeline, info, replaced)
    if checked:
        where = f"snapshot_date = DATE'{dates[-1].isoformat()}' AND model_version = '{info.version}'"
        row = stability_row(spark, dates[-1], info, checked)
        lake.write(row, STABILITY, replace_where=where, merge_schema=True)
    frame.unpersist()

    profiles = lake.read(spark, PROFILES).where(F.col("snapshot_date") == F.lit(dates[-1]))
    # k rows.
    sizes = {r.segment_name: r.customers for r in profiles.select("segment_name", "customers").collect()}
    return {
        "source": source,
        "snapshots": [d.isoformat() for d in dates],
        "model_version": info.version,
        "model_dir": f"{store.root}/{info.version}",
        "refitted": fit is not None,
        "k": info.k,
        "k_rule": info.k_rule,
        "k_selection": [
            {
                "k": c.k,
                "silhouette": c.silhouette and round(c.silhouette, 4),
                "smallest_share": round(c.smallest_share, 4),
            }
            for c in (fit.candidates if fit else [])
        ],
        "segments": dict(sorted(sizes.items(), key=lambda kv: -kv[1])),
        "migration": migration,
        "stability": checked and {**checked, "adjusted_rand_index": round(checked["adjusted_rand_index"], 4)},
        "seconds": round(time.monotonic() - started, 1),
    }
