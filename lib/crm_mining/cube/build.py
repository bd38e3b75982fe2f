"""The OLAP cube's transforms: customer-month facts, then Spark ``cube`` over the dimensions.

Grain of the facts: one row per customer and monthly snapshot, with the customer's region, segment,
lifecycle stage, products held, month-end balances, 30-day spend and (where the window has closed)
churn and default labels.

Balances are a stock, so they add up across customers but not across months (semi-additive): every
row of the cube keeps its month, and ``cube`` rolls up the other four dimensions. The product
dimension counts a customer once under every product held; its rolled-up rows come from the
customer-grain facts, so no customer is counted twice in a total.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)

# The dimensions in grouping_id bit order: bit 4 (16) = month ... bit 0 (1) = product; 1 = rolled up.
DIMENSIONS = ("month", "region", "segment", "stage", "product")
UNKNOWN = {"region": "unknown", "segment": "unsegmented", "stage": "unstaged"}


def cube_facts(features: DataFrame, labels: DataFrame, segments: DataFrame, stages: DataFrame) -> DataFrame:
    """Customer-month facts from gold.customer_features, gold.labels, gold.customer_segments and
    gold.lifecycle_stage. A missing region, segment or stage becomes a named member ('unknown',
    'unsegmented', 'unstaged') so that a null in the cube always means 'all'.

    Output: month date, customer_id, region, segment, stage string, products array<string>,
    balance double (base currency), spend double (base currency, DEBIT, 30 days to the month end),
    churn int, default int (null = the label window has not closed).
    """
    keys = ["customer_id", "snapshot_date"]
    facts = (
        features.select(*keys, "region", "products", "balance_total", "spend_30d")
        .join(labels.select(*keys, "churn", "default"), keys, "left")
        .join(segments.select(*keys, F.col("segment_name").alias("segment")), keys, "left")
        .join(stages.select(*keys, "stage"), keys, "left")
    )
    return facts.select(
        F.col("snapshot_date").alias("month"),
        "customer_id",
        *(F.coalesce(F.col(name), F.lit(fill)).alias(name) for name, fill in UNKNOWN.items()),
        F.coalesce("products", F.array().cast("array<string>")).alias("products"),
        F.coalesce("balance_total", F.lit(0.0)).cast("double").alias("balance"),
        F.coalesce("spend_30d", F.lit(0.0)).cast("double").alias("spend"),
        F.col("churn").cast("int").alias("churn"),
        F.col("default").cast("int").alias("default"),
    )


def measures() -> list[Column]:
    return [
        F.count(F.lit(1)).alias("customers"),
        F.sum("balance").alias("balances"),
        F.sum("spend").alias("spend"),
        F.avg("churn").alias("churn_rate"),
        F.count("churn").alias("churn_labelled"),
        F.avg("default").alias("default_rate"),
        F.count("default").alias("default_labelled"),
    ]


def rolled_up(facts: DataFrame, by_product: bool) -> DataFrame:
    """``cube`` per month over region, segment and stage, at customer grain (product rolled up) or at
    customer x product grain (product kept). ``grouping_id`` has the five bits of DIMENSIONS."""
    if by_product:
        rows = facts.select("*", F.explode("products").alias("product"))
        grouped = rows.cube(*DIMENSIONS).agg(*measures(), F.grouping_id().alias("grouping_id"))
        # Rows with product rolled up (odd ids) double-count: the customer-grain cube supplies them.
        kept = F.col("grouping_id") % 2 == 0
    else:
        grouped = (
            facts.cube(*DIMENSIONS[:-1])
            .agg(*measures(), (F.grouping_id() * 2 + 1).alias("grouping_id"))
            .withColumn("product", F.lit(None).cast("string"))
        )
        kept = F.lit(True)
    # Month is never rolled up (balances do not add across months): keep ids without the month bit.
    return grouped.where(kept & (F.col("grouping_id") < 16))


def crm_cube(facts: DataFrame) -> DataFrame:
    """gold.crm_cube: every combination of region, segment, stage and product (each kept or rolled
    up to null = all) per month, with customers, balances, spend (base currency), churn and default
    rates (share of the labelled customers, with their counts) and ``grouping_id`` (bit 1 = rolled up,
    month 16 .. product 1; 0 = the finest cell, 15 = the month's total) and ``level`` (how many of the
    five dimensions are kept)."""
    cubed = rolled_up(facts, by_product=False).unionByName(rolled_up(facts, by_product=True))
    kept = sum((F.col("grouping_id").bitwiseAND(1 << bit) == 0).cast("int") for bit in range(5))
    return cubed.select(
        "month",
        "region",
        "segment",
        "stage",
        "product",
        F.col("grouping_id").cast("int").alias("grouping_id"),
        kept.cast("int").alias("level"),
        F.col("customers").cast("long").alias("customers"),
        F.col("balances").cast("double").alias("balances"),
        F.col("spend").cast("double").alias("spend"),
        F.col("churn_rate").cast("double").alias("churn_rate"),
        F.col("churn_labelled").cast("long").alias("churn_labelled"),
        F.col("default_rate").cast("double").alias("default_rate"),
        F.col("default_labelled").cast("long").alias("default_labelled"),
    )
