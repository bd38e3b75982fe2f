"""The table registry (logical name -> location per environment) and Delta I/O.

Stages never hard-code a path: they ask ``Lake`` for a logical name such as
``silver.transactions``. In ``path`` mode that is ``<root>/silver/transactions``; in
``catalog`` mode (Databricks, Unity Catalog) it is ``<catalog>.<schema>.silver_transactions``.
The registry also owns each table's partition columns, so readers and writers agree.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import StructType

from crm_mining import CrmMiningError
from crm_mining.config import Config
from crm_mining.config.runtime import LakeSettings
from crm_mining.delta_checksum import checksum_rows
from crm_mining.landing import SOURCE_NAMES


@dataclass(frozen=True)
class TableSpec:
    partition_by: tuple[str, ...] = ()
    description: str = ""
    # Columns Delta keeps min/max statistics on (delta.dataSkippingStatsColumns), set when the table is
    # created; () = Delta's default, the first 32 columns. Statistics on every column of a wide
    # table cost a large share of each append, and skipping only needs the columns readers filter on.
    stats_columns: tuple[str, ...] = ()


TABLES: dict[str, TableSpec] = {
    **{
        # Bronze is read back by batch (read_bronze_batch): only batch_id needs statistics.
        f"bronze.{s}": TableSpec(
            description=f"raw {s} records with ingestion metadata", stats_columns=("batch_id",)
        )
        for s in SOURCE_NAMES
    },
    **{f"silver.{s}": TableSpec(description=f"typed, validated, deduplicated {s}") for s in SOURCE_NAMES},
    "bronze.transactions": TableSpec(
        ("ingest_date",), "raw transactions; partitioned by the drop they came in", ("batch_id",)
    ),
    # Mining jobs read transactions by date range: monthly partitions prune well without tiny files.
    # customer_id: ingest Z-orders each month by it (Delta requires its statistics); txn_date: date ranges.
    "silver.transactions": TableSpec(
        ("txn_month",), "validated transactions in base currency", ("customer_id", "txn_date")
    ),
    "silver.balances": TableSpec(("month_end",), "month-end balance per account"),
    "ops.quarantine": TableSpec(("source",), "every rejected row with its reason code, file and batch"),
    "ops.ingest_audit": TableSpec((), "rows read/written/quarantined/duplicates per source and batch"),
    "ops.unread_files": TableSpec((), "landing files ingest did not read, per run, with the reason"),
    "ops.skipped_files": TableSpec((), "landing files taken out of ingest by --skip-file, with the reason"),
    "gold.interaction_insights": TableSpec(
        (), "per interaction: LDA topic and weight, sentiment score and label, masked text"
    ),
    "gold.complaint_trends": TableSpec(
        (), "month x topic: interactions, complaints, negative, mean sentiment"
    ),
    "gold.complaint_topics": TableSpec((), "per LDA topic: top terms and weights, texts assigned, sentiment"),
    "gold.customer_features": TableSpec(("snapshot_date",), "customer 360 features per snapshot"),
    "gold.labels": TableSpec(("snapshot_date",), "churn and default labels per customer and snapshot"),
    "gold.rfm": TableSpec(("snapshot_date",), "RFM scores and named segments per snapshot"),
    "gold.lifecycle_stage": TableSpec(("snapshot_date",), "lifecycle stage per customer and snapshot"),
    "gold.lifecycle_history": TableSpec((), "SCD2 history of lifecycle stages"),
    "gold.lifecycle_transitions": TableSpec((), "stage-to-stage counts and rates"),
    "gold.lifecycle_actions": TableSpec((), "recommended CRM action per stage"),
    "gold.customer_value": TableSpec(("snapshot_date",), "expected customer value over a horizon"),
    "gold.value_backtest": TableSpec((), "value methods' errors on the months after a past cut-off"),
    "gold.lifecycle_backtest": TableSpec((), "per stage at a past cut-off: activity, spend and churn next"),
    "gold.fraud_baselines": TableSpec(
        (), "per customer: median and MAD of amounts, usual channels, categories, hours"
    ),
    "gold.fraud_patterns": TableSpec(
        (), "PrefixSpan event sequences before known fraud: support, confidence, lift"
    ),
    "gold.transaction_alerts": TableSpec(
        (), "fraud alerts within the budget: score, reasons, pattern matched"
    ),
    "gold.fraud_evaluation": TableSpec(
        (), "alerts vs known fraud per kind: precision, recall; amount baseline"
    ),
    "gold.frequent_itemsets": TableSpec(("snapshot_date",), "FPGrowth frequent itemsets per basket source"),
    "gold.cross_sell_rules": TableSpec(
        ("snapshot_date",), "association rules with support, confidence, lift, leverage, conviction, counts"
    ),
    "gold.product_coverage": TableSpec((), "target-product coverage and gap among each product's holders"),
    "gold.product_depth": TableSpec((), "customers, activity, churn and default by products held (1-4+)"),
    "gold.risk_rules": TableSpec(("snapshot_date",), "attribute bands -> risk level rules, exclusion flag"),
    "gold.offer_exclusions": TableSpec(("snapshot_date",), "customers and products kept out of offers, why"),
    "gold.next_best_offers": TableSpec(("snapshot_date",), "top-k products not held per customer, with rule"),
    "gold.offer_evaluation": TableSpec((), "offers vs products opened later: rules, popularity, random"),
    "gold.exclusion_validation": TableSpec((), "future default rate of excluded vs kept customers"),
    "gold.customer_segments": TableSpec(
        ("snapshot_date",), "KMeans segment id, name and distance to the centroid per customer and snapshot"
    ),
    "gold.segment_profiles": TableSpec(
        ("snapshot_date",),
        "per segment: size, feature means/medians, top products, lifecycle mix, rates, value",
    ),
    "gold.segment_k_selection": TableSpec(
        (), "silhouette, cost and smallest share per k of each segment model fit"
    ),
    "gold.segment_migration": TableSpec(
        (), "customers moving between segments from one snapshot to the next"
    ),
    "gold.segment_stability": TableSpec((), "adjusted Rand index between the segment model and a refit"),
    "gold.model_metrics": TableSpec(
        (), "test-split AUC-ROC, AUC-PR, KS, Gini, Brier per model version and baseline"
    ),
    "gold.model_calibration": TableSpec((), "predicted vs observed event rate in 10 probability bins"),
    "gold.model_gains": TableSpec((), "score deciles: events, capture rate, gains, lift"),
    "gold.model_importances": TableSpec((), "GBT feature importances per model version"),
    "gold.churn_scores": TableSpec(("snapshot_date",), "churn probability, decile, band and reasons"),
    "gold.risk_scores": TableSpec(("snapshot_date",), "PD, risk grade, scorecard points, band and reasons"),
    "gold.model_scores": TableSpec(
        ("snapshot_date",), "every model's scores in one long table (churn, risk, bring-your-own-data)"
    ),
    "gold.model_monitoring": TableSpec((), "PSI of score and features: reference vs each scored snapshot"),
    "ops.pipeline_runs": TableSpec(
        (), "one row per stage of each pipeline run: status, rows, Delta versions read and written"
    ),
    "ops.stage_runs": TableSpec(
        (), "completion markers: each stage run's start and how it ended, whichever door ran it"
    ),
    "gold.crm_cube": TableSpec(
        (), "OLAP cube: month x region x segment x stage x product, customers, balances, spend, rates"
    ),
}


class UnknownTable(CrmMiningError):
    pass


def spec(name: str) -> TableSpec:
    try:
        return TABLES[name]
    except KeyError:
        raise UnknownTable(f"unknown table '{name}'; known tables: {', '.join(sorted(TABLES))}") from None


def creation_properties(name: str) -> dict[str, str]:
    """The Delta table properties ``name`` is created with (see ``TableSpec.stats_columns``)."""
    columns = spec(name).stats_columns
    return {"delta.dataSkippingStatsColumns": ",".join(columns)} if columns else {}


URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# Where Delta keeps a CHECK constraint: a table property per constraint, its name lower-cased.
CONSTRAINT_PROPERTY = "delta.constraints."


def absolute(path: str | None) -> str | None:
    """A local relative path made absolute (Delta's table builder rejects './x'); URIs are left alone."""
    if path is None or URI_SCHEME.match(path) or os.path.isabs(path):
        return path
    return os.path.abspath(path)


def absolute_paths(settings: LakeSettings) -> LakeSettings:
    """The lake settings with every local folder absolute, so locations are stable and Delta accepts them."""
    return dataclasses.replace(
        settings,
        root=absolute(settings.root),
        landing=absolute(settings.landing),
        truth=absolute(settings.truth),
        checkpoints=absolute(settings.checkpoints),
    )


class Lake:
    """Locations and Delta I/O for one environment's tables."""

    def __init__(self, config: Config):
        self.settings = absolute_paths(config.lake)

    # -- locations -------------------------------------------------------------------
    def location(self, name: str) -> str:
        """Filesystem path (path mode) or catalog.schema.table name (catalog mode)."""
        spec(name)
        layer, table = name.split(".", 1)
        if self.settings.mode == "catalog":
            return f"{self.settings.catalog}.{self.settings.schema}.{layer}_{table}"
        return f"{self.settings.root.rstrip('/')}/{layer}/{table}"

    def sql_name(self, name: str) -> str:
        """Identifier usable in SQL: delta.`/path` or catalog.schema.table."""
        location = self.location(name)
        return location if self.settings.mode == "catalog" else f"delta.`{location}`"

    def landing(self, source: str = "") -> str:
        return f"{self.settings.landing_dir().rstrip('/')}/{source}".rstrip("/")

    def truth(self, name: str = "") -> str:
        return f"{self.settings.truth_dir().rstrip('/')}/{name}".rstrip("/")

    def checkpoint(self, name: str) -> str:
        return f"{self.settings.checkpoint_dir().rstrip('/')}/{name}"

    # -- Delta I/O -------------------------------------------------------------------
    def exists(self, spark: SparkSession, name: str) -> bool:
        location = self.location(name)
        if self.settings.mode == "catalog":
            return spark.catalog.tableExists(location)
        return DeltaTable.isDeltaTable(spark, location)

    def read(self, spark: SparkSession, name: str, version: int | None = None) -> DataFrame:
        """Read a table; ``version`` reads it as of that Delta version (time travel)."""
        if not self.exists(spark, name):
            raise CrmMiningError(
                f"table '{name}' does not exist at {self.location(name)}; run the job that writes it first"
            )
        reader = spark.read.format("delta")
        if version is not None:
            reader = reader.option("versionAsOf", version)
        location = self.location(name)
        return reader.table(location) if self.settings.mode == "catalog" else reader.load(location)

    def version(self, spark: SparkSession, name: str) -> int | None:
        """The table's latest Delta version, or None if it does not exist."""
        if not self.exists(spark, name):
            return None
        return self.delta(spark, name).history(1).select("version").first()["version"]

    def rows(self, spark: SparkSession, name: str, version: int) -> int:
        """Rows of the table at ``version``: from the version's checksum file where it lists every file's
        statistics (path mode; no Spark job), else Delta's count (answered from the log's statistics)."""
        if self.settings.mode != "catalog":
            listed = checksum_rows(spark, self.location(name), version)
            if listed is not None:
                return listed
        return self.read(spark, name, version=version).count()

    def delta(self, spark: SparkSession, name: str) -> DeltaTable:
        location = self.location(name)
        if self.settings.mode == "catalog":
            return DeltaTable.forName(spark, location)
        return DeltaTable.forPath(spark, location)

    def write(
        self,
        df: DataFrame,
        name: str,
        mode: str = "overwrite",
        replace_where: str | None = None,
        merge_schema: bool = False,
        options: dict[str, str] | None = None,
    ) -> None:
        """Write ``df`` as Delta with the registry's partitioning.

        ``replace_where`` overwrites only the matching rows (e.g. one snapshot), so reruns are idempotent.
        ``options``: further Delta writer options (e.g. txnAppId/txnVersion for idempotent foreachBatch writes).
        """
        writer = df.write.format("delta").mode(mode)
        partition_by = spec(name).partition_by
        if partition_by:
            writer = writer.partitionBy(*partition_by)
        for key, value in creation_properties(
            name
        ).items():  # Delta applies them only when it creates the table
            writer = writer.option(key, value)
        if replace_where:
            writer = writer.option("replaceWhere", replace_where)
        if merge_schema:
            writer = writer.option("mergeSchema", "true")
        for key, value in (options or {}).items():
            writer = writer.option(key, value)
        location = self.location(name)
        if self.settings.mode == "catalog":
            writer.saveAsTable(location)
        else:
            writer.save(location)

    def merge(
        self, spark: SparkSession, df: DataFrame, name: str, keys: list[str], update: bool = True
    ) -> None:
        """Upsert ``df`` on ``keys``: new keys are inserted; existing ones updated (or left if not ``update``).

        Creates the table on first use. Rows of ``df`` must be unique on ``keys``.
        """
        if not self.exists(spark, name):
            self.write(df, name, mode="overwrite")
            return
        condition = " AND ".join(f"t.`{k}` <=> s.`{k}`" for k in keys)
        merger = self.delta(spark, name).alias("t").merge(df.alias("s"), condition)
        if update:
            merger = merger.whenMatchedUpdateAll()
        merger.whenNotMatchedInsertAll().execute()

    def ensure_table(
        self,
        spark: SparkSession,
        name: str,
        schema: StructType,
        not_null: list[str] | None = None,
        checks: dict[str, str] | None = None,
    ) -> None:
        """Create the table if missing, with NOT NULL columns, the registry's partitioning and CHECKs.

        Idempotent: an existing table only gets the CHECK constraints it lacks.
        Delta cannot make an existing column NOT NULL, so NOT NULL is declared here, at creation.
        A new table gets its CHECKs in its creating commit, as the ``delta.constraints.<name>`` properties
        that ``ALTER TABLE ADD CONSTRAINT`` would write: each ALTER is a commit plus a scan of the
        (empty) table, about 2 s apiece, most of a first ingest's table set-up.
        """
        required = set(not_null or [])
        checks = {constraint.lower(): expression for constraint, expression in (checks or {}).items()}
        if not self.exists(spark, name):
            builder = DeltaTable.createIfNotExists(spark)
            location = self.location(name)
            builder = (
                builder.tableName(location) if self.settings.mode == "catalog" else builder.location(location)
            )
            for column in schema.fields:
                builder = builder.addColumn(
                    column.name, column.dataType, nullable=column.name not in required
                )
            partition_by = spec(name).partition_by
            if partition_by:
                builder = builder.partitionedBy(*partition_by)
            for constraint, expression in checks.items():
                builder = builder.property(f"{CONSTRAINT_PROPERTY}{constraint}", expression)
            for key, value in creation_properties(name).items():
                builder = builder.property(key, value)
            builder.execute()
            return
        existing = self.constraints(spark, name) if checks else set()
        for constraint, expression in checks.items():
            if constraint not in existing:
                spark.sql(
                    f"ALTER TABLE {self.sql_name(name)} ADD CONSTRAINT {constraint} CHECK ({expression})"
                )

    def constraints(self, spark: SparkSession, name: str) -> set[str]:
        properties = spark.sql(f"SHOW TBLPROPERTIES {self.sql_name(name)}").where(
            f"key LIKE '{CONSTRAINT_PROPERTY}%'"
        )
        return {row["key"].removeprefix(CONSTRAINT_PROPERTY) for row in properties.collect()}

    def optimize(self, spark: SparkSession, name: str, zorder_by: list[str] | None = None) -> None:
        """Compact small files; Z-order by the columns mining jobs filter on."""
        optimizer = self.delta(spark, name).optimize()
        if zorder_by:
            optimizer.executeZOrderBy(*zorder_by)
        else:
            optimizer.executeCompaction()
