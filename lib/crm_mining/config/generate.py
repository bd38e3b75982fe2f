"""Settings for `crm-mining generate` (the synthetic bank lake)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from crm_mining.config.validate import ConfigError


@dataclass(frozen=True)
class GenerateSettings:
    # false: the pipeline skips generate, as a bank's own landing files arrive by themselves.
    enabled: bool = True
    seed: int = 42
    customers: int = field(default=2000, metadata={"min": 10})
    # 24 months: enough for closed churn (3-month) and default (6-month) label windows with an
    # out-of-time train / validation / test split (docs/models.md).
    months: int = field(default=24, metadata={"min": 1, "max": 120})
    # First day of the generated window; must be the 1st of a month. The window must end by today: ingest
    # quarantines future dates (2024-11-01 + 24 months ends 2026-10-31).
    start_date: dt.date = dt.date(2024, 11, 1)
    # Mean transactions per active customer per month (heavy-tailed around it).
    txns_per_customer_month: float = field(default=12.0, metadata={"min": 0.5})
    # Share of records (per source) replaced or joined by an injected bad record.
    bad_record_rate: float = field(default=0.002, metadata={"min": 0.0, "max": 0.2})
    # Share of daily transaction drops delivered as CSV (the rest Parquet).
    csv_share: float = field(default=0.5, metadata={"min": 0.0, "max": 1.0})
    # Share of pre-window customers who churn inside the window after a decline of their activity.
    churn_rate: float = field(default=0.12, metadata={"min": 0.0, "max": 0.9})
    # Share of the other pre-window customers aged under 27 or 72 and over (segments.SWITCH_AGES) who
    # switch banks on a life event: every account closes inside the window, with no decline before it (a
    # churn risk that rises at both ends of the age range: a tree model learns it, a linear model cannot).
    switch_rate: float = field(default=0.5, metadata={"min": 0.0, "max": 1.0})
    # Share of the holders of an affinity's antecedent (generate/segments.py AFFINITIES) left without its
    # consequent who are cross-sold it on a day inside the window: the product openings that next-best-offer
    # is measured against (a new customer's first products open at random, whatever they hold).
    cross_sell_rate: float = field(default=0.5, metadata={"min": 0.0, "max": 1.0})
    # Share of the customers (joined 4 months before the window) whose credit card defaults inside it.
    default_rate: float = field(default=0.05, metadata={"min": 0.0, "max": 0.9})
    # 1: age plays no part. m > 1: defaulters by a draw of their own, default_rate at 30-69 and m times it
    # under 30 and at 70 and over (segments.STRETCHED_AGES): a default risk that rises at both ends of the age
    # range, which a tree model learns and a linear one cannot (docs/generate.md).
    default_age_multiplier: float = field(default=1.0, metadata={"min": 1.0, "max": 20.0})
    # Share of customers who go silent for 4-6 months inside the window (half of them resume).
    dormant_rate: float = field(default=0.06, metadata={"min": 0.0, "max": 0.5})
    # Share of customers whose join_date falls inside the generated window (acquisition).
    new_customer_share: float = field(default=0.15, metadata={"min": 0.0, "max": 1.0})
    # Existing customers' join dates spread over this many years before start_date.
    history_years: int = field(default=10, metadata={"min": 1, "max": 50})
    # Share of transactions that are planted fraud (card testing, account takeover, velocity bursts;
    # docs/generate.md); each episode and its transaction ids are in truth/fraud_episodes.
    fraud_rate: float = field(default=0.002, metadata={"min": 0.0, "max": 0.05})
    # Mean complaints/service contacts per customer per month.
    interactions_per_customer_month: float = field(default=0.15, metadata={"min": 0.0, "max": 10.0})
    # Share of interaction texts written in Chinese (the rest English); see generate/texts.py.
    chinese_share: float = field(default=0.2, metadata={"min": 0.0, "max": 1.0})
    # Share of English interaction texts with a typing slip (one letter dropped).
    typo_rate: float = field(default=0.1, metadata={"min": 0.0, "max": 1.0})

    def validate(self, path: str) -> None:
        if self.start_date.day != 1:
            raise ConfigError(f"'{path}.start_date' = {self.start_date} must be the first day of a month")
        if self.churn_rate + self.default_rate + self.dormant_rate > 0.95:
            raise ConfigError(
                f"'{path}.churn_rate' + '{path}.default_rate' + '{path}.dormant_rate' must be <= 0.95 "
                "(the three behaviours are exclusive)"
            )
        if self.default_rate * self.default_age_multiplier > 1.0:
            raise ConfigError(
                f"'{path}.default_rate' x '{path}.default_age_multiplier' = "
                f"{self.default_rate * self.default_age_multiplier:g} must be <= 1 (a share of customers)"
            )
