"""Notebook config selection (no Spark)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from crm_mining.config import ConfigError
from crm_mining.notebook import find_conf, notebook_config
from helpers.databricks import Dbutils

ROOT = Path(__file__).resolve().parents[2]


def test_find_conf_walks_up_from_the_notebooks_folder():
    assert find_conf("databricks", ROOT / "notebooks") == ROOT / "conf" / "databricks.yaml"
    with pytest.raises(ConfigError, match="no conf/nope.yaml"):
        find_conf("nope", ROOT / "notebooks")


def test_environment_variables_outside_databricks(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT / "notebooks")
    monkeypatch.setenv("CRM_MINING_LAKEHOUSE", str(tmp_path))
    monkeypatch.setenv("CRM_MINING_SET", "generate.customers=77; generate.months=3")
    config = notebook_config()
    assert (config.env, config.lake.root, config.generate.customers, config.generate.months) == (
        "local",
        str(tmp_path),
        77,
        3,
    )


def test_widgets_on_databricks(monkeypatch):
    monkeypatch.chdir(ROOT / "notebooks")
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "17.3")
    dbutils = Dbutils({"set": "lake.schema=crm_dev"})  # a job parameter; conf and lakehouse keep defaults
    config = notebook_config(dbutils)
    assert (config.env, config.lake.mode, config.lake.schema) == ("databricks", "catalog", "crm_dev")
    assert dbutils.widgets.values == {"conf": "databricks", "lakehouse": "", "set": "lake.schema=crm_dev"}


def test_the_notebooks_are_current_with_the_registry():
    spec = importlib.util.spec_from_file_location("notebooks_script", ROOT / "scripts" / "notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    wanted = module.notebooks()
    assert sorted(p.name for p in (ROOT / "notebooks").glob("*.py")) == sorted(wanted), (
        "run scripts/notebooks.py"
    )
    for name, text in wanted.items():
        assert ((ROOT / "notebooks") / name).read_text() == text, (
            f"notebooks/{name} is stale: run scripts/notebooks.py"
        )
