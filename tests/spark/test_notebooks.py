"""The notebooks run as Databricks runs a source-format notebook: cell by cell, with ``spark`` given.

No ``dbutils`` here, so ``notebook_config`` reads CRM_MINING_LAKEHOUSE and CRM_MINING_SET; ``%pip`` and
``%md`` cells (all ``# MAGIC`` lines) are skipped, as they are Databricks' own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_mining.tables import Lake

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
def runs(spark, tmp_path_factory):
    lakehouse = tmp_path_factory.mktemp("notebooks") / "lakehouse"
    with pytest.MonkeyPatch.context() as env:
        env.delenv("CRM_MINING_CONF", raising=False)
        env.setenv("CRM_MINING_LAKEHOUSE", str(lakehouse))
        env.setenv(
            "CRM_MINING_SET",
            "spark.master=local[2]; generate.customers=120; generate.months=12; features.snapshot_count=3",
        )
        yield {name: run_notebook(name, spark) for name in sorted(p.name for p in NOTEBOOKS.glob("*.py"))}


def test_every_notebook_is_run(runs):
    assert sorted(runs) == ["00_pipeline.py", "01_ingest.py", "02_features_and_lifecycle.py"]


def test_pipeline_notebook_runs_every_stage_into_the_widget_lakehouse(spark, runs):
    namespace = runs["00_pipeline.py"]
    summary, config = namespace["summary"], namespace["config"]
    assert list(summary) == ["generate", "ingest", "features", "lifecycle"]
    assert config.generate.customers == 120
    assert Lake(config).read(spark, "silver.customers").count() > 0
    ingested = summary["ingest"]["sources"]["transactions"]
    assert ingested["rows_written"] > 0
    assert (
        ingested["rows_read"]
        == ingested["rows_written"] + ingested["rows_quarantined"] + ingested["duplicates"]
    )


def test_ingest_notebook_rerun_adds_nothing_and_shows_the_audit(runs):
    namespace = runs["01_ingest.py"]
    assert all(s["rows_read"] == 0 for s in namespace["summary"]["sources"].values())
    audit = namespace["audit"]
    assert audit.count() > 0 and audit.where("NOT balanced").count() == 0


def test_features_notebook_builds_lifecycle_transitions(spark, runs):
    namespace = runs["02_features_and_lifecycle.py"]
    transitions = Lake(namespace["config"]).read(spark, "gold.lifecycle_transitions")
    assert transitions.count() > 0
