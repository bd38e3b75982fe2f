"""Settings for `crm-mining segment`: KMeans customer segments, k selection, names, stability, own data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from crm_mining.config.validate import ConfigError


def default_features() -> list[str]:
    """Behavioural features a bank segments on: value, activity, product depth, channel mix and tenure.

    Demographics (age, occupation) are left out on purpose: segments then describe behaviour, and
    demographics are read off the profiles (see docs/segment.md for the ARI with and without them).
    """
    return [
        "balance_3m_avg",
        "spend_365d",
        "inflow_365d",
        "txn_count_365d",
        "recency_days",
        "product_count",
        "channel_share_atm",
        "channel_share_pos",
        "channel_share_online",
        "channel_share_mobile",
        "channel_share_branch",
        "channel_share_phone",
        "tenure_months",
    ]


def default_log1p_columns() -> list[str]:
    return ["balance_3m_avg", "spend_365d", "inflow_365d", "txn_count_365d", "recency_days"]


def default_profile_columns() -> list[str]:
    return [
        "age_years",
        "balance_total",
        "balance_deposit",
        "balance_credit",
        "txn_count_90d",
        "active_product_count",
        "has_payroll",
        "has_cc",
        "has_mortgage",
        "has_vip",
        "has_td",
        "has_funds",
        "credit_utilisation",
        "max_dpd_12m",
        "all_accounts_closed",
    ]


@dataclass(frozen=True)
class NameRule:
    """A term a segment earns when its mean of ``feature`` over the population mean is >= above / <= below."""

    term: str
    feature: str
    above: float | None = field(default=None, metadata={"min": 0.0})
    below: float | None = field(default=None, metadata={"min": 0.0})

    def validate(self, path: str) -> None:
        if (self.above is None) == (self.below is None):
            raise ConfigError(
                f"'{path}' needs exactly one of 'above' or 'below' (a ratio to the population mean)"
            )


def rule(term: str, feature: str, above: float | None = None, below: float | None = None) -> NameRule:
    return NameRule(term, feature, above, below)


def default_qualifiers() -> list[NameRule]:
    return [
        rule("inactive", "txn_count_365d", below=0.3),
        rule("affluent", "balance_total", above=2.0),
        rule("senior", "age_years", above=1.25),
        rule("young", "age_years", below=0.8),
        rule("digital", "channel_share_mobile", above=1.4),
        rule("branch-loyal", "channel_share_branch", above=1.6),
        rule("highly active", "txn_count_365d", above=1.4),
        rule("low-balance", "balance_total", below=0.5),
        rule("multi-product", "product_count", above=1.3),
        rule("new", "tenure_months", below=0.5),
        rule("long-standing", "tenure_months", above=1.5),
    ]


def default_nouns() -> list[NameRule]:
    return [
        rule("leavers", "all_accounts_closed", above=3.0),
        rule("borrowers", "balance_credit", above=1.8),
        rule("savers", "balance_deposit", above=1.5),
        rule("card users", "has_cc", above=1.5),
        rule("spenders", "spend_365d", above=1.5),
        rule("payroll customers", "has_payroll", above=1.3),
    ]


@dataclass(frozen=True)
class SetApart:
    """Customers for whom ``when`` holds form their own segment ``name`` and stay out of the KMeans fit.

    ``when`` is a Spark SQL condition on the source's columns (null counts as false). A bank does not
    cluster customers who have left or stopped using the bank with those it serves: on the generated lake
    they formed a tiny outlier cluster that made the minimum-share rule reject the right k (docs/segment.md).
    """

    name: str
    when: str


def default_set_apart() -> list[SetApart]:
    return [
        SetApart("Leavers", "all_accounts_closed"),
        SetApart("Inactive customers", "txn_count_90d = 0"),
    ]


@dataclass(frozen=True)
class SegmentSettings:
    # Snapshot to segment (a snapshot_date in the source); None = the latest there.
    snapshot_date: dt.date | None = None
    # Earlier snapshots also scored with the same model, for gold.segment_migration; 0 = no migration.
    history_snapshots: int = field(default=1, metadata={"min": 0, "max": 24})
    # Numeric columns the model clusters on (cast to double; nulls imputed with the median).
    features: list[str] = field(default_factory=default_features)
    # String columns one-hot encoded into the model (e.g. occupation); nulls and unseen values get their own slot.
    categorical_features: list[str] = field(default_factory=list)
    # Heavy-tailed columns (money, counts) transformed by sign(x) * log1p(|x|) before scaling.
    log1p_columns: list[str] = field(default_factory=default_log1p_columns)
    # Further numeric columns described in gold.segment_profiles (and usable by name rules); absent ones are skipped.
    profile_columns: list[str] = field(default_factory=default_profile_columns)
    # k range searched when k is not fixed (inclusive).
    k_min: int = field(default=3, metadata={"min": 2, "max": 50})
    k_max: int = field(default=8, metadata={"min": 2, "max": 50})
    # Fixed k (skips the search); None = choose k by the rule in docs/segment.md.
    k: int | None = field(default=None, metadata={"min": 2, "max": 50})
    # A k qualifies only if its smallest segment holds at least this share of customers.
    min_segment_share: float = field(default=0.05, metadata={"min": 0.0, "max": 0.5})
    # Among qualifying k, the largest whose silhouette is within this of the best (0 = the best silhouette).
    silhouette_tolerance: float = field(default=0.05, metadata={"min": 0.0, "max": 1.0})
    # Customers segmented by a rule instead of KMeans (first matching rule wins), in this order after the k
    # KMeans segments (ids k+1, k+2, ...); a rule naming a column the source lacks is skipped with a warning.
    set_apart: list[SetApart] = field(default_factory=default_set_apart)
    # Customers sampled (at most) for the silhouette of each k.
    silhouette_sample: int = field(default=20_000, metadata={"min": 100})
    # KMeans: k-means|| initialisation steps, iterations, tolerance (largest centre move) and seed.
    init_steps: int = field(default=2, metadata={"min": 1})
    max_iter: int = field(default=100, metadata={"min": 1})
    tol: float = field(default=1e-6, metadata={"min": 0.0})
    seed: int = 42
    # KMeans runs for the chosen k (seeds seed, seed+1, ...); the lowest training cost wins, as scikit-learn's n_init.
    n_init: int = field(default=10, metadata={"min": 1, "max": 50})
    # KMeans runs per k while choosing k (seeds seed, ...); the chosen k's runs are reused for its n_init.
    selection_n_init: int = field(default=5, metadata={"min": 1, "max": 50})
    # KMeans runs fitted at the same time (driver threads sharing the Spark session); 1 = one after another.
    parallel_fits: int = field(default=2, metadata={"min": 1, "max": 16})
    # Customers per partition of the scaled rows KMeans fits on, at most spark.sql.shuffle.partitions
    # partitions. Every KMeans iteration is a Spark job; on a few thousand customers its time is task
    # scheduling, so fewer partitions fit faster (k=6 on 2,983 customers: 0.57-0.81 s in 1 partition against
    # 1.14-2.28 s in 4, scripts/results/bench_fit_layout.md), and parallel_fits keeps the cores busy.
    rows_per_partition: int = field(default=50_000, metadata={"min": 1})
    # true: fit a new model even if a saved one exists (the CLI's --refit).
    refit: bool = False
    # Record in gold.segment_stability the ARI between the model used and an independent refit (other seeds)
    # on the scored snapshot, or, when a refit replaces a model, between the new and the replaced model.
    stability_check: bool = True
    # Where fitted models are saved (<dir>/<version>/pipeline + model.json); None = <lake.root>/models/segment.
    model_dir: str | None = None
    # Naming rules (defaults in docs/segment.md): a term applies when the segment's mean of `feature` over the
    # population mean is >= `above` (or <= `below`).
    # Naming: up to name_max_qualifiers qualifier terms (rule order) then the first matching noun.
    name_qualifiers: list[NameRule] = field(default_factory=default_qualifiers)
    name_nouns: list[NameRule] = field(default_factory=default_nouns)
    name_max_qualifiers: int = field(default=2, metadata={"min": 0, "max": 5})
    default_noun: str = "customers"
    # Products listed per segment in gold.segment_profiles.top_products.
    top_products: int = field(default=3, metadata={"min": 1, "max": 12})
    # Where customers come from: lake = gold.customer_features; else a customer-level table of your own.
    source: Literal["lake", "delta_table", "delta_path", "parquet", "csv"] = "lake"
    location: str | None = None
    id_column: str = "customer_id"
    # Column holding the snapshot date in your own table; None = one snapshot (snapshot_date or today).
    snapshot_column: str | None = None
    csv_options: dict[str, str] = field(default_factory=lambda: {"header": "true", "inferSchema": "true"})

    def validate(self, path: str) -> None:
        if self.k_min > self.k_max:
            raise ConfigError(f"'{path}.k_min' ({self.k_min}) must not exceed '{path}.k_max' ({self.k_max})")
        if not self.features and not self.categorical_features:
            raise ConfigError(f"'{path}.features' must name at least one column")
        every = [*self.features, *self.categorical_features]
        if len(set(every)) != len(every):
            raise ConfigError(f"'{path}.features' and '{path}.categorical_features' list a column twice")
        names = [r.name for r in self.set_apart]
        if len(set(names)) != len(names) or not all(n.strip() for n in names):
            raise ConfigError(f"'{path}.set_apart' names must be unique and not empty, got {names}")
        stray = sorted(set(self.log1p_columns) - set(self.features))
        if stray:
            raise ConfigError(f"'{path}.log1p_columns' has {', '.join(stray)} not in '{path}.features'")
        if self.source != "lake" and not self.location:
            raise ConfigError(f"'{path}.location' is required when '{path}.source' is {self.source!r}")
