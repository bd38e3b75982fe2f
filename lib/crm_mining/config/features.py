"""Settings for `crm-mining features`: snapshots, labels, RFM and bring-your-own-data input."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from crm_mining.config.validate import ConfigError

# Logical transaction columns a user's own table may map (see crm_mining.inputs).
REQUIRED_INPUT_COLUMNS = ("customer_id", "txn_ts", "amount")
OPTIONAL_INPUT_COLUMNS = ("txn_id", "account_id", "direction", "channel", "merchant_category", "product_code")


@dataclass(frozen=True)
class InputSettings:
    """Where transactions come from. ``lake`` reads silver; otherwise a user's own table or files."""

    source: Literal["lake", "delta_table", "delta_path", "parquet", "csv"] = "lake"
    location: str | None = None
    # Logical name -> the user's column name. Required: customer_id, txn_ts, amount.
    # Optional: txn_id, channel, merchant_category, product_code, direction, account_id.
    # A logical name left out of the mapping is looked up under its own name in the source.
    columns: dict[str, str] = field(default_factory=dict)
    csv_options: dict[str, str] = field(default_factory=lambda: {"header": "true"})
    # Pattern for string timestamps (Spark datetime pattern); None = ISO-like (yyyy-MM-dd[ HH:mm:ss]).
    timestamp_format: str | None = None
    # Only used when the source has no direction column: true = the amount is signed
    # (negative -> DEBIT, positive -> CREDIT); false = every row is spend (DEBIT).
    signed_amounts: bool = False
    # true: a zero amount is a purchase of value 0 (retail: a free or fully discounted order is still an
    # order), kept as DEBIT; false (default): rejected as BAD_NUMBER.
    keep_zero_amounts: bool = False

    def validate(self, path: str) -> None:
        if self.source != "lake" and not self.location:
            raise ConfigError(f"'{path}.location' is required when '{path}.source' is {self.source!r}")
        known = set(REQUIRED_INPUT_COLUMNS) | set(OPTIONAL_INPUT_COLUMNS)
        unknown = sorted(set(self.columns) - known)
        if unknown:
            raise ConfigError(
                f"unknown logical column '{path}.columns.{unknown[0]}'; allowed: {', '.join(sorted(known))}"
            )


@dataclass(frozen=True)
class FeatureSettings:
    # Explicit snapshot dates (month ends); empty means the last `snapshot_count` month ends in the data.
    snapshot_dates: list[dt.date] = field(default_factory=list)
    # 15 monthly snapshots: an out-of-time split needs 2h + 2 of them for a label horizon of h months
    # (2 train snapshots for the 6-month default label; docs/models.md).
    snapshot_count: int = field(default=15, metadata={"min": 1, "max": 120})
    rfm_windows_days: list[int] = field(default_factory=lambda: [30, 90, 365], metadata={"min": 1})
    dpd_windows_months: list[int] = field(default_factory=lambda: [3, 6, 12], metadata={"min": 1})
    # Window for the channel and merchant-category mix shares.
    mix_window_days: int = field(default=365, metadata={"min": 1})
    # Windows for complaint and contact counts.
    contact_windows_days: list[int] = field(default_factory=lambda: [90, 365], metadata={"min": 1})
    # Window for the complaint text features (negative complaints, topic shares) from
    # gold.interaction_insights, which the complaints stage writes.
    complaint_window_days: int = field(default=90, metadata={"min": 1})
    # false: ignore lake tables (customers, accounts, balances, repayments, interactions), e.g. when
    # input.* points at a bank's own transactions that the lake's tables do not describe.
    use_lake_tables: bool = True
    # The most partitions the transactions are hash-partitioned into by customer before the feature
    # aggregates; adaptive execution coalesces them to ~64 MB each (2 on a small lake, 32 on a
    # 30M-transaction lake). Each task then aggregates a share of the customers: with all of them per
    # task, features spilled 9.3 GB at 30M (scripts/results/bench_stage_ab_30m.md).
    customer_partitions_max: int = field(default=64, metadata={"min": 1})


@dataclass(frozen=True)
class LabelSettings:
    churn_horizon_months: int = field(default=3, metadata={"min": 1, "max": 36})
    churn_inactivity_days: int = field(default=90, metadata={"min": 1})
    default_dpd: int = field(default=90, metadata={"min": 1})
    # 6 months so the 24-month sample has closed default windows; a bank with longer history sets 12.
    default_horizon_months: int = field(default=6, metadata={"min": 1, "max": 60})


@dataclass(frozen=True)
class RfmRule:
    """A named segment: inclusive score ranges (1-5) for R, F and M. First matching rule wins."""

    name: str
    r: list[int] = field(default_factory=lambda: [1, 5], metadata={"min": 1, "max": 5})
    f: list[int] = field(default_factory=lambda: [1, 5], metadata={"min": 1, "max": 5})
    m: list[int] = field(default_factory=lambda: [1, 5], metadata={"min": 1, "max": 5})

    def validate(self, path: str) -> None:
        for axis in ("r", "f", "m"):
            low_high = getattr(self, axis)
            if len(low_high) != 2 or low_high[0] > low_high[1]:
                raise ConfigError(
                    f"'{path}.{axis}' must be [low, high] with low <= high (scores 1-5), got {low_high}"
                )


def default_rfm_rules() -> list[RfmRule]:
    return [
        RfmRule("Champions", r=[4, 5], f=[4, 5], m=[4, 5]),
        RfmRule("Loyal", r=[3, 5], f=[3, 5]),
        RfmRule("New", r=[5, 5], f=[1, 1]),
        RfmRule("Potential loyalist", r=[4, 5], f=[1, 3]),
        RfmRule("Can't lose", r=[1, 2], f=[4, 5], m=[4, 5]),
        RfmRule("At risk", r=[1, 2], f=[3, 5]),
        RfmRule("Hibernating", r=[2, 3], f=[1, 2]),
        RfmRule("Lost", r=[1, 1], f=[1, 2]),
    ]


@dataclass(frozen=True)
class RfmSettings:
    window_days: int = field(default=365, metadata={"min": 1})
    # percentile_approx accuracy (higher is more exact, more memory).
    quantile_accuracy: int = field(default=10000, metadata={"min": 100})
    segments: list[RfmRule] = field(default_factory=default_rfm_rules)
    # Customers matching no rule get this segment.
    fallback_segment: str = "Others"
