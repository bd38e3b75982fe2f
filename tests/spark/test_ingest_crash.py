"""A crash at any commit boundary of a batch, then a rerun, gives the tables of an uninterrupted run; so
does a second ingest that runs while the first one is in the middle of a batch.

The crash is real: a child process runs ingest and ``kill -9``s itself (and so its JVM) right after the
named Delta commit of the transactions CSV batch. The rerun then happens in this process. The concurrent
run is real too: a child ``crm-mining ingest`` holds its transactions batch before the silver commit
while this process ingests the same lake, then goes on.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pyspark.sql import functions as F  # noqa: N812
from pyspark.testing import assertDataFrameEqual

from crm_mining.config import load_config
from crm_mining.ingest import batch, ingest_lake
from crm_mining.tables import Lake
from helpers.lake_compare import comparable
from helpers.landing_files import TRANSACTIONS_AND_PARENTS, account, copy_landing, write_json_lines
from helpers.pii_scan import landed_pii_values, pii_in_text

CRASHING_STREAM = "transactions_csv"
BOUNDARIES = {
    "bronze": "bronze.",
    "silver": "silver.",
    "quarantine": "ops.quarantine",
    "audit": "ops.ingest_audit",
}
COMPARED = ("bronze.transactions", "silver.transactions", "ops.quarantine", "ops.ingest_audit")
# The crashed lake lands only the transactions and what their validation reads: every other stream would
# cost its fixed batch time twice per test (CI time). Its tables are compared with the clean run's rows of
# these sources. OPTIMIZE (files, not rows) is skipped likewise.
LANDED = TRANSACTIONS_AND_PARENTS
RUN = ["spark.master=local[2]", "ingest.optimize=false"]

CHILD = """
import os, signal, sys
from crm_mining.config import load_config
from crm_mining.ingest import batch, ingest_lake
from crm_mining.session import get_spark

table_prefix, stream, lakehouse = sys.argv[1:4]
honest_append = batch.append_once

def append_then_die(job, df, name, batch_num, merge_schema=False):
    honest_append(job, df, name, batch_num, merge_schema)
    if job.stream.name == stream and name.startswith(table_prefix):
        os.kill(os.getpid(), signal.SIGKILL)

batch.append_once = append_then_die
config = load_config(overrides=["spark.master=local[2]", "ingest.optimize=false"], lakehouse=lakehouse)
ingest_lake(get_spark(config), config)
sys.exit("the crash point was never reached")
"""

# What Spark's Ivy prints when it resolves the Delta jars (about 90 lines, on every run before #12).
IVY_REPORT = re.compile(
    r":: loading settings ::|Ivy Default Cache|:: resolving dependencies ::|confs: \[default\]"
)

# `crm-mining ingest` (the CLI, so its exit code and stderr are the real ones), holding the first batch of
# a stream just before its silver commit until told to go on.
PAUSED_CHILD = """
import sys, time
from pathlib import Path
from crm_mining import cli
from crm_mining.ingest import batch

stream, lakehouse, ready, go = sys.argv[1:5]
honest_append = batch.append_once

def append_when_told(job, df, name, batch_num, merge_schema=False):
    if job.stream.name == stream and name.startswith("silver.") and not Path(ready).exists():
        Path(ready).touch()
        deadline = time.monotonic() + 900
        while not Path(go).exists():
            if time.monotonic() > deadline:
                sys.exit("never told to go on")
            time.sleep(0.2)
    honest_append(job, df, name, batch_num, merge_schema)

batch.append_once = append_when_told
sys.exit(cli.main(["ingest", "--lakehouse", lakehouse, "--set", "spark.master=local[2]",
                   "--set", "ingest.optimize=false"]))
"""


def start_child(script: str, *args: str, cwd: Path | None = None) -> subprocess.Popen:
    """A child Python running ``script`` in its own process group (so its JVM can be killed with it)."""
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def crash_ingest(lakehouse: Path, table_prefix: str) -> None:
    """Run ingest in a child process that kill -9s itself after its first commit to ``table_prefix``."""
    child = start_child(CHILD, table_prefix, CRASHING_STREAM, str(lakehouse))
    try:
        _, err = child.communicate(timeout=900)
    finally:
        with contextlib.suppress(ProcessLookupError):  # the child's JVM, orphaned by the kill
            os.killpg(child.pid, signal.SIGKILL)
    assert child.returncode == -signal.SIGKILL, (
        f"the child did not crash after its {table_prefix} commit:\n{err[-3000:]}"
    )


@pytest.fixture(scope="module")
def clean_run(base_ingested):
    """The uninterrupted run to compare with (conftest's, shared with test_ingest): its lake and config."""
    config = base_ingested["config"]
    return Path(config.lake.root), config


def assert_tables_equal_the_clean_run(spark, lakehouse: Path, clean_run, stream: str | None = None) -> None:
    """The compared tables equal the clean run's rows of the landed sources (of ``stream``'s batches only,
    when given)."""
    clean_lakehouse, clean_config = clean_run
    config = load_config(overrides=RUN, lakehouse=str(lakehouse))
    for table in COMPARED:
        got = comparable(Lake(config).read(spark, table), lakehouse)
        clean = Lake(clean_config).read(spark, table)
        if "source" in clean.columns:  # quarantine and audit: the clean run's rows of the landed sources
            clean = clean.where(F.col("source").isin(*LANDED))
        want = comparable(clean, clean_lakehouse)
        if stream is not None:
            got, want = (df.where(F.col("batch_id").startswith(f"{stream}-")) for df in (got, want))
        if table == "ops.ingest_audit":
            # The rerun truthfully records that the streams finished before the crash had nothing new.
            nothing_new = F.col("batch_id").endswith("-no-new-files") & (F.col("rows_read") == 0)
            got = got.where(~nothing_new)
        assertDataFrameEqual(got, want, checkRowOrder=False)


@pytest.mark.slow
@pytest.mark.parametrize("boundary", list(BOUNDARIES))
def test_a_kill_at_a_commit_boundary_then_a_rerun_equals_an_uninterrupted_run(
    spark, clean_run, tmp_path, boundary
):
    """A child ingest is killed right after its commit to the boundary's table; the rerun, in this process,
    must skip the commits already made, make the rest and leave the uninterrupted run's tables."""
    clean_lakehouse, _ = clean_run
    lakehouse = tmp_path / "lakehouse"
    copy_landing(clean_lakehouse, lakehouse, LANDED)
    crash_ingest(lakehouse, BOUNDARIES[boundary])
    # The landing files may go (retention) once bronze has them: the rerun needs only bronze (CSV headers
    # included).
    shutil.rmtree(lakehouse / "landing" / "transactions" / "csv")
    (lakehouse / "landing" / "transactions" / "csv").mkdir()

    ingest_lake(spark, load_config(overrides=RUN, lakehouse=str(lakehouse)))

    assert_tables_equal_the_clean_run(spark, lakehouse, clean_run)


@pytest.mark.slow
def test_a_retry_decides_as_its_crashed_attempt_did_though_parents_and_the_clock_moved_on(
    spark, clean_run, tmp_path, monkeypatch
):
    """The batch crashes after its silver commit; before the rerun, the account of its ORPHAN transaction
    (T8 on A99) arrives, and the clock passes its FUTURE_DATE transaction's date (T6, 2099-01-01). The
    retry must keep the outcomes its first attempt committed, as of the first attempt's time and parents:
    deciding them again found more valid rows than silver holds, and stopped every rerun as unbalanced."""
    clean_lakehouse, _ = clean_run
    lakehouse = tmp_path / "lakehouse"
    copy_landing(clean_lakehouse, lakehouse, LANDED)
    crash_ingest(lakehouse, "silver.")
    write_json_lines(lakehouse / "landing" / "accounts" / "accounts_late.json", [account("A99", "C1")])
    monkeypatch.setattr(batch, "utc_now", lambda: dt.datetime(2099, 1, 5))

    config = load_config(overrides=RUN, lakehouse=str(lakehouse))
    ingest_lake(spark, config)

    assert_tables_equal_the_clean_run(spark, lakehouse, clean_run, stream=CRASHING_STREAM)
    late = Lake(config).read(spark, "silver.accounts").where(F.col("account_id") == "A99")
    assert late.count() == 1  # the rerun did take the new parent, after the retried batch had decided


@pytest.mark.slow
def test_an_ingest_overtaken_by_a_concurrent_one_says_a_rerun_is_safe_and_nothing_counts_twice(
    spark, clean_run, tmp_path
):
    clean_lakehouse, _ = clean_run
    lakehouse = tmp_path / "lakehouse"
    copy_landing(clean_lakehouse, lakehouse, LANDED)
    ready, go = tmp_path / "ready", tmp_path / "go"
    config = load_config(overrides=RUN, lakehouse=str(lakehouse))
    workdir = tmp_path / "workdir"  # the folder the person runs the CLI from: nothing may be left there
    workdir.mkdir()
    first = start_child(PAUSED_CHILD, CRASHING_STREAM, str(lakehouse), str(ready), str(go), cwd=workdir)
    try:
        while not ready.exists():
            assert first.poll() is None, (
                f"the first run ended before its batch:\n{first.stderr.read()[-3000:]}"
            )
            time.sleep(0.5)
        ingest_lake(spark, config)  # the second run overtakes the first, which holds an uncommitted batch
        go.touch()
        _, err = first.communicate(timeout=900)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(first.pid, signal.SIGKILL)
    assert first.returncode == 2, err[-3000:]
    assert "another run wrote the same tables at the same time" in err.strip().splitlines()[-1], err[-3000:]
    assert "rerun is safe" in err.strip().splitlines()[-1], err[-3000:]
    assert not [line for line in err.splitlines() if line.startswith("\tat ")], (
        "a stack trace without --verbose"
    )
    assert pii_in_text(err, landed_pii_values(lakehouse / "landing")) == []  # the CLI's whole log
    # A real CLI run with the Delta jars cached (the session fixture resolved them): no Ivy report, and no
    # spark-warehouse, metastore_db or derby.log beside the person running it.
    assert not IVY_REPORT.findall(err), err[:3000]
    assert sorted(p.name for p in workdir.iterdir()) == []

    ingest_lake(spark, config)  # the rerun the message asks for

    assert_tables_equal_the_clean_run(spark, lakehouse, clean_run)
