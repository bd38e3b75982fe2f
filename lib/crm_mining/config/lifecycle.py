"""Settings for `crm-mining lifecycle` (stages, history, transitions) and customer value."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


def default_actions() -> dict[str, str]:
    return {
        "acquisition": "response targeting",
        "build_up": "cross-sell",
        "maturity": "up-sell and loyalty",
        "decline": "churn alert and retention offer",
        "exit": "win-back",
        "dormant": "reactivation campaign",
        "reactivated": "onboarding refresh and cross-sell",
    }


@dataclass(frozen=True)
class LifecycleSettings:
    acquisition_max_tenure_months: int = field(default=3, metadata={"min": 0})
    build_up_max_tenure_months: int = field(default=24, metadata={"min": 1})
    # Spend/balance of the last 3 months over the 3 before: below decline_ratio -> decline.
    decline_ratio: float = field(default=0.6, metadata={"min": 0.0, "max": 1.0})
    growth_ratio: float = field(default=1.15, metadata={"min": 1.0})
    maturity_min_products: int = field(default=3, metadata={"min": 1})
    dormant_inactive_days: int = field(default=90, metadata={"min": 1})
    actions: dict[str, str] = field(default_factory=default_actions)


@dataclass(frozen=True)
class ValueSettings:
    method: Literal["bgnbd_gamma_gamma"] = "bgnbd_gamma_gamma"
    horizon_months: int = field(default=12, metadata={"min": 1, "max": 120})
    # Annual discount rate applied to expected monthly value.
    discount_rate: float = field(default=0.1, metadata={"min": 0.0, "max": 1.0})
    penalizer: float = field(default=0.001, metadata={"min": 0.0})
    # Fit on a stratified sample of per-customer summaries when there are more customers than this.
    max_fit_customers: int = field(default=200_000, metadata={"min": 100})
