"""Settings for `crm-mining lifecycle` (stages, history, transitions) and customer value."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from crm_mining.config.validate import ConfigError

STAGES = ("acquisition", "build_up", "maturity", "decline", "exit", "dormant", "reactivated")


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
    # Snapshots to stage (month ends present in gold.customer_features); empty = every snapshot there.
    snapshot_dates: list[dt.date] = field(default_factory=list)
    # Tenure (whole months since join) up to which a customer is in acquisition.
    acquisition_max_tenure_months: int = field(default=3, metadata={"min": 0})
    # Tenure up to which a (not declining) customer is in build-up; beyond it, maturity.
    build_up_max_tenure_months: int = field(default=24, metadata={"min": 1})
    # Tenure bands: fixed (the two limits above); quantiles (per snapshot, acquisition up to the
    # acquisition_quantile of the book's tenure and build-up up to its build_up_quantile, so a young book
    # such as a retailer's first 18 months reaches every stage); auto = quantiles at a snapshot where no
    # customer is past build_up_max_tenure_months (maturity could not occur), fixed otherwise.
    tenure_bands: Literal["fixed", "quantiles", "auto"] = "auto"
    acquisition_quantile: float = field(default=0.1, metadata={"min": 0.0, "max": 1.0})
    build_up_quantile: float = field(default=0.5, metadata={"min": 0.0, "max": 1.0})
    # Exit where account closures are unknown (transactions only: all_accounts_closed is null): no
    # transaction for this many days; the row's rule says the exit was inferred. 0 = never inferred.
    exit_inactive_days: int = field(default=365, metadata={"min": 0})
    # Where closures are unknown, also exit: silent for dormant_inactive_days and the BG/NBD probability
    # of being alive (fitted at that snapshot on the purchases before it) below this. 0 = silence only.
    exit_p_alive_below: float = field(default=0.1, metadata={"min": 0.0, "max": 1.0})
    # Spend/balance of the last 3 months over the 3 before: below decline_ratio -> decline.
    decline_ratio: float = field(default=0.6, metadata={"min": 0.0, "max": 1.0})
    # Which trend(s) must fall below decline_ratio. balance (default): the balance trend, or the spend trend
    # where there is no balance trend (e.g. transactions only); spend; either; both. On the generated lake
    # balance is precise (spend alone flags many noisy months): see docs/lifecycle.md.
    decline_signal: Literal["spend", "balance", "either", "both"] = "balance"
    # A customer past build_up_max_tenure_months still counts as build-up while spend grows at least this
    # fast (spend_trend) and they hold fewer than maturity_min_products products.
    growth_ratio: float = field(default=1.15, metadata={"min": 1.0})
    # Products a customer past build-up tenure needs to count as mature while spend still grows
    # (the "still growing" build-up rule); 0 (default) turns that rule off.
    maturity_min_products: int = field(default=0, metadata={"min": 0})
    # Days without a transaction (accounts still open) after which a customer is dormant.
    dormant_inactive_days: int = field(default=90, metadata={"min": 1})
    # Month ends a reactivated customer stays "reactivated", counted from the first active month end.
    reactivated_months: int = field(default=3, metadata={"min": 1, "max": 24})
    # true: only re-fit customer value and its backtests at the latest staged snapshot (stages untouched).
    value_only: bool = False
    # Recommended CRM action per stage (every stage needs one).
    actions: dict[str, str] = field(default_factory=default_actions)

    def validate(self, path: str) -> None:
        missing = [stage for stage in STAGES if stage not in self.actions]
        if missing:
            raise ConfigError(
                f"'{path}.actions' needs an action for every stage; missing: {', '.join(missing)}"
            )
        unknown = sorted(set(self.actions) - set(STAGES))
        if unknown:
            raise ConfigError(
                f"'{path}.actions' has unknown stage(s) {', '.join(unknown)}; stages: {', '.join(STAGES)}"
            )
        if self.acquisition_quantile >= self.build_up_quantile:
            raise ConfigError(f"'{path}.acquisition_quantile' must be below '{path}.build_up_quantile'")
        if 0 < self.exit_inactive_days <= self.dormant_inactive_days:
            raise ConfigError(
                f"'{path}.exit_inactive_days' must exceed '{path}.dormant_inactive_days' (or be 0)"
            )
        if self.acquisition_max_tenure_months >= self.build_up_max_tenure_months:
            raise ConfigError(
                f"'{path}.acquisition_max_tenure_months' must be below '{path}.build_up_max_tenure_months'"
            )


@dataclass(frozen=True)
class ValueSettings:
    # bgnbd: BG/NBD expected purchases x Gamma-Gamma spend per purchase. gbt: the BG/NBD prediction times a
    # ratio that gradient-boosted trees learn from the previous horizon (own history, trends, profile). auto: the one
    # with the lower backtest MAE (gold.value_backtest, target backtest.auto_target); needs backtest.enabled.
    method: Literal["bgnbd", "gbt", "auto"] = "auto"
    # Months ahead over which expected value is summed (a month = 30 days).
    horizon_months: int = field(default=12, metadata={"min": 1, "max": 120})
    # Annual discount rate applied to expected monthly value.
    discount_rate: float = field(default=0.1, metadata={"min": 0.0, "max": 1.0})
    # L2 penalty on the model parameters (as lifetimes' penalizer_coef); 0 = plain maximum likelihood.
    penalizer: float = field(default=0.0, metadata={"min": 0.0})
    # Fit on a stratified sample of per-customer summaries when there are more customers than this.
    max_fit_customers: int = field(default=200_000, metadata={"min": 100})
    # Seed of the fit sample (used only above max_fit_customers) and of the gbt method.
    seed: int = 7
    # gbt method: depth, trees, learning rate (every tree shrunk by it) and smallest leaf of the boosted trees
    # (one model for purchases, one for spend).
    gbt_max_depth: int = field(default=4, metadata={"min": 1, "max": 12})
    gbt_max_iter: int = field(default=40, metadata={"min": 1, "max": 500})
    gbt_step_size: float = field(default=0.1, metadata={"min": 0.001, "max": 1.0})
    gbt_min_instances_per_node: int = field(default=20, metadata={"min": 1})
    # gbt method: customers per partition of the training rows, at most spark.sql.shuffle.partitions
    # partitions. Every tree level is a Spark job; on a few thousand customers its time is task scheduling,
    # so fewer partitions fit faster (scripts/results/bench_fit_layout.md).
    gbt_rows_per_partition: int = field(default=50_000, metadata={"min": 1})
    # gbt method: gold.customer_features columns (numbers or flags, at the latest snapshot within a month
    # before each cut-off) the trees also read; those the table lacks are left out and the summary says so.
    gbt_customer_features: list[str] = field(
        default_factory=lambda: [
            "age_years",
            "tenure_months",
            "product_count",
            "active_product_count",
            "closed_account_count",
            "all_accounts_closed",
            "balance_total",
            "balance_trend",
            "spend_trend",
            "txn_count_trend",
            "max_dpd_3m",
            "complaint_count_90d",
        ]
    )


@dataclass(frozen=True)
class BacktestSettings:
    """gold.value_backtest and gold.lifecycle_backtest: predict the ``horizon_months`` after a cut-off
    ``offset_months`` before the latest snapshot with data up to the cut-off, and compare."""

    enabled: bool = True
    # The cut-off is the month end this many months before the latest snapshot.
    offset_months: int = field(default=6, metadata={"min": 1, "max": 60})
    # Months (30 days each) after the cut-off that are predicted and compared; <= offset_months.
    horizon_months: int = field(default=6, metadata={"min": 1, "max": 60})
    # BG/NBD + Gamma-Gamma is backtested at each of these penalizers (value.penalizer is always added).
    penalizers: list[float] = field(default_factory=lambda: [0.0, 0.001, 0.01], metadata={"min": 0.0})
    # Also backtest the gbt method (it trains one horizon earlier: needs 2 x horizon months of history).
    include_gbt: bool = True
    # value.method auto picks the lowest MAE of this target (overall, all customers).
    auto_target: Literal["purchases", "spend"] = "purchases"
    # auto keeps gbt only if its backtest total bias of auto_target (predicted / actual - 1) is within
    # this share either way; else the best BG/NBD row (a lower MAE bought with a biased total misstates value).
    auto_max_bias: float = field(default=0.05, metadata={"min": 0.0})

    def validate(self, path: str) -> None:
        if self.horizon_months > self.offset_months:
            raise ConfigError(
                f"'{path}.horizon_months' ({self.horizon_months}) must not exceed '{path}.offset_months' "
                f"({self.offset_months}): the window after the cut-off must have happened"
            )
