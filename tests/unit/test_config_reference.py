"""The README's config table is generated from the code and must be current."""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

from crm_mining.config import Config
from crm_mining.config.reference import config_reference

ROOT = Path(__file__).resolve().parents[2]


def load_script():
    spec = importlib.util.spec_from_file_location(
        "config_reference", ROOT / "scripts" / "config_reference.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_section_is_documented():
    table = config_reference()
    for section in dataclasses.fields(Config):
        assert f"`{section.name}" in table
    assert "| `spark.jars_dir` | str \\| None | `null` |  | Offline path:" in table
    assert "| `generate.bad_record_rate` | float |" in table


def test_readme_table_is_up_to_date():
    readme = (ROOT / "README.md").read_text()
    assert load_script().updated(readme) == readme, "run: .venv/bin/python scripts/config_reference.py"
