"""A job submitted to a real standalone cluster (Master + 2 Workers on 127.0.0.1) writes the same
Delta table content as the same job in local mode.

Kept as small as still proves it (issue #16 part 4): only ingest, the job with the most Delta commits and
shuffles, goes to the cluster, on the small landing zone of every bad-record kind that the session's
local ingest (conftest ``base_ingested``) has already read, and of that only the transactions and the
sources their validation reads (CSV, JSON and Parquet streams, orphan and duplicate checks against
silver): each other source would add its fixed batch time in a fresh driver JVM. Both workers must have
run executors for it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pyspark.sql import functions as F  # noqa: N812
from pyspark.testing import assertDataFrameEqual

from crm_mining.config import load_config
from crm_mining.tables import Lake
from helpers.lake_compare import comparable
from helpers.landing_files import TRANSACTIONS_AND_PARENTS, copy_landing

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from standalone_cluster import StandaloneCluster, build_wheel  # noqa: E402

pytestmark = pytest.mark.slow

COMPARED = [
    "silver.products",
    "silver.customers",
    "silver.accounts",
    "silver.transactions",
    "ops.quarantine",
]
# The local session's partition counts (conf/local.yaml): under spark-submit the session keeps the cluster's
# own settings, and Spark's 200 shuffle partitions and Delta's 50 log-replay partitions turn a 60-customer
# ingest into thousands of tasks (8,125 by its 433rd Spark stage, against 86 by its 94th with these).
# And code generation back on (Spark's default, FALLBACK): the suite's other JVMs evaluate expressions
# interpreted (tests/spark-conf/spark-defaults.conf), so this run, compared with the local one, is also
# the check that generated code writes the same rows as interpreted evaluation.
SMALL_LAKE_CONF = {
    "spark.sql.shuffle.partitions": "4",
    "spark.databricks.delta.snapshotPartitions": "2",
    "spark.sql.codegen.factoryMode": "FALLBACK",
}


def test_cluster_ingest_writes_what_local_ingest_writes(spark, base_ingested, tmp_path):
    wheel = build_wheel(tmp_path / "dist")
    local = Lake(base_ingested["config"])
    local_root = Path(base_ingested["config"].lake.root)
    cluster_root = tmp_path / "cluster-lake"
    copy_landing(local_root, cluster_root, TRANSACTIONS_AND_PARENTS)

    with StandaloneCluster(tmp_path / "cluster", workers=2) as cluster:
        done = cluster.submit(
            ROOT / "jobs" / "ingest.py",
            wheel,
            ["--lakehouse", str(cluster_root), "--set", "ingest.optimize=false"],
            spark_conf=SMALL_LAKE_CONF,
        )
        # Exit 0: the bad records are quarantined, not failures.
        assert done.returncode == 0, f"ingest failed on the cluster:\n{done.stderr[-4000:]}"
        executors = cluster.executor_dirs()
    assert all(executors[i] for i in range(2)), f"both workers must run executors: {executors}"

    on_cluster = Lake(load_config(lakehouse=str(cluster_root)))
    for name in COMPARED:
        want = local.read(spark, name)
        if "source" in want.columns:  # quarantine: the local run's rows of the sources landed here
            want = want.where(F.col("source").isin(*TRANSACTIONS_AND_PARENTS))
        want = comparable(want, local_root)
        assert not want.isEmpty(), name
        assertDataFrameEqual(
            comparable(on_cluster.read(spark, name), cluster_root), want, checkRowOrder=False
        )
