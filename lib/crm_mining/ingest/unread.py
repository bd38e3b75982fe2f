"""Landing files that ingest leaves unread, found after every run and reported with the reason.

A stream reads only the files that match its folder and pattern (``transactions/csv/*/*.csv``), and each
file only once: Spark's file source remembers a file by its path and never looks at it again. Three
kinds of file would be left behind without a word, so each run lists them in ``ops.unread_files`` and
the log (the landing rules are in docs/ingest.md):

- ``WRONG_FOLDER``: the source's extension, outside its pattern (e.g. directly in ``transactions/csv/``),
  or under a folder that is no source;
- ``UNKNOWN_EXTENSION``: not the source's extension (case counts: ``.CSV`` is not ``.csv``);
- ``CHANGED_AFTER_INGEST``: read once, then modified, e.g. picked up while still being copied: the rows
  written after the read are not in bronze.

Names starting with ``_`` or ``.`` are in-flight by the landing rules (write, then rename), and Spark's
listing skips them, so they are not reported. One listing of the landing zone and one read of the
streams' checkpoint logs per run; only the unread files' rows reach the driver, for the log.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from crm_mining.ingest.bronze import path_exists
from crm_mining.landing import SOURCES, Stream
from crm_mining.tables import Lake

log = logging.getLogger(__name__)

TABLE = "ops.unread_files"
DDL = "run_id string, source string, file string, reason string, modified_at timestamp, bytes bigint, found_at timestamp"
LOGGED = 50  # unread files named in the log per run; the table holds them all


def glob_regex(folder: str, pattern: str) -> str:
    """A landing-relative regex for a stream's files: ``*`` never crosses a folder."""
    return "^" + re.escape(f"{folder}/{pattern}").replace(r"\*", "[^/]*") + "$"


def local_path(column: Column) -> Column:
    """``file:/x`` and ``file:///x`` are the same file: compare paths without the local scheme."""
    return F.regexp_replace(column, r"^file:/+", "/")


def landing_listing(spark: SparkSession, root: str) -> DataFrame:
    """Every (non-hidden) file under the landing root: path relative to it, modification time, size."""
    files = (
        spark.read.format("binaryFile")
        .option("recursiveFileLookup", "true")
        .load(root)
        .select(local_path(F.col("path")).alias("path"), "modificationTime", "length")
    )
    prefix = re.sub(r"^file:/+", "/", root.rstrip("/") + "/")  # as local_path writes it
    return files.select(
        "path",
        F.col("path").substr(len(prefix) + 1, 1 << 20).alias("relative"),
        F.col("modificationTime").alias("modified_at"),
        F.col("length").alias("bytes"),
    )


def seen_files(spark: SparkSession, lake: Lake, streams: list[Stream]) -> DataFrame:
    """Each file a stream has read, with its modification time then (the file source's checkpoint log)."""
    logs = [lake.checkpoint(f"ingest/{s.name}") + "/sources/0" for s in streams]
    logs = [p for p in logs if path_exists(spark, p)]
    if not logs:
        return spark.createDataFrame([], "path string, read_modified_at timestamp")
    entries = spark.read.text(logs).where(F.col("value").startswith("{"))
    parsed = F.from_json("value", "path string, timestamp long")
    return (
        entries.select(parsed.alias("e"))
        .groupBy(local_path(F.col("e.path")).alias("path"))
        .agg(F.timestamp_millis(F.max("e.timestamp")).alias("read_modified_at"))
    )


def classified(files: DataFrame, seen: DataFrame) -> DataFrame:
    """The files no stream will read, with the reason; matched files only if changed after their read."""
    streams = [s for source in SOURCES for s in source.streams]
    matched = F.lit(False)
    for stream in streams:
        matched = matched | F.col("relative").rlike(glob_regex(stream.folder, stream.pattern))
    source = F.split(F.col("relative"), "/").getItem(0)
    extensions = {s.name: sorted({f".{st.fmt}" for st in s.streams}) for s in SOURCES}
    known_source = source.isin(list(extensions)) & F.col("relative").contains("/")
    right_extension = F.lit(False)
    for name, exts in extensions.items():
        for ext in exts:
            right_extension = right_extension | ((source == name) & F.col("relative").endswith(ext))
    reason = (
        F.when(~matched & (right_extension | ~known_source), "WRONG_FOLDER")
        .when(~matched, "UNKNOWN_EXTENSION")
        .when(F.col("modified_at") > F.col("read_modified_at"), "CHANGED_AFTER_INGEST")
    )
    joined = files.join(seen, "path", "left")
    return joined.select(
        F.when(known_source, source).alias("source"),
        F.col("path").alias("file"),
        reason.alias("reason"),
        "modified_at",
        "bytes",
    ).where(F.col("reason").isNotNull())


def report_unread_files(
    spark: SparkSession, lake: Lake, run_id: str, found_at: dt.datetime
) -> dict[str, int]:
    """Append this run's unread files to ops.unread_files, log them, and count them by reason."""
    root = lake.landing()
    streams = [s for source in SOURCES for s in source.streams]
    unread = classified(landing_listing(spark, root), seen_files(spark, lake, streams)).select(
        F.lit(run_id).alias("run_id"),
        "source",
        "file",
        "reason",
        "modified_at",
        "bytes",
        F.lit(found_at).alias("found_at"),
    )
    lake.ensure_table(spark, TABLE, StructType.fromDDL(DDL), not_null=["run_id", "file", "reason"])
    # One listing, cached: counted, appended only when there is something to report (an empty append is
    # a commit that carries nothing, on every clean run), and the first files logged from the same rows.
    unread = unread.persist()
    try:
        counts = {r.reason: r["count"] for r in unread.groupBy("reason").count().collect()}  # <= 3 reasons
        if counts:
            lake.write(unread, TABLE, mode="append")
            for row in unread.orderBy("file").limit(LOGGED).collect():  # bounded: the first LOGGED
                log.warning("landing file not ingested (%s): %s", row.reason, row.file)
    finally:
        unread.unpersist()
    if sum(counts.values()) > LOGGED:
        log.warning("... and %d more unread landing files: see %s", sum(counts.values()) - LOGGED, TABLE)
    return dict(sorted(counts.items()))
