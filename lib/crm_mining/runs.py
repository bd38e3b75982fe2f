"""The pipeline's run audit: ``ops.pipeline_runs`` holds one row per stage of a run, then one closing row.

A stage row says when the stage ran, how it ended, the rows of the tables it read and wrote, and the
Delta version of each. The closing row (stage ``pipeline``, status ``finished``) carries the versions
of every table the run wrote: readers such as the report read those versions
(``finished_versions``), so a later run that stops half way never mixes into a finished one.
``--resume`` finds the last run that did not finish and skips the stages it already finished.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from crm_mining import CrmMiningError, __version__
from crm_mining.config import Config
from crm_mining.tables import Lake

TABLE = "ops.pipeline_runs"
DDL = (
    "run_id string, stage string, stage_number int, status string, started_at timestamp, "
    "ended_at timestamp, seconds double, error string, rows_in bigint, rows_out bigint, "
    "versions_read map<string,bigint>, versions_written map<string,bigint>, config_hash string, "
    "package_version string"
)
NOT_NULL = ["run_id", "stage", "status", "started_at", "config_hash", "package_version"]
RUN_ROW = "pipeline"  # the stage name of a run's closing row
SUCCEEDED, FAILED, FINISHED = "succeeded", "failed", "finished"
# Table -> version written so far by the pipeline run in progress (None outside a run): a stage later in
# the run, such as the report, reads these, not the last finished run's.
RUN_IN_PROGRESS: ContextVar[dict[str, int] | None] = ContextVar("run_in_progress", default=None)
# Settings that change how a run is driven, not what it computes: a resumed run keeps its config hash.
DRIVING_KEYS = ("resume", "quiet")


def config_hash(config: Config) -> str:
    """A short hash of everything that shapes the results (the lake location and run switches excluded)."""
    data = config.to_dict()
    data.pop("lake", None)
    data["pipeline"] = {k: v for k, v in data["pipeline"].items() if k not in DRIVING_KEYS}
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class StageRun:
    """What one stage did in a run; ``row()`` is its ops.pipeline_runs row."""

    stage: str
    number: int
    started_at: dt.datetime
    ended_at: dt.datetime | None = None
    status: str = FAILED
    error: str | None = None
    rows_in: int | None = None
    rows_out: int | None = None
    versions_read: dict[str, int] = field(default_factory=dict)
    versions_written: dict[str, int] = field(default_factory=dict)

    @property
    def seconds(self) -> float | None:
        if self.ended_at is None:
            return None
        return round((self.ended_at - self.started_at).total_seconds(), 1)


class RunAudit:
    """Writes a run's rows to ops.pipeline_runs as the run goes, and reads earlier runs back."""

    def __init__(self, spark: SparkSession, config: Config, run_id: str, done: dict[str, dict[str, int]]):
        self.spark, self.lake = spark, Lake(config)
        self.run_id, self.config_hash = run_id, config_hash(config)
        # stage -> versions written, for the stages this run finished before a resume
        self.done = done
        # (table, version) -> rows: a version never changes, and the next stage reads most of the
        # versions the last one wrote, so each is counted once per run.
        self.counted: dict[tuple[str, int], int] = {}

    @classmethod
    def begin(cls, spark: SparkSession, config: Config) -> RunAudit:
        """A new run, or with ``pipeline.resume`` the last run that did not finish."""
        lake = Lake(config)
        lake.ensure_table(spark, TABLE, StructType.fromDDL(DDL), not_null=NOT_NULL)
        if not config.pipeline.resume:
            return cls(spark, config, uuid.uuid4().hex, {})
        run_id, done = unfinished_run(spark, lake)
        audit = cls(spark, config, run_id, done)
        earlier_hash = stage_rows(spark, lake, run_id).select("config_hash").first()["config_hash"]
        if earlier_hash != audit.config_hash:
            raise CrmMiningError(
                f"cannot resume run {run_id}: it ran with config hash {earlier_hash}, this config is "
                f"{audit.config_hash}; run without --resume to start a new run with this config"
            )
        return audit

    def versions(self, tables: tuple[str, ...]) -> dict[str, int]:
        """The latest Delta version of each of ``tables`` that exists."""
        found = {name: self.lake.version(self.spark, name) for name in tables}
        return {name: version for name, version in found.items() if version is not None}

    def rows(self, versions: dict[str, int]) -> int | None:
        """Rows of the tables at those versions (``Lake.rows``: from each version's checksum file)."""
        if not versions:
            return None
        for key in versions.items():
            if key not in self.counted:
                self.counted[key] = self.lake.rows(self.spark, *key)
        return sum(self.counted[key] for key in versions.items())

    def record(self, run: StageRun) -> None:
        self.append([self.row(run)])

    def finish(self, started_at: dt.datetime, written: dict[str, int]) -> None:
        """The closing row: the run finished, and these are the versions of every table it wrote."""
        closing = StageRun(RUN_ROW, 0, started_at, dt.datetime.now(), FINISHED, versions_written=written)
        self.record(closing)

    def row(self, run: StageRun) -> tuple:
        """The run's ops.pipeline_runs row, in the order of DDL."""
        return (
            self.run_id,
            run.stage,
            run.number,
            run.status,
            run.started_at,
            run.ended_at,
            run.seconds,
            run.error,
            run.rows_in,
            run.rows_out,
            run.versions_read,
            run.versions_written,
            self.config_hash,
            __version__,
        )

    def append(self, rows: list[tuple]) -> None:
        frame = self.spark.createDataFrame(rows, StructType.fromDDL(DDL))
        self.lake.write(frame, TABLE, mode="append")


def stage_rows(spark: SparkSession, lake: Lake, run_id: str):
    return lake.read(spark, TABLE).where(F.col("run_id") == run_id)


def unfinished_run(spark: SparkSession, lake: Lake) -> tuple[str, dict[str, dict[str, int]]]:
    """The last run's id and the versions written by each stage it finished; it must not have finished."""
    # A handful of rows per run: small enough to collect.
    runs = (
        lake.read(spark, TABLE)
        .groupBy("run_id")
        .agg(
            F.min("started_at").alias("started_at"),
            F.max(F.when(F.col("stage") == RUN_ROW, F.col("status"))).alias("closing"),
        )
    )
    last = runs.orderBy(F.col("started_at").desc()).first()
    if last is None:
        raise CrmMiningError(f"nothing to resume: {TABLE} has no runs yet; run without --resume")
    if last["closing"] == FINISHED:
        raise CrmMiningError(
            f"nothing to resume: the last run {last['run_id']} finished; run without --resume for a new run"
        )
    # at most one row per registered stage
    finished = stage_rows(spark, lake, last["run_id"]).where(F.col("status") == SUCCEEDED).collect()
    return last["run_id"], {row["stage"]: dict(row["versions_written"] or {}) for row in finished}


def finished_versions(spark: SparkSession, config: Config) -> dict[str, int] | None:
    """Table -> Delta version written by the last finished run; None if no run has finished."""
    lake = Lake(config)
    if not lake.exists(spark, TABLE):
        return None
    closing = (
        lake.read(spark, TABLE)
        .where((F.col("stage") == RUN_ROW) & (F.col("status") == FINISHED))
        .orderBy(F.col("ended_at").desc())
        .first()
    )
    return None if closing is None else dict(closing["versions_written"])


def versions_to_read(spark: SparkSession, config: Config) -> dict[str, int] | None:
    """The versions a reader of finished results should read: those written so far by the run it is part
    of, else those of the last finished run; None (read the latest) when no run has finished."""
    in_progress = RUN_IN_PROGRESS.get()
    return dict(in_progress) if in_progress is not None else finished_versions(spark, config)
