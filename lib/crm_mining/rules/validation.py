"""Do the exclusions pick the customers who default? Excluded against kept default rates from gold.labels.

Groups at one snapshot, over the customers offered to or excluded at it (a product basket):
``excluded_risk_level``, ``excluded_risk_rule``, ``excluded_any`` (either) and ``kept`` (neither).
Per group: customers, ``labelled`` (a non-null default label) and the default rate among them.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

VALIDATION_COLUMNS = ("snapshot_date", "group", "customers", "labelled", "defaults", "default_rate")
GROUPS = ("excluded_risk_level", "excluded_risk_rule", "excluded_any", "kept")


def exclusion_validation(population: DataFrame, exclusions: DataFrame, labels: DataFrame) -> DataFrame:
    """VALIDATION_COLUMNS for the customers of ``population`` (snapshot_date, customer_id).

    ``exclusions``: gold.offer_exclusions rows; ``labels``: gold.labels (customer_id, snapshot_date, default).
    """
    keys = ["snapshot_date", "customer_id"]
    flags = (
        exclusions.where(F.col("product").isNull())
        .groupBy(*keys)
        .agg(
            F.max((F.col("reason") == "RISK_LEVEL").cast("int")).alias("by_level"),
            F.max((F.col("reason") == "RISK_RULE").cast("int")).alias("by_rule"),
        )
    )
    joined = (
        population.select(*keys)
        .distinct()
        .join(flags, keys, "left")
        .join(labels.select(*keys, "default"), keys, "left")
        .select(
            *keys,
            F.coalesce("by_level", F.lit(0)).alias("by_level"),
            F.coalesce("by_rule", F.lit(0)).alias("by_rule"),
            "default",
        )
    )
    member = {
        "excluded_risk_level": F.col("by_level") == 1,
        "excluded_risk_rule": F.col("by_rule") == 1,
        "excluded_any": (F.col("by_level") == 1) | (F.col("by_rule") == 1),
        "kept": (F.col("by_level") == 0) & (F.col("by_rule") == 0),
    }
    groups = F.filter(
        F.array(*[F.when(condition, F.lit(name)) for name, condition in member.items()]),
        lambda name: name.isNotNull(),
    )
    exploded = joined.select("snapshot_date", F.explode(groups).alias("group"), "default")
    counted = exploded.groupBy("snapshot_date", "group").agg(
        F.count(F.lit(1)).alias("customers"),
        F.count("default").alias("labelled"),
        F.sum("default").alias("defaults"),
    )
    return counted.select(
        "snapshot_date",
        "group",
        F.col("customers").cast("long").alias("customers"),
        F.col("labelled").cast("long").alias("labelled"),
        F.coalesce(F.col("defaults"), F.lit(0)).cast("long").alias("defaults"),
        F.when(F.col("labelled") > 0, F.col("defaults") / F.col("labelled")).alias("default_rate"),
    )
