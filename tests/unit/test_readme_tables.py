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


def leaf_keys(config: dict) -> set[str]:
    """``section.key`` for every key of every section; a top-level scalar (``env``) is its own key."""
    keys = set()
    for name, value in config.items():
        keys |= {f"{name}.{key}" for key in value} if isinstance(value, dict) else {name}
    return keys


def test_the_table_has_one_row_per_config_key():
    """Rows found by walking the dataclasses' type hints must match the keys of the config as data."""
    rows = re.findall(r"^\| `([^`]+)` \|", config_reference(), re.M)
    assert len(rows) == len(set(rows)), "a key has two rows"
    assert set(rows) == leaf_keys(dataclasses.asdict(Config()))
    table = config_reference()
    assert "| `spark.jars_dir` | str \\| None | `null` |  | Offline path:" in table
    assert "| `generate.bad_record_rate` | float |" in table


def test_readme_table_is_up_to_date():
    readme = (ROOT / "README.md").read_text()
    assert "<!-- CONFIG-KEYS:START -->" in readme and "<!-- STAGES:START -->" in readme
    assert load_script().updated(readme) == readme, "run: .venv/bin/python scripts/readme_tables.py"
