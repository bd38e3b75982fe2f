"""The coverage-gap table (gold.product_coverage) and product depth (gold.product_depth).

Coverage: for a target product T (default CC) and every other product P, among P's holders at a snapshot:
``holders``, ``holders_with_target`` (also hold T), ``coverage_pct`` = 100 x holders_with_target / holders,
``target_pct`` (config, per product; null without one) and ``gap_customers`` = the customers still to sell T
to for the target, ceil(target_pct / 100 x holders) - holders_with_target, at least 0. The TOTAL row is the
same over every customer holding any product.

Depth: customers by number of products held (1, 2, 3, 4+) with the share active in the 90 days up to the
snapshot and the churn and default rates of gold.labels: over labelled customers, and only at snapshots whose
label window has closed (null before: gold.labels holds a positive as soon as it is seen and a negative only
once the window ends, so an open window's rate would be 1).
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

TOTAL = "TOTAL"
COVERAGE_COLUMNS = (
    "snapshot_date", "target_product", "product", "holders", "holders_with_target", "coverage_pct",
    "target_pct", "gap_customers",
)  # fmt: skip
DEPTH_COLUMNS = (
    "snapshot_date", "products_held", "customers", "active_90d", "activity_rate", "churn_labelled",
    "churn_rate", "default_labelled", "default_rate",
)  # fmt: skip


def product_coverage(
    spark: SparkSession, baskets: DataFrame, target: str, targets_pct: dict[str, float]
) -> DataFrame:
    """COVERAGE_COLUMNS per snapshot and product of ``baskets`` (snapshot_date, customer_id, items)."""
    has_target = F.array_contains("items", target).cast("int")
    held = baskets.select(
        "snapshot_date", has_target.alias("has_target"), F.explode("items").alias("product")
    )
    per_product = (
        held.where(F.col("product") != target)
        .groupBy("snapshot_date", "product")
        .agg(F.count(F.lit(1)).alias("holders"), F.sum("has_target").alias("holders_with_target"))
    )
    total = baskets.groupBy("snapshot_date").agg(
        F.lit(TOTAL).alias("product"),
        F.count(F.lit(1)).alias("holders"),
        F.sum(has_target).alias("holders_with_target"),
    )
    targets = spark.createDataFrame(
        [(product, float(pct)) for product, pct in targets_pct.items()], "product string, target_pct double"
    )
    rows = per_product.unionByName(total).join(F.broadcast(targets), "product", "left")
    wanted = F.round(
        F.col("target_pct") * F.col("holders") / 100.0, 6
    )  # 6 decimals: 0.7 x 10 is 7, not 7.000001
    return rows.select(
        "snapshot_date",
        F.lit(target).alias("target_product"),
        "product",
        F.col("holders").cast("long").alias("holders"),
        F.col("holders_with_target").cast("long").alias("holders_with_target"),
        (100.0 * F.col("holders_with_target") / F.col("holders")).alias("coverage_pct"),
        "target_pct",
        F.when(wanted.isNotNull(), F.greatest(F.ceil(wanted) - F.col("holders_with_target"), F.lit(0)))
        .cast("long")
        .alias("gap_customers"),
    )


def depth_bucket(count: F.Column) -> F.Column:
    return F.when(count >= 4, F.lit("4+")).otherwise(count.cast("string"))


def closed_label_windows(labels: DataFrame, *columns: str) -> DataFrame:
    """snapshot_date and ``<column>_closed`` per label column: whether its window has closed at the snapshot.

    A label's window closes for every customer of a snapshot at once (its horizon end is past the data end
    or not), and only a closed window has negatives, so a snapshot with any 0 label has a closed window.
    """
    return labels.groupBy("snapshot_date").agg(
        *[F.coalesce(F.max(F.col(c) == 0), F.lit(False)).alias(f"{c}_closed") for c in columns]
    )


def final_labels(labels: DataFrame) -> DataFrame:
    """customer_id, snapshot_date, churn, default: each label kept only where its window has closed."""
    return labels.join(closed_label_windows(labels, "churn", "default"), "snapshot_date").select(
        "customer_id",
        "snapshot_date",
        F.when(F.col("churn_closed"), F.col("churn")).alias("churn"),
        F.when(F.col("default_closed"), F.col("default")).alias("default"),
    )


def product_depth(customers: DataFrame, labels: DataFrame | None) -> DataFrame:
    """DEPTH_COLUMNS per snapshot and products held (1, 2, 3, 4+).

    ``customers``: snapshot_date, customer_id, product_count, active_90d (boolean; null = unknown);
    ``labels``: gold.labels (customer_id, snapshot_date, churn, default) or None; rates only from closed
    windows (``final_labels``).
    """
    held = customers.where(F.col("product_count") >= 1)
    if labels is not None:
        held = held.join(final_labels(labels), ["customer_id", "snapshot_date"], "left")
    else:
        held = held.withColumns({"churn": F.lit(None).cast("int"), "default": F.lit(None).cast("int")})
    grouped = held.groupBy("snapshot_date", depth_bucket(F.col("product_count")).alias("products_held")).agg(
        F.count(F.lit(1)).alias("customers"),
        F.sum(F.col("active_90d").cast("int")).alias("active_90d"),
        F.count("active_90d").alias("activity_known"),
        F.count("churn").alias("churn_labelled"),
        F.avg("churn").alias("churn_rate"),
        F.count("default").alias("default_labelled"),
        F.avg("default").alias("default_rate"),
    )
    return grouped.select(
        "snapshot_date",
        "products_held",
        F.col("customers").cast("long").alias("customers"),
        F.col("active_90d").cast("long").alias("active_90d"),
        F.when(F.col("activity_known") > 0, F.col("active_90d") / F.col("activity_known")).alias(
            "activity_rate"
        ),
        F.col("churn_labelled").cast("long").alias("churn_labelled"),
        F.col("churn_rate").cast("double").alias("churn_rate"),
        F.col("default_labelled").cast("long").alias("default_labelled"),
        F.col("default_rate").cast("double").alias("default_rate"),
    )
