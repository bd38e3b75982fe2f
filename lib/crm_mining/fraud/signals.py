"""The alert signals: rules from config, each with a readable reason, and the score they add up to.

Each signal is a named Column condition on a transaction joined with its customer's baseline; its weight
(``fraud.weights``) adds to the score when it fires, and its reason says why in words and figures.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining.config.fraud import FRAUD_SIGNALS, FraudSettings
from crm_mining.fraud.events import UNKNOWN

SCORED_COLUMNS = (
    "txn_id",
    "customer_id",
    "txn_ts",
    "txn_date",
    "amount",
    "channel",
    "merchant_category",
    "score",
    "amount_mad_ratio",
    "signals",
    "reasons",
    "pattern_matched",
    "pattern_confidence",
)


def pct(share: Column) -> Column:
    return F.format_number(share * 100, 1)


def signal_columns(settings: FraudSettings) -> dict[str, tuple[Column, Column]]:
    """Signal name -> (fires, reason) on a row of events + baseline + pattern match."""
    has_baseline = F.coalesce(F.col("history_txns"), F.lit(0)) >= settings.min_history
    mad = F.greatest(F.col("mad_amount"), F.lit(0.01))
    ratio = (F.col("amount") - F.col("median_amount")) / mad
    channel_share = F.coalesce(F.col("channel_share")[F.col("channel")], F.lit(0.0))
    category_share = F.coalesce(F.col("category_share")[F.col("merchant_category")], F.lit(0.0))
    hour_share = F.coalesce(F.col("hour_share")[F.col("hour")], F.lit(0.0))
    usual_max = F.coalesce(F.col("max_per_hour"), F.lit(0))
    return {
        "amount_outlier": (
            has_baseline
            & (F.col("amount") >= settings.min_outlier_amount)
            & (ratio > settings.mad_threshold),
            F.format_string(
                "amount %.2f is %.1f MADs above the customer's median %.2f (MAD %.2f)",
                "amount",
                ratio,
                "median_amount",
                "mad_amount",
            ),
        ),
        "new_channel": (
            has_baseline & (F.col("channel") != UNKNOWN) & (channel_share < settings.rare_channel_share),
            F.format_string(
                "channel %s: %s%% of the customer's past transactions", "channel", pct(channel_share)
            ),
        ),
        "unusual_category": (
            has_baseline
            & (F.col("merchant_category") != UNKNOWN)
            & (category_share < settings.rare_category_share),
            F.format_string(
                "merchant category %s: %s%% of the customer's past transactions",
                "merchant_category",
                pct(category_share),
            ),
        ),
        "unusual_hour": (
            has_baseline & (hour_share < settings.rare_hour_share),
            F.format_string(
                "at %02d h, an hour of %s%% of the customer's past transactions", "hour", pct(hour_share)
            ),
        ),
        "velocity": (
            (F.col("velocity_count") >= settings.velocity_min_count) & (F.col("velocity_count") > usual_max),
            F.format_string(
                f"%d transactions within {settings.velocity_window_minutes} min (usual busiest hour: %d)",
                "velocity_count",
                usual_max,
            ),
        ),
        "probing": (
            F.col("probe_count") >= settings.probe_min_count,
            F.format_string(
                f"%d transactions under {settings.probe_amount:.2f} in the {settings.probe_window_hours} h before",
                "probe_count",
            ),
        ),
        "pattern": (
            F.col("pattern_matched").isNotNull(),
            F.format_string(
                "ends the pattern seen before fraud: %s (confidence %.2f)",
                "pattern_matched",
                "pattern_confidence",
            ),
        ),
    }


def scored_transactions(
    events: DataFrame, baselines: DataFrame, matches: DataFrame | None, settings: FraudSettings
) -> DataFrame:
    """SCORED_COLUMNS: every event with its fired signals, their reasons and score (sum of their weights).

    ``events``: EVENT_COLUMNS rows to score; ``baselines``: BASELINE_COLUMNS; ``matches``: txn_id,
    pattern_matched, pattern_confidence (None: no pattern signal). amount_mad_ratio orders alerts of
    equal score (the larger deviation first).
    """
    if matches is None:
        matches = events.sparkSession.createDataFrame(
            [], "txn_id string, pattern_matched string, pattern_confidence double"
        )
    rows = events.join(baselines, "customer_id", "left").join(matches, "txn_id", "left")
    signals = signal_columns(settings)
    active = [name for name in FRAUD_SIGNALS if settings.weight(name) > 0]
    fired = {name: F.coalesce(signals[name][0], F.lit(False)) for name in active}
    score = sum(
        (F.when(fired[n], F.lit(settings.weight(n))).otherwise(F.lit(0.0)) for n in active), F.lit(0.0)
    )
    names = F.array_compact(F.array(*[F.when(fired[n], F.lit(n)) for n in active])) if active else F.array()
    reasons = (
        F.array_compact(F.array(*[F.when(fired[n], signals[n][1]) for n in active])) if active else F.array()
    )
    ratio = (F.col("amount") - F.col("median_amount")) / F.greatest(F.col("mad_amount"), F.lit(0.01))
    return rows.select(
        "txn_id",
        "customer_id",
        "txn_ts",
        "txn_date",
        "amount",
        "channel",
        "merchant_category",
        score.cast("double").alias("score"),
        F.round(ratio, 2).cast("double").alias("amount_mad_ratio"),
        names.cast("array<string>").alias("signals"),
        reasons.cast("array<string>").alias("reasons"),
        "pattern_matched",
        F.col("pattern_confidence").cast("double").alias("pattern_confidence"),
    )
