"""Regenerate the README's generated tables: the config keys (from the settings dataclasses) and the
stages (from the stage registry). Tests fail while either block in README.md is stale."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from crm_mining.config.reference import config_reference
from crm_mining.stages import stage_table

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS: dict[str, Callable[[], str]] = {"CONFIG-KEYS": config_reference, "STAGES": stage_table}


def updated(text: str) -> str:
    for name, table in BLOCKS.items():
        block = re.compile(rf"(<!-- {name}:START -->\n).*?(<!-- {name}:END -->)", re.S)
        text = block.sub(lambda m, table=table: m.group(1) + table() + "\n" + m.group(2), text)
    return text


if __name__ == "__main__":
    README.write_text(updated(README.read_text()))
    print(f"updated {README}")
