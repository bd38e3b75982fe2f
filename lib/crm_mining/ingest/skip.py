"""`crm-mining ingest --skip-file PATH --reason TEXT`: take one landing file out of ingest, on the record.

Spark's file source plans a micro-batch's files (its checkpoint's ``sources`` log) before it reads them,
and a rerun replays a planned batch with the same files. So a corrupt file fails its stream at every
run, and deleting it does not help: the replay stops naming the gone file (``batch.check_planned_files``;
Spark itself would read it as empty and lose its rows without a word). Skipping a file:

- moves it to ``landing/_skipped/<its landing path>``, kept as evidence; names starting with ``_`` are
  never listed, so no stream and no unread-file report sees it there;
- records it in ``ops.skipped_files`` (file, stream, bytes, reason, run): the account of its rows, which
  reach no table;
- lets the planned batch go on without it: the planned-file check passes over it, and its stream runs
  with ``spark.sql.files.ignoreMissingFiles`` in this ingest. Only that stream and that file: another
  file gone from a stream still stops it.

A file already deleted is recorded the same way, if its stream planned it; a path that neither exists
nor was planned is an error (most likely a typo).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

from pyspark.sql import SparkSession
from pyspark.sql import functions as F  # noqa: N812

from crm_mining import CrmMiningError
from crm_mining.hadoop_fs import HadoopFs
from crm_mining.ingest.batch import local_path, utc_now
from crm_mining.ingest.unread import glob_regex, seen_files
from crm_mining.landing import SOURCES, Stream
from crm_mining.session import session_conf
from crm_mining.tables import Lake

log = logging.getLogger(__name__)

TABLE = "ops.skipped_files"
DDL = (
    "run_id string, skipped_at timestamp, source string, stream string, file string, moved_to string, "
    "bytes bigint, reason string"
)
NOT_NULL = ["run_id", "file", "reason"]
SKIPPED_FOLDER = "_skipped"
IGNORE_MISSING = "spark.sql.files.ignoreMissingFiles"


def landing_relative(lake: Lake, path: str) -> str:
    """``path`` relative to the landing root; raise naming both when it is not under it."""
    root = local_path(lake.landing()).rstrip("/") + "/"
    if not local_path(path).startswith(root):
        raise CrmMiningError(f"--skip-file {path}: not a file under the landing folder {root}")
    return local_path(path)[len(root) :]


def stream_of(lake: Lake, path: str) -> Stream:
    """The stream whose folder and pattern the file matches; raise naming the path when none does."""
    relative = landing_relative(lake, path)
    for source in SOURCES:
        for stream in source.streams:
            if re.match(glob_regex(stream.folder, stream.pattern), relative):
                return stream
    raise CrmMiningError(
        f"--skip-file {path}: no stream reads this file (see ops.unread_files for files no stream reads)"
    )


def skipped_stream(lake: Lake, skip_file: str | None) -> str | None:
    """The name of the stream that runs with missing files ignored in this ingest, if any."""
    return stream_of(lake, skip_file).name if skip_file else None


def planned(spark: SparkSession, lake: Lake, stream: Stream, path: str) -> bool:
    """Whether ``stream`` has planned ``path`` in a micro-batch (its checkpoint's sources log)."""
    seen = seen_files(spark, lake, [stream])
    return not seen.where(F.col("path") == local_path(path)).isEmpty()


def skip_file(spark: SparkSession, lake: Lake, path: str, reason: str, run_id: str) -> dict:
    """Move ``path`` to ``landing/_skipped/`` and record it in ops.skipped_files (module doc)."""
    stream = stream_of(lake, path)
    source = next(s for s in SOURCES if stream in s.streams)
    fs = HadoopFs(spark, lake.landing())
    moved_to, size = None, None
    if fs.exists(path):
        size = fs.length(path)
        moved_to = lake.landing(f"{SKIPPED_FOLDER}/{landing_relative(lake, path)}")
        if fs.exists(moved_to):  # skipped before under the same name: keep both
            moved_to = f"{moved_to}.{run_id}"
        fs.move(path, moved_to)
    elif not planned(spark, lake, stream, path):
        raise CrmMiningError(f"--skip-file {path}: no such file, and stream '{stream.name}' never planned it")
    row = (run_id, utc_now(), source.name, stream.name, local_path(path), moved_to, size, reason)  # fmt: skip
    lake.write(spark.createDataFrame([row], DDL), TABLE, mode="append")
    log.warning(
        "landing file skipped (%s): %s, moved to %s", reason, path, moved_to or "nowhere (it was gone)"
    )
    return {
        "file": local_path(path),
        "stream": stream.name,
        "moved_to": moved_to,
        "bytes": size,
        "reason": reason,
    }


@contextmanager
def missing_files_ignored(spark: SparkSession, ignored: bool) -> Iterator[None]:
    """Within the block, files the stream planned but that are gone are skipped instead of failing it."""
    with session_conf(spark, {IGNORE_MISSING: "true"} if ignored else {}):
        yield
