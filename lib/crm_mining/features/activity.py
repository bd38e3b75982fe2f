"""Transaction features per customer and snapshot: recency, counts and spend per window, 3-month
trends and channel / merchant-category mix from one aggregation over transactions x snapshots, and the
products transacted recently from a second, small one (see ``recent_products``)."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining.domain import CHANNELS
from crm_mining.domain import MERCHANT_CATEGORIES as CATEGORIES
from crm_mining.features.snapshots import in_last_days, in_months
from crm_mining.features.trends import ratio

ACTIVE_PRODUCT_DAYS = 90


def as_of_snapshots(transactions: DataFrame, snapshots: DataFrame) -> DataFrame:
    """Each transaction paired with every snapshot on or after its date: the point-in-time filter."""
    return transactions.join(snapshots, F.col("txn_date") <= F.col("snapshot_date"))


def activity_features(
    transactions: DataFrame, snapshots: DataFrame, windows: list[int], mix_window_days: int
) -> DataFrame:
    """(customer_id, snapshot_date) -> activity columns (see the catalog, groups rfm/trends/mix).

    ``transactions`` is the canonical input (crm_mining.inputs); channel / merchant_category /
    product_code columns are used when present. Amounts in base currency; windows in days.
    Also returns ``txn_products_90d`` (array of product codes transacted in 90 days) when product_code
    is present, for the holdings' active_product_count; the builder drops it.
    """
    aggregates = activity_aggregates(transactions.columns, windows, mix_window_days)
    grouped = (
        as_of_snapshots(transactions, snapshots).groupBy("customer_id", "snapshot_date").agg(*aggregates)
    )
    if "product_code" in transactions.columns:
        grouped = grouped.join(
            recent_products(transactions, snapshots), ["customer_id", "snapshot_date"], "left"
        )
    return grouped.transform(with_trends).transform(with_mix_shares)


def activity_aggregates(columns: list[str], windows: list[int], mix_window_days: int) -> list[Column]:
    """The sums, counts and recency over (transaction, snapshot) pairs; the optional channel and
    merchant-category mixes when those ``columns`` are present."""
    day, snap = F.col("txn_date"), F.col("snapshot_date")
    amount = F.col("amount_base")
    debit = F.col("direction") == "DEBIT"
    credit = F.col("direction") == "CREDIT"
    aggregates: list[Column] = [F.datediff(snap, F.max(day)).cast("int").alias("recency_days")]
    for w in windows:
        inside = in_last_days(day, snap, w)
        aggregates += [
            F.count(F.when(inside, 1)).alias(f"txn_count_{w}d"),
            F.coalesce(F.sum(F.when(inside & debit, amount)), F.lit(0.0)).alias(f"spend_{w}d"),
            F.coalesce(F.sum(F.when(inside & credit, amount)), F.lit(0.0)).alias(f"inflow_{w}d"),
        ]
    last_3m, prev_3m = in_months(day, snap, 3, 0), in_months(day, snap, 6, 3)
    aggregates += [
        F.coalesce(F.sum(F.when(last_3m & debit, amount)), F.lit(0.0)).alias("spend_3m"),
        F.coalesce(F.sum(F.when(prev_3m & debit, amount)), F.lit(0.0)).alias("spend_prev_3m"),
        F.count(F.when(last_3m, 1)).alias("txn_count_3m"),
        F.count(F.when(prev_3m, 1)).alias("txn_count_prev_3m"),
    ]
    in_mix = in_last_days(day, snap, mix_window_days)
    if "channel" in columns:
        aggregates.append(F.count(F.when(in_mix, 1)).alias("mix_txn_count"))
        channel = F.upper(F.col("channel"))
        aggregates += [
            F.count(F.when(in_mix & (channel == ch), 1)).alias(f"n_channel_{ch}") for ch in CHANNELS
        ]
    if "merchant_category" in columns:
        category = F.upper(F.col("merchant_category"))
        aggregates.append(F.sum(F.when(in_mix & debit, amount)).alias("mix_spend"))
        aggregates += [
            F.sum(F.when(in_mix & debit & (category == cat), amount)).alias(f"s_category_{cat}")
            for cat in CATEGORIES
        ]
    return aggregates


def recent_products(transactions: DataFrame, snapshots: DataFrame) -> DataFrame:
    """(customer_id, snapshot_date, txn_products_90d): the product codes transacted in the 90 days to
    each snapshot (no row when none; ``active_product_count`` reads a missing array as empty).

    An aggregation of its own: a ``collect_set`` among the sums above made Spark's object hash aggregate
    fall back to sorting every (transaction, snapshot) pair once a task held 128 groups, which spilled
    1 GB on the 1M-transaction lake (scripts/results/bench_scale.md). Here the sums stay a plain hash
    aggregate, and the set is collected from the distinct (customer, snapshot, product) triples only.
    """
    day, snap = F.col("txn_date"), F.col("snapshot_date")
    codes = transactions.select("customer_id", "txn_date", "product_code").where(
        F.col("product_code").isNotNull()
    )
    recent = as_of_snapshots(codes, snapshots).where(in_last_days(day, snap, ACTIVE_PRODUCT_DAYS))
    triples = recent.select("customer_id", "snapshot_date", "product_code").distinct()
    return triples.groupBy("customer_id", "snapshot_date").agg(
        F.collect_set("product_code").alias("txn_products_90d")
    )


def with_trends(df: DataFrame) -> DataFrame:
    return df.withColumn("spend_trend", ratio("spend_3m", "spend_prev_3m")).withColumn(
        "txn_count_trend", ratio("txn_count_3m", "txn_count_prev_3m")
    )


def with_mix_shares(df: DataFrame) -> DataFrame:
    """Turn the channel counts and category sums into shares (null when the window is empty)."""
    shares: list[Column] = []
    helpers: list[str] = []
    if "mix_txn_count" in df.columns:
        named = [f"n_channel_{ch}" for ch in CHANNELS]
        shares += [
            ratio(n, "mix_txn_count").alias(f"channel_share_{ch.lower()}")
            for n, ch in zip(named, CHANNELS, strict=True)
        ]
        other = F.col("mix_txn_count") - sum((F.col(n) for n in named), F.lit(0))
        shares.append(
            F.when(F.col("mix_txn_count") > 0, other / F.col("mix_txn_count")).alias("channel_share_other")
        )
        helpers += ["mix_txn_count", *named]
    if "mix_spend" in df.columns:
        named = [f"s_category_{cat}" for cat in CATEGORIES]
        total = F.col("mix_spend")
        shares += [
            F.when(total > 0, F.coalesce(F.col(n), F.lit(0.0)) / total).alias(f"category_share_{cat.lower()}")
            for n, cat in zip(named, CATEGORIES, strict=True)
        ]
        known = sum((F.coalesce(F.col(n), F.lit(0.0)) for n in named), F.lit(0.0))
        shares.append(F.when(total > 0, (total - known) / total).alias("category_share_unknown"))
        helpers += ["mix_spend", *named]
    keep = [c for c in df.columns if c not in helpers]
    return df.select(*keep, *shares)
