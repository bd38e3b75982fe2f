"""A crash at any commit boundary of a batch, then a rerun, gives the tables of an uninterrupted run.

The crash is real: a child process runs ingest and ``kill -9``s itself (and so its JVM) right after the
named Delta commit of the transactions CSV batch. The rerun then happens in this process.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812
from pyspark.sql.types import StringType
from pyspark.testing import assertDataFrameEqual

from crm_mining.config import load_config
from crm_mining.ingest import ingest_lake
from crm_mining.tables import Lake
from helpers.landing_files import base_landing

CRASHING_STREAM = "transactions_csv"
BOUNDARIES = {
    "bronze": "bronze.",
    "silver": "silver.",
    "quarantine": "ops.quarantine",
    "audit": "ops.ingest_audit",
}
COMPARED = ("bronze.transactions", "silver.transactions", "ops.quarantine", "ops.ingest_audit")
# Wall-clock columns: no two runs share them.
VOLATILE = ("ingested_at", "ingest_date", "quarantined_at", "started_at", "finished_at", "run_id")

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
config = load_config(overrides=["spark.master=local[2]"], lakehouse=lakehouse)
ingest_lake(get_spark(config), config)
sys.exit("the crash point was never reached")
"""


def crash_ingest(lakehouse: Path, table_prefix: str) -> None:
    """Run ingest in a child process that kill -9s itself after its first commit to ``table_prefix``."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, table_prefix, CRASHING_STREAM, str(lakehouse)],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _, err = child.communicate(timeout=900)
    finally:
        with contextlib.suppress(ProcessLookupError):  # the child's JVM, orphaned by the kill
            os.killpg(child.pid, signal.SIGKILL)
    assert child.returncode == -signal.SIGKILL, f"the child did not crash where asked:\n{err[-3000:]}"


def comparable(df: DataFrame, lakehouse: Path) -> DataFrame:
    """The table without wall-clock columns, with file paths (in any text column) relative to the lake."""
    df = df.drop(*VOLATILE)
    text = [f.name for f in df.schema.fields if isinstance(f.dataType, StringType)]
    return df.withColumns({c: F.replace(c, F.lit(str(lakehouse)), F.lit("<lake>")) for c in text})


@pytest.fixture(scope="module")
def clean_run(spark, tmp_path_factory):
    lakehouse = tmp_path_factory.mktemp("clean") / "lakehouse"
    config = load_config(overrides=["spark.master=local[2]"], lakehouse=str(lakehouse))
    base_landing(Path(Lake(config).landing()))
    ingest_lake(spark, config)
    return lakehouse, config


@pytest.mark.slow
@pytest.mark.parametrize("boundary", list(BOUNDARIES))
def test_rerun_after_a_kill_equals_an_uninterrupted_run(spark, clean_run, tmp_path, boundary):
    clean_lakehouse, clean_config = clean_run
    lakehouse = tmp_path / "lakehouse"
    shutil.copytree(clean_lakehouse / "landing", lakehouse / "landing")
    crash_ingest(lakehouse, BOUNDARIES[boundary])

    config = load_config(overrides=["spark.master=local[2]"], lakehouse=str(lakehouse))
    ingest_lake(spark, config)

    for table in COMPARED:
        got = comparable(Lake(config).read(spark, table), lakehouse)
        want = comparable(Lake(clean_config).read(spark, table), clean_lakehouse)
        if table == "ops.ingest_audit":
            # The rerun truthfully records that the streams finished before the crash had nothing new.
            nothing_new = F.col("batch_id").endswith("-no-new-files") & (F.col("rows_read") == 0)
            got = got.where(~nothing_new)
        assertDataFrameEqual(got, want, checkRowOrder=False)
