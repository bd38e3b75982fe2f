"""Settings for `crm-mining train` and `crm-mining score`: GBT churn and credit-risk models.

A model spec is only config (label, population, baseline rule, split); ``models.churn`` and
``models.risk`` ship here. See docs/models.md for the split, the tuning and the score tables.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from crm_mining.config.validate import ConfigError


@dataclass(frozen=True)
class SplitSettings:
    # out_of_time: test = latest snapshot whose label window has closed; validation = latest snapshot
    # whose window closed by the test snapshot; train = snapshots whose window closed by the validation
    # snapshot (so every label used was known before the period it is judged on).
    # random: customers (with all their snapshots) split at random over the closed snapshots.
    method: Literal["out_of_time", "random"] = "out_of_time"
    # Out-of-time: at most this many train snapshots (the most recent eligible ones).
    train_snapshots: int = field(default=6, metadata={"min": 1, "max": 120})
    # Random split: shares of customers for validation and test.
    validation_fraction: float = field(default=0.2, metadata={"min": 0.05, "max": 0.4})
    test_fraction: float = field(default=0.2, metadata={"min": 0.05, "max": 0.4})
    # A split needs at least this many rows, and this many of each class, or train stops.
    min_rows: int = field(default=50, metadata={"min": 2})
    min_per_class: int = field(default=5, metadata={"min": 1})
    seed: int = 11


@dataclass(frozen=True)
class SearchSpace:
    """hyperopt search space: [low, high] per GBTClassifier parameter (step size is searched log-uniform)."""

    max_depth: list[int] = field(default_factory=lambda: [2, 6], metadata={"min": 1, "max": 30})
    max_iter: list[int] = field(default_factory=lambda: [20, 120], metadata={"min": 1})
    step_size: list[float] = field(default_factory=lambda: [0.03, 0.3], metadata={"min": 0.0001, "max": 1.0})
    subsampling_rate: list[float] = field(
        default_factory=lambda: [0.5, 1.0], metadata={"min": 0.01, "max": 1.0}
    )
    min_instances_per_node: list[int] = field(default_factory=lambda: [1, 40], metadata={"min": 1})
    max_bins: list[int] = field(default_factory=lambda: [16, 64], metadata={"min": 2})

    def validate(self, path: str) -> None:
        for name in (
            "max_depth",
            "max_iter",
            "step_size",
            "subsampling_rate",
            "min_instances_per_node",
            "max_bins",
        ):
            low_high = getattr(self, name)
            if len(low_high) != 2 or low_high[0] > low_high[1]:
                raise ConfigError(f"'{path}.{name}' must be [low, high] with low <= high, got {low_high}")


@dataclass(frozen=True)
class TuningSettings:
    # hyperopt TPE evaluations (each fits one GBT on train and scores the cached validation set). 10 rather
    # than 20: on four lakes no kept GBT tested more than 0.005 AUC lower, in 0.68x the train time
    # (scripts/results/bench_tuning_budget.md).
    max_evals: int = field(default=10, metadata={"min": 1, "max": 1000})
    # TPE random start-up trials before the model-guided ones.
    startup_trials: int = field(default=5, metadata={"min": 1})
    # Trials fitted at the same time (driver threads sharing the Spark session), each a distributed GBT fit;
    # 1 = one after another, as hyperopt's fmin. On small training sets a fit is mostly Spark scheduling
    # and two overlap well; TPE then proposes each batch from the trials finished before it.
    parallel_trials: int = field(default=2, metadata={"min": 1, "max": 16})
    seed: int = 42
    space: SearchSpace = field(default_factory=SearchSpace)
    # Which trial is kept. one_standard_error: the least complex (trees x 2^depth) among the trials within
    # one Hanley-McNeil standard error of the best validation AUC (few validation events cannot tell those
    # apart; the deepest then overfits). best: the highest validation AUC.
    selection: Literal["best", "one_standard_error"] = "one_standard_error"


@dataclass(frozen=True)
class WeightSettings:
    # balanced: each class weighs half (weight = rows / (2 x class rows)); ratio: positives weigh
    # positive_weight, negatives 1; none: every row weighs 1.
    rule: Literal["balanced", "ratio", "none"] = "balanced"
    positive_weight: float = field(default=1.0, metadata={"min": 0.0001})
    # Cap on any row's weight (a handful of positives must not dominate the trees).
    max_weight: float = field(default=50.0, metadata={"min": 1.0})


@dataclass(frozen=True)
class ModelSpec:
    """One model: which label, which population, which one-feature baseline, which split."""

    # Column of gold.labels (1 = event).
    label: str = "churn"
    # not_in_default drops rows whose in_default_column is already >= labels.default_dpd at the snapshot
    # (they are in default already: their "default" label is not a prediction).
    population: Literal["all", "not_in_default"] = "all"
    # Worst-dpd feature read at the snapshot to find customers already in default (not_in_default).
    in_default_column: str = "max_dpd_3m"
    # The one-feature rule baseline: a logistic regression on this one (numeric) feature, null = none.
    baseline_feature: str | None = "recency_days"
    # gold.customer_features columns never used as features (keys and arrays are always left out).
    exclude_features: list[str] = field(default_factory=list)
    split: SplitSettings = field(default_factory=SplitSettings)


def churn_spec() -> ModelSpec:
    # all_accounts_closed customers have null churn labels; the column would be constant here.
    return ModelSpec(label="churn", baseline_feature="recency_days", exclude_features=["all_accounts_closed"])


def risk_spec() -> ModelSpec:
    return ModelSpec(
        label="default",
        population="not_in_default",
        baseline_feature="max_dpd_12m",
        exclude_features=["all_accounts_closed"],
    )


@dataclass(frozen=True)
class ScorecardSettings:
    # points = base_score + pdo / ln 2 x ln(odds / base_odds), odds = (1 - PD) / PD (good:bad).
    base_score: float = 600.0
    base_odds: float = field(default=50.0, metadata={"min": 0.0001})
    pdo: float = field(default=20.0, metadata={"min": 0.0001})


@dataclass(frozen=True)
class ScoreSettings:
    # Snapshots to score (dates in gold.customer_features); empty = the latest `snapshot_count`.
    snapshot_dates: list[dt.date] = field(default_factory=list)
    snapshot_count: int = field(default=1, metadata={"min": 1, "max": 120})
    # Model version folder to use; null = the latest trained.
    model_version: str | None = None
    # Probability band edges: low < band_edges[0] <= medium < band_edges[1] <= high.
    band_edges: list[float] = field(default_factory=lambda: [0.2, 0.5], metadata={"min": 0.0, "max": 1.0})
    # PD cut-offs for risk grades 1-4: grade 1 below the first, grade 4 at or above the last.
    grade_cutoffs: list[float] = field(
        default_factory=lambda: [0.02, 0.05, 0.15], metadata={"min": 0.0, "max": 1.0}
    )
    scorecard: ScorecardSettings = field(default_factory=ScorecardSettings)
    # Reason codes per customer: the features with the largest positive TreeSHAP contributions.
    reason_count: int = field(default=3, metadata={"min": 1, "max": 10})

    def validate(self, path: str) -> None:
        if len(self.band_edges) != 2 or self.band_edges[0] >= self.band_edges[1]:
            raise ConfigError(
                f"'{path}.band_edges' must be [low, high] with low < high, got {self.band_edges}"
            )
        cuts = self.grade_cutoffs
        if len(cuts) != 3 or any(a >= b for a, b in zip(cuts, cuts[1:], strict=False)):
            raise ConfigError(f"'{path}.grade_cutoffs' must be 3 increasing PDs (grades 1-4), got {cuts}")


@dataclass(frozen=True)
class MonitorSettings:
    # Population stability index over this many bins (training-snapshot deciles by default).
    psi_bins: int = field(default=10, metadata={"min": 2, "max": 100})
    # PSI at or above warning -> "warning"; at or above alert -> "alert" (conventionally 0.1 and 0.25).
    psi_warning: float = field(default=0.1, metadata={"min": 0.0})
    psi_alert: float = field(default=0.25, metadata={"min": 0.0})

    def validate(self, path: str) -> None:
        if self.psi_warning >= self.psi_alert:
            raise ConfigError(f"'{path}.psi_warning' must be below '{path}.psi_alert'")


@dataclass(frozen=True)
class ModelInputSettings:
    """Bring your own data: a labelled table to train on and score (source lake = gold tables)."""

    source: Literal["lake", "delta_table", "delta_path", "parquet", "csv"] = "lake"
    location: str | None = None
    # Where `score` reads; null = location.
    score_location: str | None = None
    csv_options: dict[str, str] = field(default_factory=lambda: {"header": "true", "inferSchema": "true"})
    # Model name (artifact folder and model_name column).
    name: str = "byod"
    id_column: str = "customer_id"
    label_column: str = "label"
    # The label value meaning "event" (compared as text, so 1, "1", "yes" all work).
    positive_value: str = "1"
    # Optional date column: out-of-time split and the snapshot_date of scores; null = random split.
    snapshot_column: str | None = None
    # Feature columns; empty = every other column (string/boolean columns are categorical).
    features: list[str] = field(default_factory=list)

    def validate(self, path: str) -> None:
        if self.source != "lake" and not self.location:
            raise ConfigError(f"'{path}.location' is required when '{path}.source' is {self.source!r}")


@dataclass(frozen=True)
class MlflowSettings:
    """Optional MLflow tracking (the `mlflow` extra): params, metrics and the model of every trained version."""

    # true: log each newly trained model version to MLflow (needs pip install 'crm-mining[mlflow]').
    enabled: bool = False
    # null = a local SQLite store under the lakehouse: sqlite:///<lake root>/mlflow.db, artifacts in
    # <lake root>/mlflow-artifacts (MLflow 3 refuses its old ./mlruns file store by default).
    tracking_uri: str | None = None
    # MLflow experiment name (created when missing).
    experiment: str = "crm-mining"


@dataclass(frozen=True)
class ModelSettings:
    # Specs `train` fits and `score` scores (lake source); each is a section below.
    specs: list[Literal["churn", "risk"]] = field(default_factory=lambda: ["churn", "risk"])
    churn: ModelSpec = field(default_factory=churn_spec)
    risk: ModelSpec = field(default_factory=risk_spec)
    tuning: TuningSettings = field(default_factory=TuningSettings)
    weights: WeightSettings = field(default_factory=WeightSettings)
    score: ScoreSettings = field(default_factory=ScoreSettings)
    monitor: MonitorSettings = field(default_factory=MonitorSettings)
    input: ModelInputSettings = field(default_factory=ModelInputSettings)
    # Folder of versioned model artifacts; null = <lake root>/models.
    artifact_dir: str | None = None
    # Rows per partition of the modelling rows (train, validation and test, hash-partitioned by customer and
    # snapshot), at most spark.sql.shuffle.partitions partitions. Every GBT tree level is a Spark job; on a
    # few thousand rows its time is task scheduling, so fewer partitions fit faster: a 30-tree depth-4 fit
    # on 6,467 rows took 5.8-6.1 s in 1 partition against 8.1-9.0 s in 4; on 52k and 207k rows 2 partitions
    # were fastest of 1, 2 and 4 (scripts/results/bench_fit_layout.md).
    rows_per_partition: int = field(default=50_000, metadata={"min": 1})
    # Calibration table bins (equal width over [0, 1]).
    calibration_bins: int = field(default=10, metadata={"min": 2, "max": 100})
    # false: `train` reuses a model that exists (and says which version); true (the CLI's --retrain):
    # train a new version anyway.
    retrain: bool = False
    mlflow: MlflowSettings = field(default_factory=MlflowSettings)
