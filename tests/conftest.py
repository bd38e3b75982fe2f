"""Shared fixtures. The Spark session is session-scoped: one JVM for the whole suite."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from crm_mining.config import Config, load_config

# pytest-xdist workers run under `python -c` (execnet), whose __main__ has no __file__ and no spec; then
# pyspark.sql.connect (which mlflow imports) takes itself for a doctest run and sys.exit(0)s when Spark
# Connect's optional packages are missing. Give the worker's __main__ a file name.
_main = sys.modules["__main__"]
if getattr(_main, "__spec__", None) is None and not hasattr(_main, "__file__"):
    _main.__file__ = "<pytest-xdist worker>"

# Every JVM the suite starts (its session, child processes, the standalone cluster) reads the tests' Spark
# defaults: expressions interpreted, not code-generated (tests/spark-conf/spark-defaults.conf says why).
# Set before any JVM starts, and inherited by every child process.
os.environ["SPARK_CONF_DIR"] = str(Path(__file__).resolve().parent / "spark-conf")

# `make test` runs the suite on two pytest-xdist workers (--dist loadgroup). Every user of the shared
# 400-customer lake runs on one worker, so it is built once; every other module runs whole on one worker,
# so its module fixtures are built once, except the modules below, whose fixtures are cheap and whose
# tests are long, so they spread across both. The largest units go first (longest-first balances best).
# Grouping needs pytest < 9.2 with pytest-xdist 3.8 (see pyproject.toml); `pytest -n 2 -v` shows each test's
# "@group" suffix when it works.
SHARED_LAKE_GROUP = "sample_lake"
SPREAD_PER_TEST = ("test_ingest_crash.py",)
# test_models_risk is one 450-second test: scheduled at its alphabetical place it ran last on one worker
# while the other had finished (CI of 8fea5f6: workers 2,186 s and 2,436 s).
LARGEST_FIRST = (
    SHARED_LAKE_GROUP,
    "test_standalone_cluster.py",
    "test_ingest_crash.py",
    "test_notebooks.py",
    "test_models_risk.py",
)
# Within the shared lake's group: the report copies the lake and runs only the stages whose tables are not
# there yet, so it goes after the modules that write the rules, segment and model tables to the lake.
SHARED_LAKE_LAST = "test_report_browser.py"


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the xdist_group marks
def pytest_collection_modifyitems(config, items):
    modules_on_the_shared_lake = {
        item.path.name for item in items if SHARED_LAKE_GROUP in getattr(item, "fixturenames", ())
    }
    for item in items:
        name = item.path.name
        if name in modules_on_the_shared_lake:
            item.add_marker(pytest.mark.xdist_group(SHARED_LAKE_GROUP))
        elif name not in SPREAD_PER_TEST:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))

    def rank(item) -> tuple[int, bool]:
        group = SHARED_LAKE_GROUP if item.path.name in modules_on_the_shared_lake else item.path.name
        order = LARGEST_FIRST.index(group) if group in LARGEST_FIRST else len(LARGEST_FIRST)
        return order, item.path.name == SHARED_LAKE_LAST

    items.sort(key=rank)  # stable: each module keeps its own order


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    from crm_mining.session import get_spark

    warehouse = tmp_path_factory.mktemp("warehouse")
    config = load_config(
        overrides=["spark.master=local[2]", f"spark.conf={{spark.sql.warehouse.dir: '{warehouse}'}}"]
    )
    session = get_spark(config)
    yield session
    session.stop()


@pytest.fixture
def config(tmp_path) -> Config:
    """Local config whose lake lives in this test's tmp_path."""
    return load_config(overrides=["spark.master=local[2]"], lakehouse=str(tmp_path / "lakehouse"))


@contextlib.contextmanager
def built_once_per_run(tmp_path_factory, name: str):
    """(folder, done file): a folder built once per pytest run, also across pytest-xdist workers.

    Under xdist every worker's temp folder sits in one per-run folder; the first worker to take the lock
    builds, the others wait on it and reuse what the builder wrote (while the builder has both cores)."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        folder = tmp_path_factory.mktemp(name)
        yield folder, folder / "done.json"
        return
    folder = tmp_path_factory.getbasetemp().parent / name
    folder.mkdir(exist_ok=True)
    with open(folder.parent / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield folder, folder / "done.json"


@pytest.fixture(scope="session")
def base_ingested(spark, tmp_path_factory) -> dict:
    """``helpers.landing_files.base_landing`` (valid records plus one bad record of every kind), ingested
    once per run (across xdist workers): {"config", "lake", "runs": [its summary, as JSON gives it back]}.
    For the modules that only read it (test_ingest, test_tokens) or copy its landing files and compare with
    its tables (test_ingest_crash)."""
    from crm_mining.ingest import ingest_lake
    from crm_mining.tables import Lake
    from helpers.landing_files import base_landing

    with built_once_per_run(tmp_path_factory, "base") as (folder, done):
        # Each month holds a file of each of the CSV, JSON and Parquet batches: below the default
        # ingest.optimize_min_files, so 2 makes the run end with the OPTIMIZE that test_ingest checks.
        overrides = ["spark.master=local[2]", "ingest.optimize_min_files=2"]
        config = load_config(overrides=overrides, lakehouse=str(folder / "lakehouse"))
        if not done.exists():  # also after a builder that failed half way: start again
            shutil.rmtree(folder / "lakehouse", ignore_errors=True)
            base_landing(Path(Lake(config).landing()))
            done.write_text(json.dumps([ingest_lake(spark, config)], default=str))
        runs = json.loads(done.read_text())
    return {"config": config, "lake": Lake(config), "runs": runs}


@pytest.fixture(scope="session")
def sample_lake(spark, tmp_path_factory) -> Config:
    """A small generated lake run through generate, ingest, features and lifecycle, built once per session.

    For test modules that read the built gold tables (rules, segments, models). They may add their own
    stage's tables to it but must not change what is there. The default 24 months, 15 snapshots and
    label horizons (churn 3 months, default 6) give closed label windows for an out-of-time split of both
    models; only the customer count is smaller than the README sample's 2000, and ingest skips OPTIMIZE.
    """
    from crm_mining.features import build_features
    from crm_mining.generate import generate_lake
    from crm_mining.ingest import ingest_lake
    from crm_mining.lifecycle import build_lifecycle

    config = load_config(
        overrides=[
            "spark.master=local[2]",
            "generate.customers=400",
            "ingest.optimize=false",  # compacts files, not rows; no reader of this lake asserts it (15-25 s)
        ],
        lakehouse=str(tmp_path_factory.mktemp("sample") / "lakehouse"),
    )
    for stage in (generate_lake, ingest_lake, build_features, build_lifecycle):
        stage(spark, config)
    return config
