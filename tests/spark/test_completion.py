"""A stage killed between its table commits leaves its tables marked partial: the next stage, through any
door, refuses them with one line naming the table and the rerun, until the rerun has repaired them.

The kill is real: a child ``crm-mining features`` ``kill -9``s itself (and so its JVM) right after its first
gold commit, as a machine failing mid-stage would.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from pyspark.sql import functions as F  # noqa: N812

from crm_mining import cli
from crm_mining.completion import STARTED, SUCCEEDED, TABLE, last_runs, partial_inputs
from crm_mining.config import load_config
from crm_mining.stages import stage
from crm_mining.tables import Lake

FEATURES_TABLES = ("gold.customer_features", "gold.labels", "gold.rfm")
# The ingested base landing spans two days: one snapshot at its end.
OVERRIDES = ["spark.master=local[2]", "features.snapshot_dates=[2025-01-03]"]
SETTINGS = [arg for o in OVERRIDES for arg in ("--set", o)]

KILLED_AFTER_FIRST_GOLD_COMMIT = """
import os, signal, sys
from crm_mining import cli
from crm_mining.tables import Lake

honest_write = Lake.write

def write_then_die(self, df, name, *args, **kwargs):
    honest_write(self, df, name, *args, **kwargs)
    if name.startswith("gold."):
        os.kill(os.getpid(), signal.SIGKILL)

Lake.write = write_then_die
cli.main(["features", "--lakehouse", sys.argv[1], *sys.argv[2:]])
sys.exit("features finished without a gold commit")
"""


def killed_features(lakehouse: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_AFTER_FIRST_GOLD_COMMIT, str(lakehouse), *SETTINGS],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
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
    assert child.returncode == -signal.SIGKILL, f"features was not killed after a gold commit:\n{err[-3000:]}"


def test_a_features_run_killed_between_commits_stops_lifecycle_until_features_reruns(
    spark, base_ingested, tmp_path, capsys
):
    lakehouse = tmp_path / "lakehouse"
    shutil.copytree(base_ingested["config"].lake.root, lakehouse)  # the ingested lake: silver, no gold
    config = load_config(overrides=OVERRIDES, lakehouse=str(lakehouse))
    lake = Lake(config)

    killed_features(lakehouse)

    written = [t for t in FEATURES_TABLES if lake.exists(spark, t)]
    assert len(written) == 1, f"the kill was not between features' commits: {written}"
    assert last_runs(spark, lake)["features"].status == STARTED

    code = cli.main(["lifecycle", "--lakehouse", str(lakehouse), *SETTINGS])

    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith(
        "crm-mining lifecycle: error: 'lifecycle' not run: gold.customer_features may be partial"
    )
    assert "the last 'features' run" in err[-1] and "never finished" in err[-1]
    assert "rerun 'crm-mining features'" in err[-1]
    assert not [t for t in stage("lifecycle").writes if lake.exists(spark, t)], (
        "lifecycle wrote before refusing"
    )
    assert "lifecycle" not in last_runs(spark, lake)

    stage("features").run_marked(spark, config)  # the rerun the message asks for

    assert all(lake.exists(spark, t) for t in FEATURES_TABLES)
    statuses = lake.read(spark, TABLE).where(F.col("stage") == "features").orderBy("at").select("status")
    assert [r.status for r in statuses.collect()] == [STARTED, STARTED, SUCCEEDED]
    assert partial_inputs(stage("lifecycle"), last_runs(spark, lake)) == []
