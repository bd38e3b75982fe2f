"""Markdown reference of every config key, generated from the settings dataclasses.

Descriptions are the comment lines directly above each field in the source, so the code is
the single place a key is documented. ``scripts/readme_tables.py`` writes it into README.md.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import textwrap
import typing
from typing import Any, get_type_hints

from crm_mining.config import Config
from crm_mining.config.validate import section_default


def field_comments(cls: type) -> dict[str, str]:
    """Field name -> the comment block right above its definition in ``cls``."""
    lines, _ = inspect.getsourcelines(cls)
    source = textwrap.dedent("".join(lines))
    body = ast.parse(source).body[0].body
    text = source.splitlines()
    comments = {}
    for node in body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            block, row = [], node.lineno - 2
            while row >= 0 and text[row].strip().startswith("#"):
                block.insert(0, text[row].strip().lstrip("#").strip())
                row -= 1
            comments[node.target.id] = " ".join(block)
    return comments


def type_text(hint: Any) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    text = getattr(hint, "__name__", None) if origin is None else None
    text = text or str(hint).replace("typing.", "").replace("datetime.", "")
    return text.replace(" | ", " \\| ")


def default_text(field: dataclasses.Field, section: Any) -> str:
    """The default of ``field`` as the loader applies it: from the section's own default when it has one."""
    if (
        section is None
        and field.default is dataclasses.MISSING
        and field.default_factory is dataclasses.MISSING
    ):
        return "(required)"
    value = section_default(field, section)
    if dataclasses.is_dataclass(value) or (
        isinstance(value, list) and value and dataclasses.is_dataclass(value[0])
    ):
        return "see conf"
    return f"`{value}`" if value not in ("", None) else ("`null`" if value is None else '`""`')


def rows(cls: type, prefix: str = "", section: Any = None) -> list[str]:
    """One row per leaf key; ``section`` is the default instance of a nested section (models.risk differs
    from a bare ModelSpec), None at the top."""
    hints, comments = get_type_hints(cls), field_comments(cls)
    out = []
    for field in dataclasses.fields(cls):
        key, hint = f"{prefix}{field.name}", hints[field.name]
        if dataclasses.is_dataclass(hint):
            out.extend(rows(hint, f"{key}.", section_default(field, section)))
            continue
        bounds = ", ".join(f"{k} {v}" for k, v in field.metadata.items() if k in ("min", "max"))
        note = comments.get(field.name, "")
        out.append(f"| `{key}` | {type_text(hint)} | {default_text(field, section)} | {bounds} | {note} |")
    return out


def config_reference() -> str:
    header = ["| key | type | default | bounds | meaning |", "|---|---|---|---|---|"]
    return "\n".join(header + rows(Config))
