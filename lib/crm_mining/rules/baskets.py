"""Baskets for rule mining: one array of distinct items per basket and snapshot.

- products (lake): each customer's products held at a snapshot, from gold.customer_features ``products``;
- merchant categories (lake): the DEBIT merchant categories of each customer-month in the
  ``category_months`` calendar months up to a snapshot, from the canonical transactions;
- bring your own data: any (customer id, item) table, long or with an array column, read as
  ``rules.input`` says (location, format, column mapping), as ``input.*`` does for transactions.

Empty baskets are left out: a customer holding nothing is not a basket (mlxtend would count it in the
denominator of every support; Spark and we do not).
"""

from __future__ import annotations

import datetime as dt
import logging

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 (the project convention)
from pyspark.sql.types import ArrayType

from crm_mining import CrmMiningError
from crm_mining.config.rules import BasketInputSettings
from crm_mining.inputs import read_user_data

log = logging.getLogger(__name__)

BASKET_COLUMNS = ("snapshot_date", "customer_id", "items")


def clean_items(column: F.Column) -> F.Column:
    """Sorted distinct non-empty trimmed strings (FPGrowth rejects a basket with a repeated item)."""
    trimmed = F.transform(column, lambda item: F.trim(item.cast("string")))
    kept = F.filter(trimmed, lambda item: item.isNotNull() & (item != ""))
    return F.array_sort(F.array_distinct(kept))


def product_baskets(features: DataFrame) -> DataFrame:
    """(snapshot_date, customer_id, items): the products held, from gold.customer_features."""
    baskets = features.select(
        F.col("snapshot_date").cast("date").alias("snapshot_date"),
        F.col("customer_id").cast("string").alias("customer_id"),
        clean_items(F.coalesce(F.col("products"), F.array().cast("array<string>"))).alias("items"),
    )
    return baskets.where(F.size("items") > 0).select(*BASKET_COLUMNS)


def category_baskets(transactions: DataFrame, snapshots: list[dt.date], months: int) -> DataFrame:
    """(snapshot_date, customer_id, month, items): DEBIT merchant categories per customer-month.

    For each snapshot, the ``months`` calendar months ending with the snapshot's month.
    """
    snaps = transactions.sparkSession.createDataFrame([(d,) for d in snapshots], "snapshot_date date")
    month = F.trunc("txn_date", "month")
    spend = transactions.where(
        (F.col("direction") == "DEBIT") & F.col("merchant_category").isNotNull()
    ).select("customer_id", month.alias("month"), "merchant_category")
    first_month = F.add_months(F.trunc("snapshot_date", "month"), 1 - months)
    joined = spend.join(
        F.broadcast(snaps),
        (F.col("month") >= first_month) & (F.col("month") <= F.trunc("snapshot_date", "month")),
    )
    grouped = joined.groupBy("snapshot_date", "customer_id", "month").agg(
        F.collect_set("merchant_category").alias("items")
    )
    return grouped.select(
        "snapshot_date", "customer_id", "month", clean_items(F.col("items")).alias("items")
    ).where(F.size("items") > 0)


# -- bring your own data -------------------------------------------------------------------------------
def source_text(settings: BasketInputSettings) -> str:
    return f"rules.input.source={settings.source} at {settings.location}"


def read_basket_source(spark: SparkSession, settings: BasketInputSettings) -> DataFrame:
    """The user's table or files as ``rules.input`` says."""
    return read_user_data(
        spark, settings.source, settings.location, settings.csv_options, f"baskets ({source_text(settings)})"
    )


def source_column(raw: DataFrame, settings: BasketInputSettings, logical: str, required: bool) -> str | None:
    """The user's column for ``logical`` (case-insensitive); raises naming it when required and missing."""
    wanted = settings.columns.get(logical, logical)
    by_lower = {c.lower(): c for c in raw.columns}
    actual = by_lower.get(wanted.lower())
    if actual is None and required:
        raise CrmMiningError(
            f"column '{wanted}' (logical '{logical}', set rules.input.columns.{logical}) is missing from "
            f"{source_text(settings)}; columns: {', '.join(raw.columns)}"
        )
    return actual


def key_columns(
    raw: DataFrame, settings: BasketInputSettings, run_date: dt.date
) -> tuple[F.Column, F.Column]:
    """(customer_id, snapshot_date) columns of the user's table; without a snapshot column, a fixed date."""
    customer = source_column(raw, settings, "customer_id", required=True)
    snapshot = source_column(raw, settings, "snapshot_date", required=False)
    if snapshot is not None:
        snapshot_date = F.to_date(F.col(f"`{snapshot}`"))
    else:
        snapshot_date = F.lit(settings.snapshot_date or run_date)
    return F.trim(F.col(f"`{customer}`").cast("string")), snapshot_date


def own_baskets(raw: DataFrame, settings: BasketInputSettings, run_date: dt.date) -> DataFrame:
    """(snapshot_date, customer_id, items) from the user's long or array table (BASKET_COLUMNS).

    Rows without a customer id or snapshot date are left out (``unusable_rows`` counts them).
    """
    customer_id, snapshot_date = key_columns(raw, settings, run_date)
    if settings.layout == "long":
        item = source_column(raw, settings, "item", required=True)
        items = F.array(F.col(f"`{item}`").cast("string"))
    else:
        name = source_column(raw, settings, "items", required=True)
        items = F.col(f"`{name}`")
        if not isinstance(raw.schema[name].dataType, ArrayType):
            items = F.split(items.cast("string"), F.lit(settings.item_separator), -1)
    rows = raw.select(
        snapshot_date.alias("snapshot_date"),
        customer_id.alias("customer_id"),
        items.cast("array<string>").alias("items"),
    ).where(usable_row())
    grouped = rows.groupBy("snapshot_date", "customer_id").agg(
        F.flatten(F.collect_list("items")).alias("items")
    )
    baskets = grouped.select("snapshot_date", "customer_id", clean_items(F.col("items")).alias("items"))
    return baskets.where(F.size("items") > 0).select(*BASKET_COLUMNS)


def usable_row() -> F.Column:
    """A basket row with a customer id and a snapshot date."""
    customer = F.col("customer_id")
    return customer.isNotNull() & (customer != "") & F.col("snapshot_date").isNotNull()


def unusable_rows(raw: DataFrame, settings: BasketInputSettings, run_date: dt.date) -> int:
    """Rows of the user's table without a customer id or a parsable snapshot date (left out of baskets)."""
    customer_id, snapshot_date = key_columns(raw, settings, run_date)
    typed = raw.select(customer_id.alias("customer_id"), snapshot_date.alias("snapshot_date"))
    return typed.where(~usable_row()).count()
