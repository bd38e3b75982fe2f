"""Completion markers: which tables form a finished set, for every door, not only the pipeline.

A stage run through a door (the CLI and its spark-submit jobs, a notebook's run cell, the pipeline) writes
a ``started`` row to ``ops.stage_runs`` before its first commit and ``succeeded`` or ``failed`` when it
ends. A ``kill -9`` between a stage's table commits leaves ``started`` as its last word. Before a stage
reads a table, it checks that the last run of each stage that writes the table succeeded; otherwise it
stops with one line naming the table, the stage that left it partial and the rerun that repairs it
(every stage rebuilds its tables whole, so a rerun repairs them exactly).

A stage is never stopped by its own unfinished run (its rerun is the repair), and tables written by
library calls outside the doors carry no markers and are not judged.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass

from pyspark.sql import SparkSession
from pyspark.sql import functions as F  # noqa: N812
from pyspark.sql.types import StructType

from crm_mining import CrmMiningError, first_line
from crm_mining.config import Config
from crm_mining.stages import STAGES, Stage
from crm_mining.tables import Lake

log = logging.getLogger(__name__)

TABLE = "ops.stage_runs"
DDL = "run_id string, stage string, status string, at timestamp, error string"
NOT_NULL = ["run_id", "stage", "status", "at"]
STARTED, SUCCEEDED, FAILED = "started", "succeeded", "failed"


@dataclass(frozen=True)
class LastRun:
    """A stage's last marker row."""

    run_id: str
    status: str
    at: dt.datetime
    error: str | None


@dataclass(frozen=True)
class PartialTable:
    table: str
    writer: str
    last: LastRun

    def text(self) -> str:
        how = (
            f"failed ({self.last.error})" if self.last.status == FAILED else "never finished (it was stopped)"
        )
        return (
            f"{self.table} may be partial: the last '{self.writer}' run (run {self.last.run_id[:8]}, "
            f"{self.last.at:%Y-%m-%d %H:%M:%S}) {how}"
        )


class PartialInput(CrmMiningError):
    """A table the stage reads was left partial by a run of its writer that did not succeed."""

    def __init__(self, stage: str, partial: list[PartialTable]):
        self.partial = partial
        writers = sorted({p.writer for p in partial})
        more = f" ({len(partial) - 1} more table(s) likewise)" if len(partial) > 1 else ""
        reruns = " and ".join(f"'crm-mining {w}'" for w in writers)
        super().__init__(
            f"'{stage}' not run: {partial[0].text()}{more}; rerun {reruns} (or the pipeline with --resume) first"
        )


def writers_of(table: str, stages: tuple[Stage, ...] = STAGES) -> list[str]:
    return [s.name for s in stages if table in s.writes]


def last_runs(spark: SparkSession, lake: Lake) -> dict[str, LastRun]:
    """Each stage's last marker (one row per registered stage reaches the driver)."""
    if not lake.exists(spark, TABLE):
        return {}
    last = F.max_by(F.struct("run_id", "status", "at", "error"), "at")
    rows = lake.read(spark, TABLE).groupBy("stage").agg(last.alias("last")).collect()
    return {row["stage"]: LastRun(**row["last"].asDict()) for row in rows}


def reads_from_others(stage: Stage, stages: tuple[Stage, ...] = STAGES) -> bool:
    """Whether any table ``stage`` reads has a writer other than ``stage`` itself."""
    return any(writer != stage.name for table in stage.reads for writer in writers_of(table, stages))


def partial_inputs(
    stage: Stage, last: dict[str, LastRun], stages: tuple[Stage, ...] = STAGES
) -> list[PartialTable]:
    """The tables ``stage`` reads whose writer's last run did not succeed (its own runs excepted)."""
    return [
        PartialTable(table, writer, last[writer])
        for table in stage.reads
        for writer in writers_of(table, stages)
        if writer != stage.name and writer in last and last[writer].status != SUCCEEDED
    ]


def ensure_marker_table(spark: SparkSession, lake: Lake) -> None:
    try:
        lake.ensure_table(spark, TABLE, StructType.fromDDL(DDL), not_null=NOT_NULL)
    except Exception:
        if not lake.exists(spark, TABLE):  # else a concurrent run created it first; appends never conflict
            raise


def mark(
    spark: SparkSession, lake: Lake, run_id: str, stage: str, status: str, error: str | None = None
) -> None:
    row = (run_id, stage, status, dt.datetime.now(), error)
    lake.write(spark.createDataFrame([row], DDL), TABLE, mode="append")


def run_marked(spark: SparkSession, config: Config, stage: Stage, run_id: str | None = None) -> dict:
    """Run ``stage`` as a door does: refuse partial inputs, then mark the run started and how it ended."""
    lake, run_id = Lake(config), run_id or uuid.uuid4().hex
    # A stage that reads no other stage's tables (generate, ingest) skips the markers' aggregation.
    if reads_from_others(stage) and (partial := partial_inputs(stage, last_runs(spark, lake))):
        raise PartialInput(stage.name, partial)
    ensure_marker_table(spark, lake)
    mark(spark, lake, run_id, stage.name, STARTED)
    try:
        summary = stage.run(spark, config) or {}
    except Exception as exc:
        try:
            mark(spark, lake, run_id, stage.name, FAILED, first_line(exc))
        except Exception:  # noqa: BLE001 (the stage's own error is the news; the marker stays 'started')
            log.warning("stage %s: could not mark its failure in %s", stage.name, TABLE, exc_info=True)
        raise
    mark(spark, lake, run_id, stage.name, SUCCEEDED)
    return summary
