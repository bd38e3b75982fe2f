"""Settings for `crm-mining fraud`: behavioural baselines, alert rules, PrefixSpan patterns, alert budget."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from crm_mining.config.validate import ConfigError

# The alert signals, each with a readable reason (docs/fraud.md); their weights add up to the score.
FRAUD_SIGNALS = (
    "amount_outlier",
    "new_channel",
    "unusual_category",
    "unusual_hour",
    "velocity",
    "probing",
    "pattern",
)
# Logical columns of a confirmed-fraud table (e.g. chargebacks): txn_id is required.
CONFIRMED_FRAUD_COLUMNS = ("txn_id", "fraud_kind")


def default_weights() -> dict[str, float]:
    return {
        "amount_outlier": 2.0,
        "new_channel": 1.0,
        "unusual_category": 0.5,
        "unusual_hour": 1.0,
        "velocity": 2.0,
        "probing": 3.0,
        "pattern": 3.0,
    }


@dataclass(frozen=True)
class ConfirmedFraudSettings:
    """Known fraud that PrefixSpan learns from and the evaluation measures against.

    ``truth``: the generator's truth/fraud_episodes when the lake has one (else no known fraud: patterns
    and the evaluation are skipped); otherwise a user's table of confirmed fraud (e.g. chargebacks).
    """

    source: Literal["truth", "delta_table", "delta_path", "parquet", "csv"] = "truth"
    location: str | None = None
    # Logical name -> the user's column: txn_id (required), fraud_kind (optional).
    columns: dict[str, str] = field(default_factory=dict)
    csv_options: dict[str, str] = field(default_factory=lambda: {"header": "true"})

    def validate(self, path: str) -> None:
        if self.source != "truth" and not self.location:
            raise ConfigError(f"'{path}.location' is required when '{path}.source' is {self.source!r}")
        unknown = sorted(set(self.columns) - set(CONFIRMED_FRAUD_COLUMNS))
        if unknown:
            raise ConfigError(
                f"unknown logical column '{path}.columns.{unknown[0]}'; allowed: {', '.join(CONFIRMED_FRAUD_COLUMNS)}"
            )


@dataclass(frozen=True)
class FraudSettings:
    confirmed: ConfirmedFraudSettings = field(default_factory=ConfirmedFraudSettings)
    # The last score_days days of transactions are scored; the history before them gives the baselines
    # and the mined patterns (so the evaluation is out of time).
    score_days: int = field(default=180, metadata={"min": 1, "max": 3650})
    # Alert budget: at most this many alerts per 10,000 scored (DEBIT) transactions, highest scores first.
    alerts_per_10k: float = field(default=30.0, metadata={"min": 0.0, "max": 10000.0})
    # A transaction alerts only with at least this score (the sum of the weights of its signals).
    min_score: float = field(default=3.0, metadata={"min": 0.0})
    # Signal weights (keys: FRAUD_SIGNALS); 0 turns a signal off.
    weights: dict[str, float] = field(default_factory=default_weights)
    # Baseline rules need at least this many past DEBIT transactions of the customer.
    min_history: int = field(default=20, metadata={"min": 1})
    # amount_outlier: amount > median + mad_threshold x MAD and amount >= min_outlier_amount.
    mad_threshold: float = field(default=6.0, metadata={"min": 0.0})
    min_outlier_amount: float = field(default=200.0, metadata={"min": 0.0})
    # new_channel / unusual_category / unusual_hour: the value's share of the customer's past
    # transactions is below this (never seen counts as 0). Channels get a higher bar: a takeover often
    # uses a channel the customer has touched a few times (e.g. phone banking), not never.
    rare_channel_share: float = field(default=0.05, metadata={"min": 0.0, "max": 1.0})
    rare_category_share: float = field(default=0.02, metadata={"min": 0.0, "max": 1.0})
    rare_hour_share: float = field(default=0.02, metadata={"min": 0.0, "max": 1.0})
    # velocity: at least velocity_min_count transactions (this one included) within velocity_window_minutes,
    # and more than the customer's busiest clock hour in the baseline.
    velocity_window_minutes: int = field(default=60, metadata={"min": 1, "max": 1440})
    velocity_min_count: int = field(default=5, metadata={"min": 2})
    # probing: at least probe_min_count transactions below probe_amount in the probe_window_hours before.
    probe_amount: float = field(default=5.0, metadata={"min": 0.0})
    probe_window_hours: int = field(default=6, metadata={"min": 1, "max": 168})
    probe_min_count: int = field(default=2, metadata={"min": 1})
    # PrefixSpan events are channel|category|amount band; band bounds in the transactions' currency.
    amount_bands: list[float] = field(
        default_factory=lambda: [5.0, 50.0, 500.0, 2000.0], metadata={"min": 0.0}
    )
    # A transaction's sequence: its own event after the events of the same customer in the lookback before
    # it (at most pattern_max_events of them, the most recent).
    pattern_lookback_hours: int = field(default=24, metadata={"min": 1, "max": 720})
    pattern_max_events: int = field(default=6, metadata={"min": 1, "max": 50})
    # PrefixSpan over the sequences ending at known fraud: minimum support (share of those sequences)
    # and maximum pattern length (events).
    pattern_min_support: float = field(default=0.1, metadata={"min": 0.0, "max": 1.0})
    pattern_max_length: int = field(default=4, metadata={"min": 1, "max": 10})
    # A mined pattern is an alert signal when, in the history, at least this share of the transactions it
    # ends at were fraud, and it ended at at least pattern_min_matches fraud transactions.
    pattern_min_confidence: float = field(default=0.2, metadata={"min": 0.0, "max": 1.0})
    pattern_min_matches: int = field(default=3, metadata={"min": 1})
    # At most this many mined patterns are kept (highest support first).
    pattern_max_patterns: int = field(default=200, metadata={"min": 1, "max": 5000})

    def validate(self, path: str) -> None:
        unknown = sorted(set(self.weights) - set(FRAUD_SIGNALS))
        if unknown:
            raise ConfigError(
                f"unknown signal '{path}.weights.{unknown[0]}'; allowed: {', '.join(FRAUD_SIGNALS)}"
            )
        negative = sorted(k for k, w in self.weights.items() if w < 0)
        if negative:
            raise ConfigError(f"'{path}.weights.{negative[0]}' must be >= 0")
        if sorted(self.amount_bands) != self.amount_bands or len(set(self.amount_bands)) != len(
            self.amount_bands
        ):
            raise ConfigError(f"'{path}.amount_bands' = {self.amount_bands} must be strictly increasing")

    def weight(self, signal: str) -> float:
        """The weight of ``signal`` (a signal left out of ``weights`` keeps its default)."""
        return self.weights.get(signal, default_weights()[signal])
