"""Transaction features per customer and snapshot: recency, counts and spend per window, 3-month
trends and channel / merchant-category mix, all from one aggregation over transactions x snapshots."""

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
    if "channel" in transactions.columns:
        aggregates.append(F.count(F.when(in_mix, 1)).alias("mix_txn_count"))
        channel = F.upper(F.col("channel"))
        aggregates += [
            F.count(F.when(in_mix & (channel == ch), 1)).alias(f"n_channel_{ch}") for ch in CHANNELS
        ]
    if "merchant_category" in transactions.columns:
        category = F.upper(F.col("merchant_category"))
        aggregates.append(F.sum(F.when(in_mix & debit, amount)).alias("mix_spend"))
        aggregates += [
            F.sum(F.when(in_mix & debit & (category == cat), amount)).alias(f"s_category_{cat}")
            for cat in CATEGORIES
        ]
    if "product_code" in transactions.columns:
        recent = in_last_days(day, snap, ACTIVE_PRODUCT_DAYS)
        aggregates.append(F.collect_set(F.when(recent, F.col("product_code"))).alias("txn_products_90d"))
    grouped = (
        as_of_snapshots(transactions, snapshots).groupBy("customer_id", "snapshot_date").agg(*aggregates)
    )
    return grouped.transform(with_trends).transform(with_mix_shares)


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
