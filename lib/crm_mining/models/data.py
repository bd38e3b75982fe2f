"""The modelling table: features at each snapshot joined to the label, the population rule, the split.

Rows of the result: ``customer_id, snapshot_date, label (0/1), horizon_end, <features...>``;
``with_split`` adds ``split`` (train / validation / test).
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from crm_mining import CrmMiningError
from crm_mining.config.models import ModelSpec, SplitSettings
from crm_mining.models.split import (
    OutOfTimeSplit,
    SnapshotCounts,
    check_split_sizes,
    out_of_time_split,
)

KEYS = ("customer_id", "snapshot_date")
NUMERIC = (
    T.ByteType,
    T.ShortType,
    T.IntegerType,
    T.LongType,
    T.FloatType,
    T.DoubleType,
    T.DecimalType,
    T.BooleanType,
)


@dataclass(frozen=True)
class Feature:
    name: str
    kind: str  # "numeric" or "categorical"
    type: str  # Spark SQL type name in the training table


def feature_columns(df: DataFrame, exclude: list[str] | tuple[str, ...]) -> list[Feature]:
    """Model features of ``df``: numeric and boolean columns (numeric), string columns (categorical).

    Arrays, maps, dates and the ``exclude`` columns are left out.
    """
    out = []
    for f in df.schema.fields:
        if f.name in exclude:
            continue
        if isinstance(f.dataType, NUMERIC):
            out.append(Feature(f.name, "numeric", f.dataType.simpleString()))
        elif isinstance(f.dataType, T.StringType):
            out.append(Feature(f.name, "categorical", "string"))
    return out


def lake_population(features: DataFrame, labels: DataFrame, spec: ModelSpec, default_dpd: int) -> DataFrame:
    """Labelled rows of ``spec``'s population: features at the snapshot, the label and its horizon end.

    not_in_default: rows whose ``in_default_column`` is already >= ``default_dpd`` at the snapshot are
    dropped (already in default; their later dpd rows would label them 1 trivially).
    """
    if spec.label not in labels.columns:
        raise CrmMiningError(
            f"gold.labels has no column '{spec.label}'; columns: {', '.join(labels.columns)}"
        )
    horizon = f"{spec.label}_horizon_end"
    horizon_col = F.col(horizon) if horizon in labels.columns else F.lit(None).cast("date")
    lab = labels.where(F.col(spec.label).isNotNull()).select(
        *KEYS, F.col(spec.label).cast("int").alias("label"), horizon_col.alias("horizon_end")
    )
    df = features.join(lab, list(KEYS))
    if spec.population == "not_in_default":
        if spec.in_default_column not in features.columns:
            raise CrmMiningError(
                f"gold.customer_features has no column '{spec.in_default_column}' "
                "(models.<spec>.in_default_column) to find customers already in default"
            )
        df = df.where(F.coalesce(F.col(spec.in_default_column), F.lit(0)) < default_dpd)
    return df


def snapshot_counts(population: DataFrame) -> list[SnapshotCounts]:
    # One row per snapshot: bounded by the snapshot count, fine to collect.
    rows = (
        population.groupBy("snapshot_date")
        .agg(
            F.max("horizon_end").alias("horizon_end"),
            F.sum(F.when(F.col("label") == 0, 1).otherwise(0)).alias("negatives"),
            F.sum(F.when(F.col("label") == 1, 1).otherwise(0)).alias("positives"),
        )
        .collect()
    )
    return sorted(
        (SnapshotCounts(r["snapshot_date"], r["horizon_end"], r["negatives"], r["positives"]) for r in rows),
        key=lambda c: c.snapshot_date,
    )


def with_split(population: DataFrame, settings: SplitSettings, label: str) -> tuple[DataFrame, dict]:
    """``population`` with a ``split`` column (rows outside the split dropped) and a summary of the split."""
    if settings.method == "out_of_time":
        counts = snapshot_counts(population)
        oot = out_of_time_split(label, counts, settings.train_snapshots)
        df = population.transform(lambda d: with_out_of_time_split(d, oot))
        where = {
            "train": ", ".join(str(s) for s in oot.train),
            "validation": str(oot.validation),
            "test": str(oot.test),
        }
        summary = {"method": "out_of_time", **{k: v for k, v in where.items()}}
    else:
        df = population.transform(lambda d: with_random_split(d, settings))
        where = {"train": "random customers", "validation": "random customers", "test": "random customers"}
        summary = {"method": "random", "seed": settings.seed}
    sizes = split_sizes(df)
    check_split_sizes(label, sizes, where, settings.min_rows, settings.min_per_class)
    summary["counts"] = {role: {"negatives": n, "positives": p} for role, (n, p) in sizes.items()}
    return df, summary


def with_out_of_time_split(df: DataFrame, oot: OutOfTimeSplit) -> DataFrame:
    snap = F.col("snapshot_date")
    split = (
        F.when(snap == F.lit(oot.test), "test")
        .when(snap == F.lit(oot.validation), "validation")
        .when(snap.isin(*[F.lit(s) for s in oot.train]), "train")
    )
    return df.withColumn("split", split).where(F.col("split").isNotNull())


def with_random_split(df: DataFrame, settings: SplitSettings) -> DataFrame:
    """Customers (all their snapshots together) hashed into test / validation / train by share."""
    u = (F.abs(F.xxhash64(F.col("customer_id").cast("string"), F.lit(settings.seed))) % 100000) / 100000.0
    split = (
        F.when(u < settings.test_fraction, "test")
        .when(u < settings.test_fraction + settings.validation_fraction, "validation")
        .otherwise("train")
    )
    return df.withColumn("split", split)


def split_sizes(df: DataFrame) -> dict[str, tuple[int, int]]:
    # Three rows (one per split): fine to collect.
    rows = df.groupBy("split").agg(
        F.sum(F.when(F.col("label") == 0, 1).otherwise(0)).alias("n0"),
        F.sum(F.when(F.col("label") == 1, 1).otherwise(0)).alias("n1"),
    )
    return {r["split"]: (r["n0"], r["n1"]) for r in rows.collect()}
