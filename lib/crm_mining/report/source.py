"""Where the report reads from: the gold tables at the versions of the last finished run.

Only small, bounded results reach the driver: aggregated gold tables (rules, profiles, metrics, one row
per product, segment, stage, decile or bin) and aggregates computed in Spark from the row-level tables
(scores, segments, stages, value). Each ``collect`` below says what bounds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)

from crm_mining.config import Config
from crm_mining.runs import versions_to_read
from crm_mining.tables import Lake


def report_table_versions(spark: SparkSession, config: Config) -> dict[str, int] | None:
    """The Delta version of every table to read: those written so far when the report runs inside a
    pipeline run, else those of the last finished run (ops.pipeline_runs); None = read the latest."""
    return versions_to_read(spark, config)


@dataclass
class Source:
    """The lake the report reads, with the versions to read and what was missing (for the summary)."""

    spark: SparkSession
    lake: Lake
    versions: dict[str, int] | None = None
    missing: set[str] = field(default_factory=set)
    read_versions: dict[str, int | None] = field(default_factory=dict)

    def table(self, name: str) -> DataFrame | None:
        """The table at the run's version (or the latest), or None when no stage has written it yet."""
        if not self.lake.exists(self.spark, name):
            self.missing.add(name)
            return None
        version = (self.versions or {}).get(name)
        self.read_versions[name] = version
        return self.lake.read(self.spark, name, version=version)

    def tables(self, *names: str) -> list[DataFrame] | None:
        """Every one of ``names``, or None if any is missing (each missing one is recorded)."""
        frames = [self.table(name) for name in names]
        return None if any(f is None for f in frames) else frames


def latest(df: DataFrame, column: str = "snapshot_date") -> DataFrame:
    """The rows of the latest ``column`` value."""
    return df.where(F.col(column) == df.agg(F.max(column)).first()[0])


def rows(df: DataFrame) -> list:
    """``collect`` for frames the caller has bounded (an aggregate or a small gold table)."""
    return df.collect()
