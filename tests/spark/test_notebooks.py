"""The notebooks run as Databricks runs a source-format notebook: cell by cell, with ``spark`` given.

No ``dbutils`` here, so ``notebook_config`` reads CRM_MINING_LAKEHOUSE and CRM_MINING_SET; ``%pip`` and
``%md`` cells (all ``# MAGIC`` lines) are skipped, as they are Databricks' own.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import functions as F

from crm_mining.stages import pipeline_stages
from crm_mining.tables import Lake
from helpers.landing_files import landing_records

# Tables a first run on this lake cannot write, and why:
NOT_ON_A_FIRST_SMALL_RUN = {
    # no 12-month default window closes on a 12-month lake: rules logs that and skips it (docs/rules.md)
    "gold.exclusion_validation",
}
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
CELL = "# COMMAND ----------"


def python_cells(path: Path) -> list[str]:
    text = path.read_text()
    assert text.startswith("# Databricks notebook source"), f"{path.name} is not a Databricks source notebook"
    cells = [cell.strip() for cell in text.removeprefix("# Databricks notebook source").split(CELL)]
    return [c for c in cells if c and not all(line.startswith("# MAGIC") for line in c.splitlines())]


def run_notebook(name: str, spark) -> dict:
    """Execute the notebook's Python cells in one namespace (as one notebook session would)."""
    path = NOTEBOOKS / name
    namespace: dict = {"spark": spark}
    for cell in python_cells(path):
        exec(compile(cell, str(path), "exec"), namespace)
    return namespace


@pytest.fixture(scope="module")
def lakehouse(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("notebooks") / "lakehouse"


@pytest.fixture(scope="module")
def runs(spark, lakehouse):
    with pytest.MonkeyPatch.context() as env:
        env.delenv("CRM_MINING_CONF", raising=False)
        env.setenv("CRM_MINING_LAKEHOUSE", str(lakehouse))
        env.setenv(
            "CRM_MINING_SET",
            "spark.master=local[2]; generate.customers=120; generate.months=12; features.snapshot_count=8; "
            "segment.k_max=4; segment.n_init=1",
        )
        yield {name: run_notebook(name, spark) for name in sorted(p.name for p in NOTEBOOKS.glob("*.py"))}


def test_every_notebook_takes_its_settings_from_the_environment(runs, lakehouse):
    """No notebook falls back to the built-in ./lakehouse: each reads the widget stand-ins."""
    assert len(runs) >= 3
    for name, namespace in runs.items():
        assert namespace["config"].lake.root == str(lakehouse), name


def test_pipeline_notebook_runs_every_stage_into_the_widget_lakehouse(spark, runs):
    namespace = runs["00_pipeline.py"]
    summary, config = namespace["summary"], namespace["config"]
    assert list(summary) == namespace["stages"] == [s.name for s in pipeline_stages()]
    lake = Lake(config)
    assert lake.read(spark, "silver.customers").count() > 0
    for stage in pipeline_stages():
        for table in stage.writes:
            if table in NOT_ON_A_FIRST_SMALL_RUN:
                continue
            assert lake.exists(spark, table), f"{stage.name} did not write {table}"


def test_ingest_notebook_rerun_adds_nothing_and_shows_the_audit(runs):
    namespace = runs["01_ingest.py"]
    assert all(s["rows_read"] == 0 for s in namespace["summary"]["sources"].values())
    audit = namespace["audit"]
    read = {
        r.source: r.rows_read
        for r in audit.groupBy("source").agg(F.sum("rows_read").alias("rows_read")).collect()
    }
    assert read == landing_records(Path(Lake(namespace["config"]).landing()))


def test_features_notebook_builds_lifecycle_transitions(spark, runs):
    namespace = runs["02_features_and_lifecycle.py"]
    transitions = Lake(namespace["config"]).read(spark, "gold.lifecycle_transitions")
    assert transitions.count() > 0
