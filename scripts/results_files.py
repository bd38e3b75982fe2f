"""Writing a benchmark's result: the JSON next to its Markdown table (``out`` and ``out`` with ``.md``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path


def write_result(out: str | Path, result: dict, markdown: Callable[[dict], str]) -> Path:
    """Write ``result`` as JSON to ``out`` and ``markdown(result)`` next to it; returns the Markdown's path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    table = out.with_suffix(".md")
    table.write_text(markdown(result))
    return table
