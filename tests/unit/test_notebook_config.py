"""Notebook config selection (no Spark)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_mining.config import ConfigError
from crm_mining.notebook import find_conf, notebook_config

ROOT = Path(__file__).resolve().parents[2]


class FakeWidgets:
    """Stands in for dbutils.widgets: the same two calls, backed by a dict."""

    def __init__(self, values):
        self.values = values

    def text(self, name, default):
        self.values.setdefault(name, default)

    def get(self, name):
        return self.values[name]


class FakeDbutils:
    def __init__(self, values):
        self.widgets = FakeWidgets(values)


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
    values = {"set": "lake.schema=crm_dev"}
    config = notebook_config(FakeDbutils(values))
    assert (config.env, config.lake.mode, config.lake.schema) == ("databricks", "catalog", "crm_dev")
    assert values["conf"] == "" and values["lakehouse"] == ""
