"""One micro-batch of one landing stream: bronze append, validation, silver append, quarantine, audit.

Called from Structured Streaming's ``foreachBatch``. Every Delta write carries the stream's
``txnAppId`` and the micro-batch id as ``txnVersion``, so a batch retried after a crash is not written
twice, and a run-independent ``userMetadata`` tag, so the retry finds the commits its crashed attempt made:
it counts them from those commits, checks duplicates against silver as it was before its own write, and
decides every row as its first attempt did: with that attempt's clock and its parents as of its bronze
commit (``first_attempt``). A retry therefore gives the same silver, quarantine and audit as an
uninterrupted run. Spark actions per batch: bronze write (the batch's files come from its stream's plan;
CSV header lines are read on the driver), the duplicate rules over a few columns of the cached checked
batch, one counting aggregation, silver write and quarantine write (each skipped when it has no rows),
audit write, plus small Delta-log reads for the silver and quarantine commit metrics. Each step's
seconds are in the batch's counts and the run summary (``step_seconds``).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import unquote

from pyspark import StorageLevel
from pyspark.sql import DataFrame, Row, SparkSession
from pyspark.sql import functions as F  # noqa: N812

from crm_mining import CrmMiningError
from crm_mining.config import Config
from crm_mining.hadoop_fs import HadoopFs
from crm_mining.ingest import audit, bronze, drift, quarantine, silver, validate
from crm_mining.landing import Source, Stream
from crm_mining.logs import timed
from crm_mining.tables import Lake
from crm_mining.tokens import customer_token, token_key

log = logging.getLogger(__name__)


@dataclass
class BatchJob:
    """What a stream's foreachBatch needs; ``results`` collects each batch's counts for the run summary."""

    spark: SparkSession
    config: Config
    source: Source
    stream: Stream
    run_id: str
    results: list[audit.BatchCounts]

    @property
    def lake(self) -> Lake:
        return Lake(self.config)

    @cached_property
    def landing(self) -> HadoopFs:
        """The landing zone's file system for the per-file checks, built once per stream."""
        return bronze.landing_fs(self.spark, self.lake)

    def __call__(self, batch: DataFrame, batch_num: int) -> None:
        self.results.append(process_batch(self, batch, batch_num))


def utc_now() -> dt.datetime:
    # Naive UTC: the session time zone is UTC, so Spark stores it unshifted.
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def rules_for(config: Config, started_at: dt.datetime) -> validate.Rules:
    settings = config.ingest
    return validate.Rules(
        fx_rates={k.upper(): v for k, v in settings.fx_rates.items()},
        max_amount=settings.max_amount,
        future_cutoff=started_at + dt.timedelta(days=settings.max_future_days),
        min_date=settings.min_date,
        near_duplicate_seconds=settings.near_duplicate_seconds,
    )


# Commits searched, newest first, for a batch's own earlier commit. A retried batch comes right after
# its crash, so its commits are among the last few of each table.
OWN_COMMIT_SEARCH_DEPTH = 100


def commit_version(spark: SparkSession, lake: Lake, name: str) -> int:
    return lake.delta(spark, name).history(1).first()["version"] if lake.exists(spark, name) else -1


def batch_tag(job: BatchJob, batch_num: int) -> str:
    """The userMetadata of every commit of one micro-batch. The same in every run (no run id): a batch
    retried after a crash runs in a new run with the same checkpoint, and must recognise its own commits."""
    return f"crm_mining.ingest:{job.stream.name}:{batch_num}"


def own_commit(job: BatchJob, name: str, batch_num: int) -> Row | None:
    """This micro-batch's commit to ``name`` (version, timestamp, operationMetrics), by any attempt; None if
    none."""
    if not job.lake.exists(job.spark, name):
        return None
    history = job.lake.delta(job.spark, name).history(OWN_COMMIT_SEARCH_DEPTH)
    return (
        history.where(F.col("userMetadata") == batch_tag(job, batch_num))
        .select("version", "timestamp", "operationMetrics")
        .first()
    )


@dataclass(frozen=True)
class Attempt:
    """What a micro-batch's outcomes are decided as of: the rules' clock and the parents' state."""

    started_at: dt.datetime
    parents_as_of: dt.datetime | None  # None: the parents as they are now (a first attempt)


def first_attempt(job: BatchJob, batch_num: int, batch_id: str) -> Attempt:
    """A retry after a crash decides as its crashed attempt did: with that attempt's clock (the
    ``ingested_at`` it stamped on bronze) and its parents as of its bronze commit. So a parent that has
    grown since (an ORPHAN's account arrived) or a clock past a FUTURE_DATE row's date cannot change the
    outcomes the earlier commits already hold (the batch would never balance again)."""
    bronze_commit = own_commit(job, f"bronze.{job.source.name}", batch_num)
    if bronze_commit is None:
        return Attempt(utc_now(), None)
    rows = bronze.read_bronze_batch(job.spark, job.lake, job.source, batch_id)
    stamped = rows.agg(F.max("ingested_at")).first()[0]
    return Attempt(stamped or bronze_commit["timestamp"].replace(microsecond=0), bronze_commit["timestamp"])


def as_it_was(job: BatchJob, name: str, when: dt.datetime) -> DataFrame:
    """``name`` as of its last commit at or before ``when`` (a retried batch's parents)."""
    history = job.lake.delta(job.spark, name).history()
    version = history.where(F.col("timestamp") <= F.lit(when)).agg(F.max("version")).first()[0]
    return job.lake.read(job.spark, name, version=version) if version is not None else pinned(job, name)


def append_once(job: BatchJob, df: DataFrame, name: str, batch_num: int, merge_schema: bool = False) -> None:
    """Append ``df`` to ``name`` unless an earlier attempt of this micro-batch did: Delta skips the append
    when the table already has this stream's txnAppId at this txnVersion. Every ingest commit goes
    through here (the crash tests kill the process right after it)."""
    options = {
        "txnAppId": f"crm_mining.ingest.{job.stream.name}",
        "txnVersion": str(batch_num),
        "userMetadata": batch_tag(job, batch_num),
    }
    job.lake.write(df, name, mode="append", merge_schema=merge_schema, options=options)


def write_counted(
    job: BatchJob, df: DataFrame, name: str, batch_num: int, merge_schema: bool = False
) -> int | None:
    """Append idempotently (``append_once``); return the rows this micro-batch committed to ``name``.

    The count comes from the commit's own metrics, found by its userMetadata, also when the commit was
    made by a crashed earlier attempt. None only when Delta skipped the write and the commit is no
    longer among the last ``OWN_COMMIT_SEARCH_DEPTH``.
    """
    append_once(job, df, name, batch_num, merge_schema)
    commit = own_commit(job, name, batch_num)
    if commit is None:
        return None
    return int((commit["operationMetrics"] or {}).get("numOutputRows", 0))


def pinned(job: BatchJob, name: str, batch_num: int | None = None) -> DataFrame:
    """``name`` as of now, or as of just before this batch's own earlier commit (a retried batch).

    So a recomputed cached batch never sees this batch's own writes, and a batch retried after a crash
    does not take the rows it already wrote to silver for duplicates of themselves.
    """
    own = own_commit(job, name, batch_num) if batch_num is not None else None
    version = own["version"] - 1 if own is not None else commit_version(job.spark, job.lake, name)
    return job.lake.read(job.spark, name, version=version)


def records(job: BatchJob, bronze_batch: DataFrame, files: list[str]) -> DataFrame:
    """The batch's bronze rows as the contract's string columns (``drift``), ``customer_id`` tokenised
    when ``ingest.customer_key`` is ``token`` (before validation: duplicate and orphan checks compare
    tokens with the tokens in silver). ``files``: the batch's planned landing files."""
    allow = job.config.ingest.allow_schema_merge
    if job.stream.fmt == "csv":
        recs = drift.records_from_csv(bronze_batch, job.source, allow, job.landing, files)
    elif job.stream.fmt == "json":
        recs = drift.records_from_json(bronze_batch, job.source, allow)
    else:
        recs = drift.records_from_parquet(bronze_batch, job.source, allow)
    if job.config.ingest.customer_key == "token" and "customer_id" in recs.columns:
        key = token_key(job.config.ingest.token_key_env)
        recs = recs.withColumn("customer_id", customer_token(F.col("customer_id"), key))
    return recs


def with_parent(job: BatchJob, df: DataFrame, as_of: dt.datetime | None) -> DataFrame:
    """Left-join the parent silver row (``Source.parent``), as it is now or as it was at ``as_of`` (a
    retried batch): ``_has_parent`` and ``parent_<column>``s."""
    if job.source.parent is None:
        return df
    table, column = job.source.parent
    extra = silver.SILVER[job.source.name].parent_columns
    parent = (pinned(job, table) if as_of is None else as_it_was(job, table, as_of)).select(
        F.col(column).alias("_parent_key"),
        *[F.col(c).alias(f"parent_{c}") for c in extra],
        F.lit(True).alias("_has_parent"),
    )
    joined = df.withColumn("_child_key", F.trim(F.col(column)))
    joined = joined.join(parent, F.col("_child_key") == F.col("_parent_key"), "left")
    return joined.drop("_child_key", "_parent_key").withColumn(
        "_has_parent", F.coalesce("_has_parent", F.lit(False))
    )


def checked_records(
    job: BatchJob, recs: DataFrame, rules: validate.Rules, parents_as_of: dt.datetime | None
) -> DataFrame:
    """Typed records with their parent columns and the row-level ``reason``/``detail`` (null = valid so far)."""
    source = job.source
    currency = "parent_currency" if "currency" in silver.SILVER[source.name].parent_columns else None
    return validate.with_row_checks(with_parent(job, recs, parents_as_of), source, rules, currency=currency)


def classify(job: BatchJob, checked: DataFrame, flags: DataFrame) -> DataFrame:
    """Checked records with the duplicate flags applied and ORPHAN marked (``reason`` null = goes to silver)."""
    return validate.with_orphans(validate.with_flags(checked, flags), job.source)


def count_batch(classified: DataFrame) -> tuple[dict[str | None, int], int]:
    """One aggregation: rows per reason (None = valid) and rows let through by schema merge."""
    rows = (
        classified.groupBy("reason")
        .agg(F.count(F.lit(1)).alias("n"), F.count("drift_merged").alias("merged"))
        .collect()
    )
    return {row.reason: int(row.n) for row in rows}, sum(int(row.merged) for row in rows)


def encoding_of(config: Config, source: Source) -> str:
    """The configured text encoding of ``source``'s files (``ingest.encodings``), UTF-8 by default."""
    return config.ingest.encodings.get(source.name, "UTF-8")


def local_path(path: str) -> str:
    """``file:///x%20y``, ``file:/x y`` and ``/x y`` are the same local file."""
    return re.sub(r"^file:/+", "/", unquote(path))


def check_planned_files(
    job: BatchJob, batch_num: int, batch_id: str, retry: bool
) -> tuple[list[str], list[str]]:
    """Stop when a file the stream planned for this batch is gone from landing before bronze took its
    lines: Spark reads a missing planned file as empty, so its rows would vanish without a word. Once
    bronze has them (a retried batch), the landing file is no longer needed. The file being skipped
    (``ingest.skip_file``) is gone on purpose and on the record. Returns the planned files and those of
    them still in landing (as ``_metadata.file_path`` spells them) minus the one being skipped."""
    planned = bronze.planned_files(job.spark, job.lake, job.stream, batch_num)
    skipped = local_path(job.config.ingest.skip_file or "")
    kept = [f for f in planned if local_path(f) != skipped]
    gone = [f for f in kept if not job.landing.uri_exists(f)]
    if gone and not retry:
        raise CrmMiningError(
            f"{len(gone)} file(s) of batch {batch_id} are gone from landing, e.g. {local_path(gone[0])}: "
            f"re-deliver it under the same name, or take it out on the record with "
            f"'crm-mining ingest --skip-file {local_path(gone[0])} --reason TEXT'"
        )
    return planned, [drift.as_source_file(f) for f in kept if f not in gone]


def process_batch(job: BatchJob, batch: DataFrame, batch_num: int) -> audit.BatchCounts:
    spark, lake, source = job.spark, job.lake, job.source
    batch_id = f"{job.stream.name}-{batch_num:06d}"
    attempt = first_attempt(job, batch_num, batch_id)
    started_at = attempt.started_at
    rules = rules_for(job.config, started_at)
    timings: dict[str, float] = {}

    def step(name: str):
        return timed(spark, timings, name, f"ingest {batch_id}")

    with step("bronze"):
        files, present = check_planned_files(
            job, batch_num, batch_id, retry=attempt.parents_as_of is not None
        )
        landed = bronze.with_ingest_metadata(
            bronze.bronze_input(spark, batch, job.stream, encoding_of(job.config, source), present),
            batch_id,
            started_at,
        )
        append_once(job, landed, f"bronze.{source.name}", batch_num, merge_schema=True)
    with step("layout"):
        recs = records(job, bronze.read_bronze_batch(spark, lake, source, batch_id), files)
    # Cached once: the duplicate rules, the counts and both writes read it.
    checked = checked_records(job, recs, rules, attempt.parents_as_of).persist(StorageLevel.MEMORY_AND_DISK)
    flags = None
    try:
        with step("check"):
            # Counted before the flag join, so a join that lost or repeated rows breaks the balance check.
            rows_read = checked.count()
        with step("duplicates"):
            existing = pinned(job, f"silver.{source.name}", batch_num)
            flags = validate.duplicate_flags(checked, source, existing, rules).persist()
            flags.count()
        classified = classify(job, checked, flags)
        with step("classify"):
            by_reason, merged = count_batch(classified)
            valid = by_reason.pop(None, 0)
            drifts = drift.drift_messages(classified) if merged or by_reason.get("SCHEMA_DRIFT") else []
        for message in drifts:
            log.warning(
                "%s: schema drift %s: %s",
                source.name,
                "merged" if job.config.ingest.allow_schema_merge else "rejected",
                message,
            )
        # A write with no rows is skipped: its commit would carry nothing, and every attempt of this
        # batch counts the same empty set, so a retry skips it too.
        with step("silver"):
            written = (
                write_counted(
                    job,
                    silver.conformed(classified.where(F.col("reason").isNull()), source.name, rules),
                    f"silver.{source.name}",
                    batch_num,
                )
                if valid
                else 0
            )
        with step("quarantine"):
            rejected = (
                write_counted(
                    job,
                    quarantine.quarantine_rows(classified, source, started_at),
                    "ops.quarantine",
                    batch_num,
                )
                if by_reason
                else 0
            )
    finally:
        checked.unpersist()
        if flags is not None:
            flags.unpersist()
    if written is None or rejected is None:  # Delta kept a commit too old to find: count this attempt
        log.warning(
            "%s: batch %s was committed before, more than %d commits ago; counting it from this attempt",
            source.name,
            batch_id,
            OWN_COMMIT_SEARCH_DEPTH,
        )
    counts = audit.BatchCounts(
        source.name,
        batch_id,
        rows_read,
        valid if written is None else written,
        by_reason,
        drifts,
        timings,
    )
    audit.check_balance(counts, sum(by_reason.values()) if rejected is None else rejected)
    with step("audit"):
        write_audit(job, counts, started_at, batch_num)
    log.info(
        "%s %s: read %d, written %d, quarantined %d, duplicates %d; seconds %s",
        source.name,
        batch_id,
        counts.rows_read,
        counts.rows_written,
        counts.rows_quarantined,
        counts.duplicates,
        timings,
    )
    return counts


def write_audit(
    job: BatchJob, counts: audit.BatchCounts, started_at: dt.datetime, batch_num: int | None
) -> None:
    row = audit.audit_row(job.run_id, counts, started_at, utc_now())
    df = job.spark.createDataFrame([row], audit.DDL)
    if batch_num is None:
        job.lake.write(df, "ops.ingest_audit", mode="append")
    else:  # one known row: no commit metrics to read back
        append_once(job, df, "ops.ingest_audit", batch_num)
