"""A job submitted to a real standalone cluster (Master + 2 Workers on 127.0.0.1) writes the same
Delta table content as the same job in local mode.

Kept as small as still proves it (issue #16 part 4): the landing files are generated once, locally, and
copied to the cluster's lake; only ingest, the job with the most Delta commits and shuffles, goes to
the cluster, and both workers must have run executors for it.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from pyspark.sql import DataFrame
from pyspark.testing import assertDataFrameEqual

from crm_mining.config import load_config
from crm_mining.generate import generate_lake
from crm_mining.ingest import ingest_lake
from crm_mining.tables import Lake

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from standalone_cluster import StandaloneCluster, build_wheel  # noqa: E402

pytestmark = pytest.mark.slow

LAKE_SIZE = ["generate.customers=60", "generate.months=3", "ingest.optimize=false"]
COMPARED = [
    "silver.customers",
    "silver.accounts",
    "silver.transactions",
    "silver.repayments",
    "ops.quarantine",
]
# The local session's partition counts (conf/local.yaml): under spark-submit the session keeps the cluster's
# own settings, and Spark's 200 shuffle partitions and Delta's 50 log-replay partitions turn a 60-customer
# ingest into thousands of tasks (8,125 by its 433rd Spark stage, against 86 by its 94th with these).
SMALL_LAKE_CONF = {"spark.sql.shuffle.partitions": "4", "spark.databricks.delta.snapshotPartitions": "2"}
RUN_SPECIFIC = {"batch_id", "source_file", "ingested_at", "quarantined_at", "run_id"}


def content(lake: Lake, spark, name: str) -> DataFrame:
    """A table without the columns that name the run (batch, time, file path)."""
    df = lake.read(spark, name)
    return df.select(*[c for c in df.columns if c not in RUN_SPECIFIC])


def test_cluster_ingest_writes_what_local_ingest_writes(spark, tmp_path):
    wheel = build_wheel(tmp_path / "dist")
    local_config = load_config(overrides=LAKE_SIZE, lakehouse=str(tmp_path / "local-lake"))
    generate_lake(spark, local_config)
    cluster_lake = tmp_path / "cluster-lake"
    for folder in ("landing", "truth"):
        shutil.copytree(tmp_path / "local-lake" / folder, cluster_lake / folder)

    settings = [arg for item in LAKE_SIZE for arg in ("--set", item)]
    with StandaloneCluster(tmp_path / "cluster", workers=2) as cluster:
        done = cluster.submit(
            ROOT / "jobs" / "ingest.py",
            wheel,
            ["--lakehouse", str(cluster_lake), *settings],
            spark_conf=SMALL_LAKE_CONF,
        )
        assert done.returncode == 0, f"ingest failed on the cluster:\n{done.stderr[-4000:]}"
        executors = cluster.executor_dirs()
    assert all(executors[i] for i in range(2)), f"both workers must run executors: {executors}"

    ingest_lake(spark, local_config)

    cluster_tables = Lake(load_config(overrides=LAKE_SIZE, lakehouse=str(cluster_lake)))
    local_tables = Lake(local_config)
    for name in COMPARED:
        local = content(local_tables, spark, name)
        assert local.count() > 0 or name == "ops.quarantine", name
        assertDataFrameEqual(content(cluster_tables, spark, name), local)
