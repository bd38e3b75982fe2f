"""Product holdings per customer and snapshot from silver.accounts.

An account is held at a snapshot when it was opened on or before it and not closed by it
(close_date null or after the snapshot). silver.accounts carries no current balance, so nothing
here can see the future.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining.domain import PRODUCT_CODES as PRODUCTS


def held_at_snapshot() -> F.Column:
    snap = F.col("snapshot_date")
    return (F.col("open_date") <= snap) & (F.col("close_date").isNull() | (F.col("close_date") > snap))


def holdings_features(accounts: DataFrame, snapshots: DataFrame) -> DataFrame:
    """(customer_id, snapshot_date) -> product_count, products, account counts, all_accounts_closed, has_*."""
    held = held_at_snapshot()
    closed = F.col("close_date") <= F.col("snapshot_date")
    grouped = (
        accounts.join(snapshots, F.col("open_date") <= F.col("snapshot_date"))
        .groupBy("customer_id", "snapshot_date")
        .agg(
            F.array_sort(F.collect_set(F.when(held, F.col("product_code")))).alias("products"),
            F.count(F.when(held, 1)).cast("int").alias("account_count"),
            F.count(F.when(closed, 1)).cast("int").alias("closed_account_count"),
        )
    )
    return grouped.select(
        "customer_id",
        "snapshot_date",
        F.size("products").cast("int").alias("product_count"),
        "products",
        "account_count",
        "closed_account_count",
        (F.col("account_count") == 0).alias("all_accounts_closed"),
        *[F.array_contains("products", p).cast("int").alias(f"has_{p.lower()}") for p in PRODUCTS],
    )


def active_product_count(products: str, txn_products: str) -> F.Column:
    """Held products that also had a transaction in the last 90 days (0 when none)."""
    recent = F.coalesce(F.col(txn_products), F.array().cast("array<string>"))
    return F.size(F.array_intersect(F.col(products), recent)).cast("int")


def first_opened(accounts: DataFrame) -> DataFrame:
    """(customer_id, first_seen): the first account opening, for the customer base and tenure fallback."""
    return accounts.groupBy("customer_id").agg(F.min("open_date").alias("first_seen"))


def with_product_from_accounts(transactions: DataFrame, accounts: DataFrame) -> DataFrame:
    """Fill a missing transaction product_code from the account it was booked on (needs account_id)."""
    codes = accounts.select("account_id", F.col("product_code").alias("account_product"))
    joined = transactions.join(codes, "account_id", "left")
    fill = F.col("account_product")
    if "product_code" in transactions.columns:
        fill = F.coalesce(F.col("product_code"), fill)
    out = [c for c in transactions.columns if c != "product_code"]
    return joined.select(*out, fill.alias("product_code"))
