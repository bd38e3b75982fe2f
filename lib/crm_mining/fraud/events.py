"""Transactions as events, with what happened just before each one (the per-customer windows).

Input: the canonical transactions (``crm_mining.inputs``), DEBIT only (fraud takes money out). Every
window is per customer, ordered by the transaction time in seconds, so each value looks only backwards.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining.config.fraud import FraudSettings

UNKNOWN = "NA"  # channel or category of a source without that column
EVENT_COLUMNS = (
    "txn_id",
    "customer_id",
    "txn_ts",
    "txn_date",
    "amount",
    "channel",
    "merchant_category",
    "hour",
    "event",
    "prev_events",
    "velocity_count",
    "probe_count",
)


def amount_band(amount: Column, bounds: list[float]) -> Column:
    """'lt5', '5-50', ..., 'ge2000' for the bounds [5, 50, ..., 2000] (labels use the bounds as written)."""

    def text(x: float) -> str:
        return f"{x:g}"

    expr = F.when(amount < bounds[0], F.lit(f"lt{text(bounds[0])}"))
    for low, high in zip(bounds[:-1], bounds[1:], strict=True):
        expr = expr.when(amount < high, F.lit(f"{text(low)}-{text(high)}"))
    return expr.otherwise(F.lit(f"ge{text(bounds[-1])}"))


def debit_transactions(transactions: DataFrame) -> DataFrame:
    """txn_id, customer_id, txn_ts, txn_date, amount, channel, merchant_category of the DEBIT rows.

    A source without txn_id gets one from a hash of (customer, time, amount, channel, category); without
    channel or merchant_category the value is 'NA' (the signals needing it never fire).
    """
    columns = set(transactions.columns)

    def optional(name: str) -> Column:
        return F.coalesce(F.col(name), F.lit(UNKNOWN)) if name in columns else F.lit(UNKNOWN)

    channel, category = optional("channel"), optional("merchant_category")
    derived = F.concat(
        F.lit("H"),
        F.substring(
            F.sha2(
                F.concat_ws(
                    "|", "customer_id", F.col("txn_ts").cast("string"), "amount_base", channel, category
                ),
                256,
            ),
            1,
            20,
        ),
    )
    txn_id = F.coalesce(F.col("txn_id"), derived) if "txn_id" in columns else derived
    return transactions.where(F.col("direction") == "DEBIT").select(
        txn_id.alias("txn_id"),
        "customer_id",
        "txn_ts",
        "txn_date",
        F.col("amount_base").alias("amount"),
        channel.alias("channel"),
        category.alias("merchant_category"),
    )


def with_events(debits: DataFrame, settings: FraudSettings) -> DataFrame:
    """Each DEBIT with its event, the events before it and its velocity and probe counts (EVENT_COLUMNS).

    - event: channel|merchant_category|amount band;
    - prev_events: the customer's events in the pattern_lookback_hours before it (oldest first, at most
      pattern_max_events, the most recent ones);
    - velocity_count: the customer's transactions in the velocity_window_minutes up to it, itself included;
    - probe_count: the customer's transactions below probe_amount in the probe_window_hours before it.
    """
    seconds = F.col("txn_ts").cast("long")
    by_customer = Window.partitionBy("customer_id").orderBy("ts_seconds")
    lookback = by_customer.rangeBetween(-settings.pattern_lookback_hours * 3600, -1)
    velocity = by_customer.rangeBetween(-settings.velocity_window_minutes * 60, 0)
    probes = by_customer.rangeBetween(-settings.probe_window_hours * 3600, -1)
    event = F.concat_ws(
        "|", "channel", "merchant_category", amount_band(F.col("amount"), settings.amount_bands)
    )
    # collect_list's order inside a frame is not guaranteed: sort by time, then keep the events.
    before = F.array_sort(F.collect_list(F.struct("ts_seconds", "txn_id", "event")).over(lookback))
    n = settings.pattern_max_events
    recent = F.slice(before, F.greatest(F.size(before) - n + 1, F.lit(1)), n)
    return (
        debits.withColumn("ts_seconds", seconds)
        .withColumn("event", event)
        .withColumn("prev_events", F.transform(recent, lambda x: x["event"]))
        .withColumn("velocity_count", F.count("*").over(velocity))
        .withColumn(
            "probe_count",
            F.sum((F.col("amount") < settings.probe_amount).cast("int")).over(probes),
        )
        .select(
            "txn_id",
            "customer_id",
            "txn_ts",
            "txn_date",
            "amount",
            "channel",
            "merchant_category",
            F.hour("txn_ts").alias("hour"),
            "event",
            "prev_events",
            F.col("velocity_count").cast("int").alias("velocity_count"),
            F.coalesce(F.col("probe_count"), F.lit(0)).cast("int").alias("probe_count"),
        )
    )
