"""`crm-mining ingest`: every landing source through Structured Streaming with trigger(availableNow=True).

The streaming file source's checkpoint (under ``lake.checkpoint("ingest/<stream>")``) remembers which
landing files were processed: a rerun over the same files finds nothing new, a new daily drop is
picked up alone. Sources run in dependency order (products, customers, accounts, then the facts that
reference accounts and customers), so orphan checks see the parents of the same run.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from pyspark.errors import StreamingQueryException
from pyspark.sql import SparkSession
from pyspark.sql import functions as F  # noqa: N812
from pyspark.sql.types import StructType

from crm_mining import CrmMiningError, first_line
from crm_mining.config import Config
from crm_mining.ingest import audit, bronze, quarantine, silver, skip
from crm_mining.ingest.batch import BatchJob, utc_now, write_audit
from crm_mining.ingest.skip import missing_files_ignored, skip_file, skipped_stream
from crm_mining.ingest.unread import report_unread_files
from crm_mining.landing import SOURCES, Source, Stream
from crm_mining.tables import Lake
from crm_mining.tokens import token_key

log = logging.getLogger(__name__)


def ensure_tables(spark: SparkSession, lake: Lake) -> None:
    """Create silver, quarantine, audit and skipped-file tables with their NOT NULL and CHECK constraints (idempotent)."""
    tables = [
        (f"silver.{s.name}", silver.schema(s.name), silver.not_null(s.name), silver.SILVER[s.name].checks)
        for s in SOURCES
    ]
    tables += [
        ("ops.quarantine", quarantine.schema(), quarantine.NOT_NULL, {}),
        ("ops.ingest_audit", audit.schema(), audit.NOT_NULL, {}),
        (skip.TABLE, StructType.fromDDL(skip.DDL), skip.NOT_NULL, {}),
    ]
    for name, schema, not_null, checks in tables:
        if not lake.exists(
            spark, name
        ):  # existing tables keep their constraints; skipping saves a job per table
            lake.ensure_table(spark, name, schema, not_null, checks)


def run_stream(job: BatchJob) -> None:
    """Process every new file of ``job.stream`` in micro-batches, then stop (availableNow)."""
    failures: list[BaseException] = []

    def on_batch(batch, batch_num: int) -> None:
        try:
            job(batch, batch_num)
        except BaseException as exc:  # re-raised below with its own message, not the streaming wrapper's
            failures.append(exc)
            raise

    max_files = job.config.ingest.max_files_per_batch
    frame = bronze.read_landing_stream(job.spark, job.lake, job.source, job.stream, max_files)
    skipping = skipped_stream(job.lake, job.config.ingest.skip_file) == job.stream.name
    try:
        with missing_files_ignored(job.spark, skipping):
            query = (
                frame.writeStream.foreachBatch(on_batch)
                .option("checkpointLocation", job.lake.checkpoint(f"ingest/{job.stream.name}"))
                .trigger(availableNow=True)
                .queryName(f"ingest_{job.stream.name}")
                .start()
            )
            query.awaitTermination()
    except StreamingQueryException as exc:
        if failures and isinstance(failures[0], CrmMiningError):
            raise failures[0] from None
        if race := lost_race(exc):
            raise ConcurrentRun(f"ingest of '{job.stream.name}'", race) from None
        why = root_cause(exc) or first_line(exc)
        if file := failed_file(exc):
            raise CrmMiningError(f"ingest of '{job.stream.name}' failed reading {file}: {why}") from None
        # Not a file Spark could not read: a write or a check failed; the folder says which stream's files.
        folder = bronze.landing_folder(job.lake, job.stream)
        raise CrmMiningError(f"ingest of '{job.stream.name}' (files under {folder}) failed: {why}") from None


# Spark names the file it could not read deep inside the cause chain ("[FAILED_READ_FILE...] Encountered
# error while reading file file:/...parquet."); the person running ingest needs it in the one line.
FAILED_FILE = re.compile(r"while reading file (\S+?)\.?(?:\s|$)")


def failed_file(exc: BaseException) -> str | None:
    match = FAILED_FILE.search(str(exc))
    return match.group(1) if match else None


# The first Java cause that is not the Python bridge's own wrapper, e.g. "Caused by:
# java.lang.RuntimeException: file:/.../x.parquet is not a Parquet file. Expected magic number ...".
ROOT_CAUSE = re.compile(r"^Caused by: (?!py4j\.)[\w.$]+: (.+)$", re.MULTILINE)


def root_cause(exc: BaseException) -> str | None:
    match = ROOT_CAUSE.search(str(exc))
    return match.group(1).strip() if match else None


# How Delta's optimistic concurrency and Spark's checkpoint log name a commit that lost a race with
# another writer of the same table or checkpoint (another ingest of the same lake at the same time).
LOST_RACE = re.compile(
    r"\b(DELTA_CONCURRENT_[A-Z_]+|DELTA_METADATA_CHANGED|DELTA_PROTOCOL_CHANGED|CONCURRENT_STREAM_LOG_UPDATE"
    r"|CONCURRENT_QUERY|Concurrent(?:Append|DeleteRead|DeleteDelete|Transaction|Write)Exception"
    r"|MetadataChangedException|ProtocolChangedException)\b"
)


def lost_race(exc: BaseException) -> str | None:
    """The error class or exception that says another run wrote the same table at the same time, if any."""
    match = LOST_RACE.search(str(exc))
    return match.group(1) if match else None


class ConcurrentRun(CrmMiningError):
    """Another ingest of the same lake committed first. Every commit is idempotent per batch (txnAppId)
    and every stream resumes from its checkpoint, so nothing is counted twice and a rerun is safe."""

    def __init__(self, what: str, race: str):
        super().__init__(
            f"{what} stopped: another run wrote the same tables at the same time ({race}). Nothing was "
            f"written twice; a rerun is safe once the other run has finished."
        )


@contextmanager
def concurrent_runs_named(what: str) -> Iterator[None]:
    """Turn a lost race inside the block into ``ConcurrentRun``; other errors pass unchanged."""
    try:
        yield
    except CrmMiningError:
        raise
    except Exception as exc:
        if race := lost_race(exc):
            raise ConcurrentRun(what, race) from None
        raise


class SourcesFailed(CrmMiningError):
    """Some sources failed; the others were ingested. The message names each failed source and why."""

    def __init__(self, failed: dict[str, str]):
        self.failed = failed
        lines = "; ".join(f"{name}: {why.rstrip('.')}" for name, why in failed.items())
        super().__init__(
            f"{len(failed)} of {len(SOURCES)} sources not ingested ({lines}). The other sources were "
            f"ingested; a rerun after the fix picks up where each failed source stopped."
        )


def describe(exc: BaseException, what: str) -> str:
    """One line for a failure: our own message, a lost race with a concurrent run, or Spark's first line."""
    if isinstance(exc, CrmMiningError):
        return str(exc)
    if race := lost_race(exc):
        return str(ConcurrentRun(what, race))
    return first_line(exc)


def failed_parent(source: Source, failed: dict[str, str]) -> str | None:
    """The parent source that failed in this run, if any: its children would see orphans that are not."""
    if source.parent is None:
        return None
    parent = source.parent[0].removeprefix("silver.")
    return parent if parent in failed else None


def ingest_source(
    spark: SparkSession, config: Config, source: Source, run_id: str, results: list[audit.BatchCounts]
) -> list[audit.BatchCounts]:
    """Run every stream of ``source``, appending each batch's counts to ``results`` as it commits (so a
    caller still has the batches that committed when a later stream fails)."""
    lake = Lake(config)
    streams: list[Stream] = bronze.check_landing(spark, lake, source)
    for stream in streams:
        run_stream(BatchJob(spark, config, source, stream, run_id, results))
    if not results:  # nothing new: the audit still shows this run looked
        job = BatchJob(spark, config, source, streams[0], run_id, results)
        empty = audit.BatchCounts(source.name, f"{source.name}-no-new-files", 0, 0)
        write_audit(job, empty, utc_now(), None)
    return results


def optimize_transactions(spark: SparkSession, lake: Lake, months: list[str]) -> None:
    """Compact the touched monthly partitions of silver.transactions and Z-order them by customer_id
    (the mining jobs group and join transactions per customer)."""
    if not months:
        return
    predicate = " OR ".join(f"txn_month = '{m}'" for m in months)
    lake.delta(spark, "silver.transactions").optimize().where(predicate).executeZOrderBy("customer_id")


def touched_months(spark: SparkSession, lake: Lake, batch_ids: list[str]) -> list[str]:
    """Months written by this run's transaction batches (a handful of rows, one per month)."""
    if not batch_ids:
        return []
    rows = lake.read(spark, "silver.transactions").where(F.col("batch_id").isin(batch_ids))
    return sorted(str(r.txn_month) for r in rows.select("txn_month").distinct().collect())


def months_to_optimize(spark: SparkSession, lake: Lake, months: list[str], min_files: int) -> list[str]:
    """The touched months that hold at least ``min_files`` data files (one query, pruned to those months;
    a handful of rows, one per month, reach the driver)."""
    if not months or min_files <= 1:
        return months
    files = (
        lake.read(spark, "silver.transactions")
        .where(F.col("txn_month").isin(months))
        .groupBy("txn_month")
        .agg(F.countDistinct("_metadata.file_path").alias("files"))
    )
    return sorted(str(r.txn_month) for r in files.where(F.col("files") >= min_files).collect())


def summarize(results: list[audit.BatchCounts]) -> dict:
    by_reason: dict[str, int] = {}
    step_seconds: dict[str, float] = {}
    for r in results:
        for reason, n in r.by_reason.items():
            by_reason[reason] = by_reason.get(reason, 0) + n
        for step, seconds in r.seconds.items():
            step_seconds[step] = round(step_seconds.get(step, 0.0) + seconds, 1)
    return {
        "batches": [r.batch_id for r in results],
        "rows_read": sum(r.rows_read for r in results),
        "rows_written": sum(r.rows_written for r in results),
        "rows_quarantined": sum(r.rows_quarantined for r in results),
        "duplicates": sum(r.duplicates for r in results),
        "quarantined_by_reason": dict(sorted(by_reason.items())),
        "schema_drift": [m for r in results for m in r.drift],
        "step_seconds": step_seconds,
    }


def ingest_lake(spark: SparkSession, config: Config) -> dict:
    """Ingest every landing source into bronze and silver; return a summary per source.

    Summary: {"run_id", "sources": {source: {batches, rows_read, rows_written, rows_quarantined,
    duplicates, quarantined_by_reason, schema_drift, step_seconds, seconds}}, "unread_files" (count by reason),
    "optimized_months", "compact_months_left" (touched, fewer files than ingest.optimize_min_files),
    "optimize_seconds"}.
    """
    lake = Lake(config)
    run_id = uuid.uuid4().hex
    for source in SOURCES:  # fail before touching any table when a landing folder is missing
        bronze.check_landing(spark, lake, source)
    skipped_stream(lake, config.ingest.skip_file)  # a path no stream reads fails here, before any write
    if config.ingest.customer_key == "token":
        token_key(config.ingest.token_key_env)  # a missing key fails here, before any write
    with concurrent_runs_named("ingest's table set-up"):
        ensure_tables(spark, lake)
    summary: dict = {"run_id": run_id, "sources": {}}
    if config.ingest.skip_file:
        summary["skipped_file"] = skip_file(
            spark, lake, config.ingest.skip_file, config.ingest.skip_reason, run_id
        )
    txn_batches: list[str] = []
    failed: dict[str, str] = {}
    for source in SOURCES:
        # One source's failure does not stop the others (as in Delta Live Tables, flows are independent),
        # except for the sources whose rows reference it: they wait for the next run.
        if parent := failed_parent(source, failed):
            failed[source.name] = f"not run, because its parent source '{parent}' failed"
            continue
        started, results = time.monotonic(), []
        try:
            ingest_source(spark, config, source, run_id, results)
        except audit.UnbalancedBatch:  # our own accounting is wrong: nothing more may be written
            raise
        except Exception as exc:  # noqa: BLE001 (reported per source below, the run still ends non-zero)
            failed[source.name] = describe(exc, f"ingest of '{source.name}'")
            log.error("ingest of source '%s' failed: %s", source.name, failed[source.name])
            log.debug("ingest of source '%s' failed", source.name, exc_info=True)
        # The batches that committed count, also those of a source whose later stream failed.
        summary["sources"][source.name] = summarize(results) | {
            "seconds": round(time.monotonic() - started, 1)
        }
        if source.name == "transactions":
            txn_batches = [r.batch_id for r in results if r.rows_written]
    try:
        with concurrent_runs_named("ingest's unread-file report and OPTIMIZE"):
            finish_run(spark, config, run_id, txn_batches, summary)
    except Exception as exc:
        if failed:  # the sources' failures are the news; the later error is most likely the same cause
            raise SourcesFailed(failed) from exc
        raise
    if failed:
        raise SourcesFailed(failed)
    return summary


def finish_run(
    spark: SparkSession, config: Config, run_id: str, txn_batches: list[str], summary: dict
) -> None:
    """After every source: the unread-file report, then OPTIMIZE of the months this run touched."""
    lake = Lake(config)
    summary["unread_files"] = report_unread_files(spark, lake, run_id, utc_now())
    started = time.monotonic()
    touched = touched_months(spark, lake, txn_batches) if config.ingest.optimize else []
    months = months_to_optimize(spark, lake, touched, config.ingest.optimize_min_files)
    optimize_transactions(spark, lake, months)
    summary["optimized_months"] = months
    summary["compact_months_left"] = [m for m in touched if m not in months]
    summary["optimize_seconds"] = round(time.monotonic() - started, 1)
