"""databricks.yml: one wheel task per pipeline stage, in order, each a command the wheel really has."""

from __future__ import annotations

import importlib
import importlib.util
import re
import tomllib
from pathlib import Path

import yaml

from crm_mining.cli import build_parser
from crm_mining.stages import pipeline_stages

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = yaml.safe_load((ROOT / "databricks.yml").read_text())
TASKS = BUNDLE["resources"]["jobs"]["crm_mining_pipeline"]["tasks"]
VARIABLE = re.compile(r"\$\{[^}]+\}")


def test_tasks_are_the_pipeline_stages_in_order_each_after_the_one_before():
    names = [t["task_key"] for t in TASKS]
    assert names == [s.name for s in pipeline_stages()]
    assert "depends_on" not in TASKS[0]
    for before, task in zip(TASKS, TASKS[1:], strict=False):
        assert task["depends_on"] == [{"task_key": before["task_key"]}], task["task_key"]


def test_every_task_calls_a_real_entry_point_with_arguments_the_cli_accepts():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    for task in TASKS:
        wheel = task["python_wheel_task"]
        assert wheel["package_name"] == "crm_mining"
        module, function = scripts[wheel["entry_point"]].split(":")
        assert callable(getattr(importlib.import_module(module), function))
        # the bundle's ${...} variables are filled in by Databricks: stand in a value for each
        arguments = [VARIABLE.sub("x", p) for p in wheel["parameters"]]
        parsed = build_parser().parse_args(arguments)
        assert parsed.command == task["task_key"]
        assert (ROOT / "conf" / "databricks.yaml").is_file()


def test_dev_and_prod_targets_write_different_schemas():
    targets = BUNDLE["targets"]
    assert set(targets) == {"dev", "prod"}
    assert targets["dev"]["variables"]["schema"] != targets["prod"]["variables"]["schema"]


def test_the_bundle_is_current_with_the_registry():
    spec = importlib.util.spec_from_file_location(
        "databricks_bundle", ROOT / "scripts" / "databricks_bundle.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (ROOT / "databricks.yml").read_text() == module.bundle_text(), (
        "databricks.yml is stale: run scripts/databricks_bundle.py"
    )
