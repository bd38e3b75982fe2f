"""Demographics from silver.customers (already PII-free: customer_id (the bank's own, or a token), birth_year, categories)."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

ATTRIBUTES = ("gender", "marital_status", "occupation", "education", "region", "income_band")


def demographic_features(customers: DataFrame, snapshots: DataFrame) -> DataFrame:
    """(customer_id, snapshot_date) -> age_years, the categorical attributes and join_date (for tenure)."""
    joined = customers.join(snapshots, F.col("join_date") <= F.col("snapshot_date"))
    return joined.select(
        "customer_id",
        "snapshot_date",
        (F.year("snapshot_date") - F.col("birth_year")).cast("int").alias("age_years"),
        *[F.col(a).cast("string").alias(a) for a in ATTRIBUTES],
        F.col("join_date"),
    )


def first_joined(customers: DataFrame) -> DataFrame:
    return customers.select("customer_id", F.col("join_date").alias("first_seen"))


def tenure_months(start: F.Column) -> F.Column:
    """Whole months from ``start`` to the snapshot date."""
    return F.floor(F.months_between(F.col("snapshot_date"), start)).cast("int")
