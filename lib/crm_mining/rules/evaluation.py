"""Offers at a snapshot t against the products customers actually opened in (t, t + H months].

Opened products: held at any snapshot in (t, t + H] of the basket source and not held at t. The evaluated
customers are those offered to at t (a basket at t, not excluded) who opened at least one product; for
each method (rules, popularity, random) and each such customer, with the offers ranked 1..k:

- hit@k = 1 when any of the k offers was opened; hit_rate = its mean;
- precision@k = offers opened / k (fewer than k offers still divide by k);
- AP@k = sum over ranks i of precision@i x [offer i opened] / min(k, products opened); MAP = its mean.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

EVALUATION_COLUMNS = (
    "snapshot_date", "horizon_months", "method", "k", "customers", "hit_rate", "precision", "map",
)  # fmt: skip


def opened_products(baskets: DataFrame, snapshot, horizon_months: int) -> DataFrame:
    """(customer_id, product): products held in (t, t + H] of ``baskets`` but not at t (= ``snapshot``)."""
    t = F.lit(snapshot).cast("date")
    end = F.last_day(F.add_months(t, horizon_months))
    later = baskets.where((F.col("snapshot_date") > t) & (F.col("snapshot_date") <= end)).select(
        "customer_id", F.explode("items").alias("product")
    )
    now = baskets.where(F.col("snapshot_date") == t).select(
        "customer_id", F.explode("items").alias("product")
    )
    return later.distinct().join(now, ["customer_id", "product"], "left_anti")


def offer_metrics(
    offers: DataFrame, opened: DataFrame, population: DataFrame, methods: list[str], top_k: int
) -> DataFrame:
    """(method, k, customers, hit_rate, precision, map) per method.

    ``offers``: method, customer_id, rank, product; ``opened``: customer_id, product;
    ``population``: customer_id of the customers offered to at t (excluded ones are not in it).
    """
    relevant = (
        opened.join(population, "customer_id").groupBy("customer_id").agg(F.count(F.lit(1)).alias("relevant"))
    )
    names = offers.sparkSession.createDataFrame([(m,) for m in methods], "method string")
    evaluated = relevant.crossJoin(F.broadcast(names))  # every customer counts for every method
    flagged = offers.join(opened.withColumn("hit", F.lit(1)), ["customer_id", "product"], "left").withColumn(
        "hit", F.coalesce("hit", F.lit(0))
    )
    running = Window.partitionBy("method", "customer_id").orderBy("rank")
    precision_at = F.sum("hit").over(running) / F.col("rank")
    per_offer = flagged.withColumn("gain", precision_at * F.col("hit"))
    per_customer = per_offer.groupBy("method", "customer_id").agg(
        F.sum("hit").alias("hits"), F.sum("gain").alias("gain")
    )
    scored = evaluated.join(per_customer, ["method", "customer_id"], "left").select(
        "method",
        F.coalesce("hits", F.lit(0)).alias("hits"),
        (F.coalesce("gain", F.lit(0.0)) / F.least(F.col("relevant"), F.lit(top_k))).alias("ap"),
    )
    return scored.groupBy("method").agg(
        F.lit(top_k).alias("k"),
        F.count(F.lit(1)).cast("long").alias("customers"),
        F.avg((F.col("hits") > 0).cast("double")).alias("hit_rate"),
        F.avg(F.col("hits") / F.lit(top_k)).alias("precision"),
        F.avg("ap").alias("map"),
    )
