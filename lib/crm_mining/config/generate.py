"""Settings for `crm-mining generate` (the synthetic bank lake)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class GenerateSettings:
    seed: int = 42
    customers: int = field(default=2000, metadata={"min": 10})
    months: int = field(default=12, metadata={"min": 1, "max": 120})
    start_date: dt.date = dt.date(2025, 1, 1)
    # Mean transactions per active customer per month (heavy-tailed around it).
    txns_per_customer_month: float = field(default=12.0, metadata={"min": 0.5})
    # Share of records (per source) replaced or joined by an injected bad record.
    bad_record_rate: float = field(default=0.002, metadata={"min": 0.0, "max": 0.2})
    # Share of daily transaction drops delivered as CSV (the rest Parquet).
    csv_share: float = field(default=0.5, metadata={"min": 0.0, "max": 1.0})
    churn_rate: float = field(default=0.12, metadata={"min": 0.0, "max": 0.9})
    default_rate: float = field(default=0.05, metadata={"min": 0.0, "max": 0.9})
