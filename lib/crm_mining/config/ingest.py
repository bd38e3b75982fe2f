"""Settings for `crm-mining ingest` (landing -> bronze -> silver)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class IngestSettings:
    # A new landing column is merged into bronze (true) or the file is rejected naming it (false).
    allow_schema_merge: bool = False
    base_currency: str = "EUR"
    # Units of base currency per unit of the key currency.
    fx_rates: dict[str, float] = field(default_factory=lambda: {"EUR": 1.0, "USD": 0.92, "GBP": 1.17})
    # Amounts above this (base currency) are quarantined as absurd.
    max_amount: float = field(default=1_000_000.0, metadata={"min": 1.0})
    # Records dated more than this many days after the batch's ingest time are quarantined.
    max_future_days: int = field(default=1, metadata={"min": 0})
    # Transactions equal on (account, amount, timestamp within this window) are near duplicates.
    near_duplicate_seconds: int = field(default=60, metadata={"min": 0})
    optimize: bool = True
