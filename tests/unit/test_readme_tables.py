"""The README's config and stage tables are generated from the code and must be current."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
from pathlib import Path

from crm_mining.config import Config
from crm_mining.config.reference import config_reference

ROOT = Path(__file__).resolve().parents[2]


def load_script():
    spec = importlib.util.spec_from_file_location("readme_tables", ROOT / "scripts" / "readme_tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def leaf_keys(settings: object, prefix: str = "") -> set[str]:
    """Dotted keys of a settings object: a nested settings dataclass is walked, any other value is a key."""
    keys = set()
    for field in dataclasses.fields(settings):
        value = getattr(settings, field.name)
        key = f"{prefix}{field.name}"
        keys |= leaf_keys(value, key + ".") if dataclasses.is_dataclass(value) else {key}
    return keys


def test_the_table_has_one_row_per_config_key():
    """Rows found by walking the dataclasses' type hints must match the keys of the config as data."""
    rows = re.findall(r"^\| `([^`]+)` \|", config_reference(), re.M)
    assert len(rows) == len(set(rows)), "a key has two rows"
    assert set(rows) == leaf_keys(Config())
    table = config_reference()
    assert "| `spark.jars_dir` | str \\| None | `null` |  | Offline path:" in table
    assert "| `generate.bad_record_rate` | float |" in table


def test_readme_table_is_up_to_date():
    readme = (ROOT / "README.md").read_text()
    assert "<!-- CONFIG-KEYS:START -->" in readme and "<!-- STAGES:START -->" in readme
    assert load_script().updated(readme) == readme, "run: .venv/bin/python scripts/readme_tables.py"
