"""The stage registry: one declaration per stage, and every door comes from it.

A stage is one library function ``fn(spark, config) -> summary dict``. Its ``Stage`` entry below says
what it is called, what it reads and writes (logical tables of ``crm_mining.tables.TABLES``), which
config sections it uses, its CLI shorthands, and whether ``crm-mining pipeline`` runs it. From this
list come the CLI subcommands (``cli.py``), the ``jobs/<stage>.py`` spark-submit scripts, the
pipeline order (``pipeline.py``), the notebooks' stage list and the README's stage table.

Each ``run`` is a small function that imports its stage only when called, so ``crm-mining --help``
starts neither pyspark nor the JVM, and a reader can follow it to the code. A stage that is not built
yet has ``run=None``: the CLI says so and exits 3.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from crm_mining.landing import SOURCE_NAMES

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from crm_mining.config import Config

StageFunction = Callable[["SparkSession", "Config"], dict]


@dataclass(frozen=True)
class Shorthand:
    """A CLI flag that stands for one config key, e.g. ``--customers N`` = ``--set generate.customers=N``."""

    flag: str
    kind: type
    key: str


@dataclass(frozen=True)
class Stage:
    name: str  # the CLI subcommand and jobs/<name>.py
    help: str
    run: StageFunction | None  # None: not built yet
    reads: tuple[str, ...] = ()  # logical tables (tables.TABLES)
    writes: tuple[str, ...] = ()
    settings: tuple[str, ...] = ()  # Config sections the stage reads
    shorthands: tuple[Shorthand, ...] = ()
    in_pipeline: bool = True
    # Why ``crm-mining pipeline`` does not run it (required when in_pipeline is False).
    outside_pipeline_because: str = ""
    files: str = ""  # what the stage reads or writes outside Delta tables, if anything
    issue: str = ""  # the issue that builds it, while it is not built

    @property
    def built(self) -> bool:
        return self.run is not None

    def run_marked(self, spark: SparkSession, config: Config) -> dict:
        """Run as the doors do (CLI, jobs, notebooks, pipeline): refused when a table it reads was left
        partial by an unfinished run, and marked in ops.stage_runs (``crm_mining.completion``)."""
        from crm_mining.completion import run_marked

        return run_marked(spark, config, self)


# -- the stages' functions, imported when called --------------------------------------


def run_generate(spark: SparkSession, config: Config) -> dict:
    from crm_mining.generate import generate_lake

    return generate_lake(spark, config)


def run_ingest(spark: SparkSession, config: Config) -> dict:
    from crm_mining.ingest import ingest_lake

    return ingest_lake(spark, config)


def run_complaints(spark: SparkSession, config: Config) -> dict:
    from crm_mining.complaints import mine_complaints

    return mine_complaints(spark, config)


def run_features(spark: SparkSession, config: Config) -> dict:
    from crm_mining.features import build_features

    return build_features(spark, config)


def run_lifecycle(spark: SparkSession, config: Config) -> dict:
    from crm_mining.lifecycle import build_lifecycle

    return build_lifecycle(spark, config)


def run_fraud(spark: SparkSession, config: Config) -> dict:
    from crm_mining.fraud import detect_fraud

    return detect_fraud(spark, config)


def run_rules(spark: SparkSession, config: Config) -> dict:
    from crm_mining.rules import mine_rules

    return mine_rules(spark, config)


def run_segment(spark: SparkSession, config: Config) -> dict:
    from crm_mining.segment import segment_customers

    return segment_customers(spark, config)


def run_train(spark: SparkSession, config: Config) -> dict:
    from crm_mining.models import train_models

    return train_models(spark, config)


def run_score(spark: SparkSession, config: Config) -> dict:
    from crm_mining.models import score_customers

    return score_customers(spark, config)


def run_cube(spark: SparkSession, config: Config) -> dict:
    from crm_mining.cube import build_cube

    return build_cube(spark, config)


def run_report(spark: SparkSession, config: Config) -> dict:
    from crm_mining.report import build_report

    return build_report(spark, config)


# What train needs from the lake: closed label windows for an out-of-time split. The defaults (24 months,
# 15 snapshots, churn 3 and default 6 months) have them; a shorter lake makes train stop and say why.
NEEDS_CLOSED_LABELS = (
    "saves versioned models under <lake>/models/<spec>/; trains when none exists or with --retrain, "
    "else reuses the latest; needs closed label windows (2 x horizon + 2 monthly snapshots)"
)

SIZE = (
    Shorthand("--customers", int, "generate.customers"),
    Shorthand("--months", int, "generate.months"),
    Shorthand("--seed", int, "generate.seed"),
)

STAGES: tuple[Stage, ...] = (
    Stage(
        "generate",
        "write a synthetic bank lake (landing files + ground truth)",
        run_generate,
        settings=("generate",),
        shorthands=SIZE,
        files="writes landing/ and truth/ files; skipped when the same lake is there",
    ),
    Stage(
        "ingest",
        "landing -> bronze -> silver Delta tables, with quarantine and audit",
        run_ingest,
        writes=(
            *(f"bronze.{s}" for s in SOURCE_NAMES),
            *(f"silver.{s}" for s in SOURCE_NAMES),
            "ops.quarantine",
            "ops.ingest_audit",
            "ops.unread_files",
            "ops.skipped_files",
        ),
        settings=("ingest",),
        shorthands=(
            Shorthand("--skip-file", str, "ingest.skip_file"),
            Shorthand("--reason", str, "ingest.skip_reason"),
        ),
        files="reads landing/ files",
    ),
    Stage(
        "complaints",
        "topics (LDA) and sentiment of complaint and contact texts, English and Chinese",
        run_complaints,
        reads=("silver.interactions",),
        writes=("gold.interaction_insights", "gold.complaint_trends", "gold.complaint_topics"),
        settings=("complaints",),
        files="saves the fitted text pipeline under <lake>/models/complaints",
    ),
    Stage(
        "features",
        "customer 360 features, labels and RFM per snapshot",
        run_features,
        reads=(*(f"silver.{s}" for s in SOURCE_NAMES if s != "products"), "gold.interaction_insights"),
        writes=("gold.customer_features", "gold.labels", "gold.rfm"),
        settings=("input", "features", "labels", "rfm"),
        shorthands=(Shorthand("--snapshot-count", int, "features.snapshot_count"),),
    ),
    Stage(
        "lifecycle",
        "lifecycle stages, SCD2 history, transitions, actions and customer value",
        run_lifecycle,
        reads=("gold.customer_features", "gold.labels", "silver.transactions"),
        writes=(
            "gold.lifecycle_stage",
            "gold.lifecycle_history",
            "gold.lifecycle_transitions",
            "gold.lifecycle_actions",
            "gold.customer_value",
            "gold.value_backtest",
            "gold.lifecycle_backtest",
        ),
        settings=("input", "lifecycle", "value", "backtest"),
    ),
    Stage(
        "fraud",
        "transaction fraud alerts: baselines, rules with reasons, PrefixSpan patterns before known fraud",
        run_fraud,
        reads=("silver.transactions",),
        writes=(
            "gold.fraud_baselines",
            "gold.fraud_patterns",
            "gold.transaction_alerts",
            "gold.fraud_evaluation",
        ),
        settings=("input", "fraud"),
        files="reads truth/fraud_episodes when fraud.confirmed.source is truth and the lake has one",
    ),
    Stage(
        "rules",
        "FPGrowth cross-sell rules, coverage gaps, next-best-offers, risk rules",
        run_rules,
        reads=("gold.customer_features", "gold.labels", "gold.transaction_alerts"),
        writes=(
            "gold.frequent_itemsets",
            "gold.cross_sell_rules",
            "gold.product_coverage",
            "gold.product_depth",
            "gold.risk_rules",
            "gold.offer_exclusions",
            "gold.next_best_offers",
            "gold.offer_evaluation",
            "gold.exclusion_validation",
        ),
        settings=("rules",),
    ),
    Stage(
        "segment",
        "KMeans customer segments with k selection, named profiles and stability",
        run_segment,
        reads=("gold.customer_features", "gold.labels", "gold.lifecycle_stage", "gold.customer_value"),
        writes=(
            "gold.customer_segments",
            "gold.segment_profiles",
            "gold.segment_k_selection",
            "gold.segment_migration",
            "gold.segment_stability",
        ),
        settings=("segment",),
        shorthands=(Shorthand("--refit", bool, "segment.refit"),),
        files="saves the fitted model under <lake>/models/segment",
    ),
    Stage(
        "train",
        "train GBT churn and credit-risk models, tuned with hyperopt, with baselines and metrics",
        run_train,
        reads=("gold.customer_features", "gold.labels"),
        writes=("gold.model_metrics", "gold.model_calibration", "gold.model_gains", "gold.model_importances"),
        settings=("models", "labels"),
        shorthands=(Shorthand("--retrain", bool, "models.retrain"),),
        files=NEEDS_CLOSED_LABELS,
    ),
    Stage(
        "score",
        "score customers with the latest models: probability, band, grade, points, reasons, drift",
        run_score,
        reads=("gold.customer_features",),
        writes=("gold.churn_scores", "gold.risk_scores", "gold.model_scores", "gold.model_monitoring"),
        settings=("models",),
        files="reads the models under <lake>/models/",
    ),
    Stage(
        "cube",
        "OLAP cube for BI: month x region x segment x lifecycle stage x product",
        run_cube,
        reads=(
            "gold.customer_features",
            "gold.labels",
            "gold.customer_segments",
            "gold.lifecycle_stage",
        ),
        writes=("gold.crm_cube",),
        settings=("cube",),
    ),
    Stage(
        "report",
        "one self-contained HTML report of the gold tables (offline: inline SVG charts, no CDN)",
        run_report,
        reads=(
            "ops.ingest_audit",
            "ops.quarantine",
            "gold.product_coverage",
            "gold.product_depth",
            "gold.cross_sell_rules",
            "gold.offer_evaluation",
            "gold.offer_exclusions",
            "gold.exclusion_validation",
            "gold.risk_rules",
            "gold.segment_profiles",
            "gold.segment_k_selection",
            "gold.customer_segments",
            "gold.model_metrics",
            "gold.model_gains",
            "gold.model_calibration",
            "gold.model_importances",
            "gold.risk_scores",
            "gold.model_monitoring",
            "gold.lifecycle_stage",
            "gold.lifecycle_transitions",
            "gold.lifecycle_actions",
            "gold.customer_value",
        ),
        settings=("report",),
        files="writes report.path (default <lake>/report/crm_report.html)",
    ),
)


def stage(name: str) -> Stage:
    return next(s for s in STAGES if s.name == name)


def pipeline_stages() -> tuple[Stage, ...]:
    """The stages ``crm-mining pipeline`` runs, in order: every built stage that belongs to it."""
    return tuple(s for s in STAGES if s.built and s.in_pipeline)


def stage_table() -> str:
    """The README's table of stages (Markdown), generated from the registry."""
    order = {s.name: i for i, s in enumerate(pipeline_stages(), start=1)}
    rows = [
        "| # | stage | what it does | reads | writes | config | built |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in STAGES:
        place = str(order.get(s.name, "–"))
        what = f"{s.help} ({s.files})" if s.files else s.help
        built = "yes" if s.built else f"not yet ({s.issue})"
        rows.append(
            f"| {place} | `{s.name}` | {what} | {names(s.reads)} | {names(s.writes)} | {names(s.settings)} | {built} |"
        )
    return "\n".join(rows)


def names(items: tuple[str, ...]) -> str:
    return ", ".join(f"`{item}`" for item in items) or "–"
