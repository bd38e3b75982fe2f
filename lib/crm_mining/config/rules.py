"""Settings for `crm-mining rules`: cross-sell rules, coverage, next-best-offer and risk rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from crm_mining.config.validate import ConfigError
from crm_mining.domain import CREDIT_PRODUCTS

# Logical columns of a bring-your-own-data basket table (see crm_mining.rules.baskets).
BASKET_INPUT_COLUMNS = ("customer_id", "item", "items", "snapshot_date")


@dataclass(frozen=True)
class BasketInputSettings:
    """Where product baskets come from: the lake's gold.customer_features, or a user's own table."""

    # lake: the `products` array of gold.customer_features; otherwise a user's (customer id, item) table.
    source: Literal["lake", "delta_table", "delta_path", "parquet", "csv"] = "lake"
    # Table name (delta_table) or path (delta_path, parquet, csv) of the user's table.
    location: str | None = None
    # long: one row per (customer, item); array: one row per customer, items in an array column
    # (or, in a CSV, one string column split on item_separator).
    layout: Literal["long", "array"] = "long"
    # Logical name -> the user's column: customer_id, item (long layout) or items (array layout), and
    # optionally snapshot_date. A logical name left out is looked up under its own name.
    columns: dict[str, str] = field(default_factory=dict)
    # Spark CSV reader options (csv source only).
    csv_options: dict[str, str] = field(default_factory=lambda: {"header": "true"})
    # Separator of a string items column (array layout read from text files).
    item_separator: str = "|"
    # Snapshot date of every row when the table has no snapshot_date column; null = the run date.
    snapshot_date: dt.date | None = None

    def validate(self, path: str) -> None:
        if self.source != "lake" and not self.location:
            raise ConfigError(f"'{path}.location' is required when '{path}.source' is {self.source!r}")
        unknown = sorted(set(self.columns) - set(BASKET_INPUT_COLUMNS))
        if unknown:
            raise ConfigError(
                f"unknown logical column '{path}.columns.{unknown[0]}'; allowed: {', '.join(BASKET_INPUT_COLUMNS)}"
            )
        if not self.item_separator:
            raise ConfigError(f"'{path}.item_separator' must not be empty")


def default_age_limits() -> dict[str, list[int]]:
    return {"CC": [18, 80], "PL": [18, 75], "AUTO": [18, 70], "MORTGAGE": [18, 65]}


@dataclass(frozen=True)
class OfferSettings:
    # Offers per customer (the top k products not held).
    top_k: int = field(default=3, metadata={"min": 1, "max": 20})
    # Rules used for offers need at least this lift (score = the best confidence among matching rules).
    min_lift: float = field(default=1.0, metadata={"min": 0.0})
    # Customers at or above this risk level get no offers (5 = nobody is excluded by level).
    exclude_risk_level: int = field(default=3, metadata={"min": 1, "max": 5})
    # Customers matching a flagged risk rule (rules.risk.exclude_*) get no offers.
    exclude_risk_rules: bool = True
    # Customers with an open fraud alert (gold.transaction_alerts, written by `crm-mining fraud`) dated in
    # the fraud_alert_open_days up to the snapshot get no offers (reason OPEN_FRAUD_ALERT).
    exclude_fraud_alerts: bool = True
    fraud_alert_open_days: int = field(default=90, metadata={"min": 1, "max": 3650})
    # Product -> [min age, max age] (inclusive) of customers it may be offered to; customers without an
    # age are not held back by it.
    age_limits: dict[str, list[int]] = field(default_factory=default_age_limits)
    # Products not offered to customers in delinquency (worst dpd >= delinquent_dpd).
    credit_products: list[str] = field(default_factory=lambda: list(CREDIT_PRODUCTS))
    # Worst dpd (rules.risk.dpd_column) from which a customer counts as delinquent.
    delinquent_dpd: int = field(default=1, metadata={"min": 1})
    # Offer evaluation: offers at a snapshot t against the products opened in (t, t + horizon].
    evaluation_horizon_months: int = field(default=6, metadata={"min": 1, "max": 36})
    # The evaluation snapshot t; null = the latest snapshot whose horizon is inside the data.
    evaluation_snapshot: dt.date | None = None
    # Seed of the random baseline.
    seed: int = 7

    def validate(self, path: str) -> None:
        for product, limits in self.age_limits.items():
            if len(limits) != 2 or limits[0] > limits[1]:
                raise ConfigError(
                    f"'{path}.age_limits.{product}' must be [min age, max age] with min <= max, got {limits}"
                )


def default_categorical_attributes() -> list[str]:
    return ["gender", "marital_status", "education", "occupation", "income_band"]


@dataclass(frozen=True)
class RiskSettings:
    # gold.customer_features column with the worst days past due that sets the risk level.
    dpd_column: str = "max_dpd_12m"
    # Lowest worst-dpd of risk levels 1, 2, 3, 4 (1: never late, 2: 1-29, 3: 30-89, 4: 90+).
    level_min_dpd: list[int] = field(default_factory=lambda: [0, 1, 30, 90], metadata={"min": 0})
    # Band edges (a band is [edge_i, edge_i+1)) of the numeric attributes turned into items.
    age_bands: list[float] = field(default_factory=lambda: [25.0, 35.0, 45.0, 55.0, 65.0])
    # Tenure band edges (months).
    tenure_bands_months: list[float] = field(default_factory=lambda: [12.0, 36.0, 60.0, 120.0])
    # Total balance band edges (base currency).
    balance_bands: list[float] = field(default_factory=lambda: [1000.0, 5000.0, 20000.0, 100000.0])
    # Credit utilisation band edges (balance / limit).
    utilisation_bands: list[float] = field(default_factory=lambda: [0.3, 0.6, 0.9])
    # Categorical gold.customer_features columns used as items as they are (missing columns are skipped).
    categorical: list[str] = field(default_factory=default_categorical_attributes)
    # Mining thresholds for rules "attribute bands -> risk level" (support as in rules.min_support).
    min_support: float = field(default=0.01, metadata={"min": 0.0001, "max": 1.0})
    # Risk rules below this confidence are left out.
    min_confidence: float = field(default=0.1, metadata={"min": 0.0, "max": 1.0})
    # Risk rules below this lift are left out.
    min_lift: float = field(default=1.0, metadata={"min": 0.0})
    # Largest itemset (attribute items plus the risk level).
    max_itemset_size: int = field(default=3, metadata={"min": 2, "max": 10})
    # More risk rules than this stop the run with a suggested rules.risk.min_support.
    max_rules: int = field(default=20000, metadata={"min": 1})
    # Campaign exclusion: customers matching a rule of risk level >= exclude_level whose confidence and
    # lift reach these floors are flagged (5 = no risk rule excludes).
    exclude_level: int = field(default=3, metadata={"min": 1, "max": 5})
    # Confidence floor of an excluding risk rule.
    exclude_min_confidence: float = field(default=0.3, metadata={"min": 0.0, "max": 1.0})
    # Lift floor of an excluding risk rule.
    exclude_min_lift: float = field(default=2.0, metadata={"min": 0.0})
    # Snapshot whose exclusions are checked against gold.labels defaults; null = the latest snapshot
    # with default labels.
    validation_snapshot: dt.date | None = None

    def validate(self, path: str) -> None:
        bounds = self.level_min_dpd
        if (
            len(bounds) != 4
            or bounds[0] != 0
            or any(a >= b for a, b in zip(bounds, bounds[1:], strict=False))
        ):
            raise ConfigError(
                f"'{path}.level_min_dpd' must be 4 increasing dpd bounds starting at 0, got {bounds}"
            )
        for name in ("age_bands", "tenure_bands_months", "balance_bands", "utilisation_bands"):
            edges = getattr(self, name)
            if any(a >= b for a, b in zip(edges, edges[1:], strict=False)):
                raise ConfigError(f"'{path}.{name}' must be increasing, got {edges}")


@dataclass(frozen=True)
class RulesSettings:
    # Snapshots to mine (month ends in the basket source); empty = the latest one.
    snapshot_dates: list[dt.date] = field(default_factory=list)
    # products: each customer's products held at a snapshot; merchant_categories: also mine the DEBIT
    # merchant categories per customer-month of the category_months months up to each snapshot.
    basket_sources: list[Literal["products", "merchant_categories"]] = field(
        default_factory=lambda: ["products"]
    )
    # Calendar months (ending with the snapshot's month) of merchant-category baskets.
    category_months: int = field(default=3, metadata={"min": 1, "max": 36})
    # An itemset is frequent when it is in at least min_support of the baskets (count >= the smallest
    # whole number c with c / baskets >= min_support).
    min_support: float = field(default=0.02, metadata={"min": 0.0001, "max": 1.0})
    # Rules below this confidence or lift are left out.
    min_confidence: float = field(default=0.1, metadata={"min": 0.0, "max": 1.0})
    # (see min_confidence)
    min_lift: float = field(default=1.0, metadata={"min": 0.0})
    # Largest itemset (antecedent plus consequent) kept.
    max_itemset_size: int = field(default=4, metadata={"min": 2, "max": 20})
    # More rules than this stops the run with a message suggesting a support (never truncated).
    max_rules: int = field(default=5000, metadata={"min": 1})
    # FPGrowth numPartitions = ceil(baskets / baskets_per_partition).
    baskets_per_partition: int = field(default=250_000, metadata={"min": 1000})
    # Product whose coverage among every other product's holders gold.product_coverage measures.
    coverage_target: str = "CC"
    # Target coverage % of coverage_target per other product (and TOTAL for all customers); null gap
    # for products without a target.
    coverage_targets_pct: dict[str, float] = field(
        default_factory=lambda: {"PL": 70.0, "AUTO": 70.0, "PAYROLL": 50.0, "TOTAL": 43.0}
    )
    input: BasketInputSettings = field(default_factory=BasketInputSettings)
    offers: OfferSettings = field(default_factory=OfferSettings)
    risk: RiskSettings = field(default_factory=RiskSettings)

    def validate(self, path: str) -> None:
        for product, pct in self.coverage_targets_pct.items():
            if not 0.0 <= pct <= 100.0:
                raise ConfigError(f"'{path}.coverage_targets_pct.{product}' must be 0-100, got {pct}")
        if not self.basket_sources:
            raise ConfigError(f"'{path}.basket_sources' needs at least one source")
        if self.input.source != "lake" and "merchant_categories" in self.basket_sources:
            raise ConfigError(
                f"'{path}.basket_sources' merchant_categories needs the lake ('{path}.input.source: lake')"
            )
