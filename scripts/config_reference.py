"""Regenerate the config-key table in README.md from the settings dataclasses."""

from __future__ import annotations

import re
from pathlib import Path

from crm_mining.config.reference import config_reference

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"(<!-- CONFIG-KEYS:START -->\n).*?(<!-- CONFIG-KEYS:END -->)", re.S)


def updated(text: str) -> str:
    return BLOCK.sub(lambda m: m.group(1) + config_reference() + "\n" + m.group(2), text)


if __name__ == "__main__":
    README.write_text(updated(README.read_text()))
    print(f"updated {README}")
