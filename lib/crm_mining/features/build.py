"""`crm-mining features`: gold.customer_features, gold.labels and gold.rfm for a set of snapshots.

Flow: canonical transactions (crm_mining.inputs) + whichever lake tables exist -> snapshot dates ->
one aggregation per input over (input x snapshots), joined on (customer_id, snapshot_date) ->
select/cast through the catalog -> Delta writes that replace only this run's snapshots.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining.config import Config
from crm_mining.features.activity import activity_features
from crm_mining.features.balances import balance_features
from crm_mining.features.catalog import FeatureColumn, activity_windows, feature_catalog
from crm_mining.features.complaint_texts import complaint_text_features
from crm_mining.features.contacts import contact_features
from crm_mining.features.credit import dpd_features
from crm_mining.features.demographics import demographic_features, first_joined, tenure_months
from crm_mining.features.holdings import (
    active_product_count,
    first_opened,
    holdings_features,
    with_product_from_accounts,
)
from crm_mining.features.labels import build_labels
from crm_mining.features.rfm import build_rfm
from crm_mining.features.snapshots import customer_base, snapshot_dates, snapshots_frame
from crm_mining.inputs import (
    LAKE_INPUTS,
    available_inputs,
    load_transactions,
    log_missing_inputs,
    rejected_transactions,
)
from crm_mining.partitioning import cached_by_key
from crm_mining.tables import Lake

log = logging.getLogger(__name__)
KEYS = ["customer_id", "snapshot_date"]


def build_features(spark: SparkSession, config: Config) -> dict:
    """Build and write the three gold tables for the configured snapshots; return a JSON-able summary."""
    started = time.monotonic()
    lake = Lake(config)
    transactions = load_transactions(spark, config)
    available = resolve_inputs(spark, config, transactions)
    tables = {name: lake.read(spark, name) for name in LAKE_INPUTS if available[name]}
    accounts = tables.get("silver.accounts")
    if (
        "product_code" not in transactions.columns
        and "account_id" in transactions.columns
        and accounts is not None
    ):
        transactions = with_product_from_accounts(transactions, accounts)
        available["product_code"] = True
    # Reused by the snapshot span, the feature groups and the labels: read and type it once, partitioned
    # by customer so each task aggregates a share of the customers (crm_mining.partitioning).
    transactions = cached_by_key(transactions, "customer_id", config.features.customer_partitions_max)
    catalog = feature_catalog(config.features, config.rfm.window_days, config.complaints.topic_count)
    missing = log_missing_inputs(available, needs_by_input(catalog))

    span = transactions.agg(F.min("txn_date").alias("first"), F.max("txn_date").alias("last")).first()
    dates = snapshot_dates(config.features, span["first"], span["last"])
    log.info("building features for snapshots %s", ", ".join(d.isoformat() for d in dates))
    snapshots = snapshots_frame(spark, dates)

    features = assemble_features(transactions, tables, snapshots, config, catalog, available)
    replace = snapshot_predicate(dates)
    write_snapshots(spark, lake, features, "gold.customer_features", replace)
    rows = {"gold.customer_features": rows_written(spark, lake, "gold.customer_features")}
    written = lake.read(spark, "gold.customer_features").where(replace)

    repayments = tables.get("silver.repayments")
    repayments_end = repayments.agg(F.max("month_end")).first()[0] if repayments is not None else None
    base = written.select(*KEYS).persist()  # the labels join it with several inputs
    labels = build_labels(
        base, transactions, accounts, repayments, config.labels, span["last"], repayments_end
    )
    write_snapshots(spark, lake, labels, "gold.labels", replace)
    rows["gold.labels"] = rows_written(spark, lake, "gold.labels")
    write_snapshots(spark, lake, build_rfm(written, config.rfm), "gold.rfm", replace)
    rows["gold.rfm"] = rows_written(spark, lake, "gold.rfm")

    summary = {
        "snapshots": [d.isoformat() for d in dates],
        "input": config.input.source,
        "data_first_day": span["first"].isoformat() if span["first"] else None,
        "data_last_day": span["last"].isoformat() if span["last"] else None,
        "missing_inputs": missing,
        "feature_columns": len(written.columns),
        "rows": rows,
        "seconds": round(time.monotonic() - started, 1),
    }
    if config.input.source != "lake":
        # User data is not validated by ingest: count (never silently drop) the rows left out.
        summary["rejected_transactions"] = rejected_transactions(spark, config).count()
        if summary["rejected_transactions"]:
            log.warning(
                "%d transaction rows of %s were left out (see crm_mining.inputs.rejected_transactions)",
                summary["rejected_transactions"],
                config.input.location,
            )
    base.unpersist()
    transactions.unpersist()
    return summary


def rows_written(spark: SparkSession, lake: Lake, name: str) -> int | None:
    """Rows of the table's last write, from the Delta log (no scan of the table)."""
    metrics = lake.delta(spark, name).history(1).first().operationMetrics or {}
    return int(metrics["numOutputRows"]) if "numOutputRows" in metrics else None


def resolve_inputs(spark: SparkSession, config: Config, transactions: DataFrame) -> dict[str, bool]:
    available = available_inputs(spark, config, transactions)
    if not config.features.use_lake_tables:
        available.update({name: False for name in LAKE_INPUTS})
    return available


def needs_by_input(catalog: list[FeatureColumn]) -> dict[str, list[str]]:
    needs: dict[str, list[str]] = {}
    for col in catalog:
        needs.setdefault(col.needs, []).append(col.name + (" (kept as null)" if col.key else ""))
    needs.setdefault("account_id", []).append(
        "product_code lookup from silver.accounts (when product_code is absent)"
    )
    needs.setdefault("product_code", []).append("active_product_count (kept as null)")
    return needs


def assemble_features(
    transactions: DataFrame,
    tables: dict[str, DataFrame],
    snapshots: DataFrame,
    config: Config,
    catalog: list[FeatureColumn],
    available: dict[str, bool],
) -> DataFrame:
    """One row per (customer_id, snapshot_date) with every catalog column whose input is available."""
    settings = config.features
    first_seen = [transactions.groupBy("customer_id").agg(F.min("txn_date").alias("first_seen"))]
    if "silver.customers" in tables:
        first_seen.append(first_joined(tables["silver.customers"]))
    if "silver.accounts" in tables:
        first_seen.append(first_opened(tables["silver.accounts"]))
    df = customer_base(snapshots, first_seen)

    windows = activity_windows(settings, config.rfm.window_days)
    groups = [activity_features(transactions, snapshots, windows, settings.mix_window_days)]
    if "silver.customers" in tables:
        groups.append(demographic_features(tables["silver.customers"], snapshots))
    if "silver.accounts" in tables:
        groups.append(holdings_features(tables["silver.accounts"], snapshots))
    if "silver.balances" in tables:
        groups.append(balance_features(tables["silver.balances"], snapshots))
    if "silver.repayments" in tables:
        groups.append(dpd_features(tables["silver.repayments"], snapshots, settings.dpd_windows_months))
    if "silver.interactions" in tables:
        groups.append(
            contact_features(tables["silver.interactions"], snapshots, settings.contact_windows_days)
        )
    if "gold.interaction_insights" in tables:
        groups.append(
            complaint_text_features(
                tables["gold.interaction_insights"],
                snapshots,
                settings.complaint_window_days,
                config.complaints.topic_count,
            )
        )
    for group in groups:
        df = df.join(group, KEYS, "left")

    joined = (
        F.coalesce(F.col("join_date"), F.col("first_seen"))
        if "join_date" in df.columns
        else F.col("first_seen")
    )
    df = df.withColumn("tenure_months", tenure_months(joined))
    df = df.transform(with_zero_fills)
    if "products" in df.columns:
        # After the fills, so a customer without accounts has 0; null only when product_code is unknown.
        active = (
            active_product_count("products", "txn_products_90d") if available["product_code"] else F.lit(None)
        )
        df = df.withColumn("active_product_count", active)
    return df.transform(select_catalog, catalog, available)


def zero_fill(name: str) -> object | None:
    """The value a customer with no rows in an input gets (0 counts and sums); None = stays null."""
    counts = ("txn_count_", "complaint_count_", "contact_count_", "max_dpd_", "has_", "negative_complaint_")
    if name.startswith("complaint_topic_"):
        return 0.0
    sums = ("spend_", "inflow_", "balance_total", "balance_deposit", "balance_credit", "credit_limit_total")
    if name.endswith("_trend"):
        return None
    if name.startswith(counts) or name in (
        "product_count",
        "account_count",
        "closed_account_count",
    ):
        return 0
    if name.startswith(sums):
        return 0.0
    if name == "all_accounts_closed":
        return False
    return None


def with_zero_fills(df: DataFrame) -> DataFrame:
    """Customers absent from an available input get 0 / empty / false rather than null (see catalog)."""
    columns = []
    for name in df.columns:
        fill = zero_fill(name)
        if name == "products":
            columns.append(F.coalesce(F.col(name), F.array().cast("array<string>")).alias(name))
        elif fill is None:
            columns.append(F.col(name))
        else:
            columns.append(F.coalesce(F.col(name), F.lit(fill)).alias(name))
    return df.select(*columns)


def select_catalog(df: DataFrame, catalog: list[FeatureColumn], available: dict[str, bool]) -> DataFrame:
    """The output schema is the catalog: available columns cast to their type, missing key columns as null."""
    selected = []
    for col in catalog:
        if available.get(col.needs, col.needs == "transactions") and col.name in df.columns:
            selected.append(F.col(col.name).cast(col.type).alias(col.name))
        elif col.key:
            selected.append(F.lit(None).cast(col.type).alias(col.name))
    return df.select(*selected)


def snapshot_predicate(dates: list[dt.date]) -> str:
    return "snapshot_date IN (" + ", ".join(f"DATE'{d.isoformat()}'" for d in dates) + ")"


def write_snapshots(spark: SparkSession, lake: Lake, df: DataFrame, name: str, replace: str) -> None:
    """Overwrite only this run's snapshots (idempotent reruns; other snapshots are kept)."""
    if lake.exists(spark, name):
        lake.write(df, name, mode="overwrite", replace_where=replace, merge_schema=True)
    else:
        lake.write(df, name, mode="overwrite")
