"""gold.segment_profiles: who is in each segment, in the features' own units, and how they behave.

Every transform takes ``segmented``: gold.customer_segments rows joined to the customers' unscaled
profile columns and ``products`` (see ``segmented_customers``). Group keys are ``KEYS``.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)

KEYS = ["snapshot_date", "model_version", "segment_id", "segment_name"]
FEATURE_STAT = (
    "struct<feature:string,mean:double,median:double,population_mean:double,ratio_to_population:double>"
)


def segmented_customers(segments: DataFrame, frame: DataFrame, columns: list[str]) -> DataFrame:
    """KEYS, customer_id, the unscaled ``columns`` and products, one row per customer and snapshot."""
    products = F.col("products") if "products" in frame.columns else F.lit(None).cast("array<string>")
    return segments.join(frame, ["customer_id", "snapshot_date"]).select(
        *KEYS, "customer_id", *columns, products.alias("products")
    )


def ratio(numerator, denominator):
    return F.when(denominator != 0, numerator / denominator)


def feature_stats(segmented: DataFrame, columns: list[str]) -> DataFrame:
    """KEYS, customers, share, feature_stats (mean, median, population mean, ratio per column; nulls ignored)."""
    per_segment = segmented.groupBy(*KEYS).agg(
        F.count(F.lit(1)).alias("customers"),
        *[F.avg(c).alias(f"{c}__mean") for c in columns],
        *[F.median(c).alias(f"{c}__median") for c in columns],
    )
    population = segmented.groupBy("snapshot_date", "model_version").agg(
        F.count(F.lit(1)).alias("population"), *[F.avg(c).alias(f"{c}__pop") for c in columns]
    )
    stats = F.array(
        *[
            F.struct(
                F.lit(c).alias("feature"),
                F.col(f"{c}__mean").alias("mean"),
                F.col(f"{c}__median").alias("median"),
                F.col(f"{c}__pop").alias("population_mean"),
                ratio(F.col(f"{c}__mean"), F.col(f"{c}__pop")).alias("ratio_to_population"),
            )
            for c in columns
        ]
    )
    return per_segment.join(population, ["snapshot_date", "model_version"]).select(
        *KEYS,
        F.col("customers").cast("long").alias("customers"),
        (F.col("customers") / F.col("population")).cast("double").alias("share"),
        stats.cast(f"array<{FEATURE_STAT}>").alias("feature_stats"),
    )


def top_products(segmented: DataFrame, n: int) -> DataFrame:
    """KEYS, top_products: the ``n`` most held products with the share of the segment holding each."""
    sizes = segmented.groupBy(*KEYS).agg(F.count(F.lit(1)).alias("customers"))
    holders = (
        segmented.select(*KEYS, F.explode("products").alias("product"))
        .groupBy(*KEYS, "product")
        .agg(F.count(F.lit(1)).alias("holders"))
    )
    rank = F.row_number().over(Window.partitionBy(*KEYS).orderBy(F.desc("holders"), "product"))
    ranked = holders.withColumn("rank", rank).where(F.col("rank") <= n).join(sizes, KEYS)
    entry = F.struct("rank", "product", (F.col("holders") / F.col("customers")).alias("share"))
    listed = ranked.groupBy(*KEYS).agg(F.array_sort(F.collect_list(entry)).alias("top"))
    return listed.select(
        *KEYS,
        F.transform("top", lambda e: F.struct(e["product"].alias("product"), e["share"].alias("share")))
        .cast("array<struct<product:string,share:double>>")
        .alias("top_products"),
    )


def lifecycle_mix(segmented: DataFrame, stages: DataFrame) -> DataFrame:
    """KEYS, lifecycle_mix: stage -> share of the segment (customers without a stage are left out)."""
    sizes = segmented.groupBy(*KEYS).agg(F.count(F.lit(1)).alias("customers"))
    counts = (
        segmented.join(
            stages.select("customer_id", "snapshot_date", "stage"), ["customer_id", "snapshot_date"]
        )
        .groupBy(*KEYS, "stage")
        .agg(F.count(F.lit(1)).alias("n"))
        .join(sizes, KEYS)
    )
    entry = F.struct(F.col("stage"), (F.col("n") / F.col("customers")).alias("share"))
    return counts.groupBy(*KEYS).agg(
        F.map_from_entries(F.array_sort(F.collect_list(entry)))
        .cast("map<string,double>")
        .alias("lifecycle_mix")
    )


def label_rates(segmented: DataFrame, labels: DataFrame) -> DataFrame:
    """KEYS, churn_rate, default_rate (over customers whose label window has closed), labelled counts."""
    joined = segmented.join(
        labels.select("customer_id", "snapshot_date", "churn", "default"),
        ["customer_id", "snapshot_date"],
        "left",
    )
    return joined.groupBy(*KEYS).agg(
        F.avg("churn").cast("double").alias("churn_rate"),
        F.avg("default").cast("double").alias("default_rate"),
        F.count("churn").cast("long").alias("churn_labelled"),
        F.count("default").cast("long").alias("default_labelled"),
    )


def mean_value(segmented: DataFrame, values: DataFrame) -> DataFrame:
    """KEYS, mean_expected_value (gold.customer_value at the same snapshot)."""
    joined = segmented.join(
        values.select("customer_id", "snapshot_date", "expected_value"),
        ["customer_id", "snapshot_date"],
        "left",
    )
    return joined.groupBy(*KEYS).agg(F.avg("expected_value").cast("double").alias("mean_expected_value"))


def segment_profiles(
    segmented: DataFrame,
    columns: list[str],
    n_products: int,
    stages: DataFrame | None,
    labels: DataFrame | None,
    values: DataFrame | None,
) -> DataFrame:
    """gold.segment_profiles; the parts whose table is missing (None) are null."""
    profile = feature_stats(segmented, columns).join(top_products(segmented, n_products), KEYS, "left")
    parts = [
        (stages, lifecycle_mix, ["lifecycle_mix"], ["map<string,double>"]),
        (
            labels,
            label_rates,
            ["churn_rate", "default_rate", "churn_labelled", "default_labelled"],
            ["double", "double", "long", "long"],
        ),
        (values, mean_value, ["mean_expected_value"], ["double"]),
    ]
    for table, build, names, types in parts:
        if table is None:
            profile = profile.select(
                "*", *[F.lit(None).cast(t).alias(n) for n, t in zip(names, types, strict=True)]
            )
        else:
            profile = profile.join(build(segmented, table), KEYS, "left")
    return profile.select(
        *KEYS,
        "customers",
        "share",
        "feature_stats",
        "top_products",
        "lifecycle_mix",
        "churn_rate",
        "default_rate",
        "churn_labelled",
        "default_labelled",
        "mean_expected_value",
    )
