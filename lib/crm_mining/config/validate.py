"""Generic, typed loading of nested dataclasses from plain dicts (parsed YAML).

Every error names the dotted key and what is allowed, so a bad config stops the
run with one readable line instead of a stack trace.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from typing import Any, Literal, get_args, get_origin, get_type_hints

from crm_mining import CrmMiningError


class ConfigError(CrmMiningError):
    """The configuration is invalid; the message names the key and what is allowed."""


def build(cls: type, data: Any, path: str = "", base: Any = None) -> Any:
    """Build dataclass ``cls`` from ``data``, rejecting unknown keys and bad values.

    Keys missing from ``data`` take their value from ``base`` (an instance of ``cls``) when given, else the
    class defaults. A section's ``base`` is its field's own default: ``models.risk`` defaults to the credit
    risk spec, not to a bare ``ModelSpec``, so ``--set models.risk.split.method=random`` keeps its label.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"'{path or 'config'}' must be a mapping, got {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        key = f"{path}.{unknown[0]}" if path else unknown[0]
        raise ConfigError(f"unknown config key '{key}'; allowed keys here: {', '.join(sorted(fields))}")
    hints = get_type_hints(cls)
    values = {}
    for name, value in data.items():
        key = f"{path}.{name}" if path else name
        section = hints[name] if dataclasses.is_dataclass(hints[name]) and isinstance(value, dict) else None
        if section:
            values[name] = build(section, value, key, section_default(fields[name], base))
        else:
            values[name] = coerce(hints[name], value, key)
        check_bounds(fields[name], values[name], key)
    if base is not None:
        values = {n: getattr(base, n) for n in fields if n not in values} | values
    obj = cls(**values)
    validate_hook = getattr(obj, "validate", None)
    if validate_hook:
        validate_hook(path)
    return obj


def section_default(field: dataclasses.Field, parent: Any) -> Any:
    """The value a nested section starts from: the parent's (when it has a base), else the field default."""
    if parent is not None:
        return getattr(parent, field.name)
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return None if field.default is dataclasses.MISSING else field.default


def check_bounds(field: dataclasses.Field, value: Any, key: str) -> None:
    low, high = field.metadata.get("min"), field.metadata.get("max")
    if value is None or (low is None and high is None):
        return
    items = value if isinstance(value, list) else [value]
    for item in items:
        if (low is not None and item < low) or (high is not None and item > high):
            raise ConfigError(f"'{key}' = {value!r} is out of range; allowed: {bounds_text(low, high)}")


def bounds_text(low: Any, high: Any) -> str:
    if high is None:
        return f">= {low}"
    if low is None:
        return f"<= {high}"
    return f"{low} to {high}"


def coerce(hint: Any, value: Any, key: str) -> Any:
    """Convert ``value`` to the type ``hint`` or raise a ConfigError naming ``key``."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return coerce(inner[0], value, key)
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"'{key}' = {value!r} is not allowed; allowed: {', '.join(map(str, args))}")
        return value
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"'{key}' must be a list, got {value!r}")
        return [coerce(args[0], item, f"{key}[{i}]") for i, item in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"'{key}' must be a mapping, got {value!r}")
        return {str(k): coerce(args[1], v, f"{key}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(hint):
        return build(hint, value, key)
    return coerce_scalar(hint, value, key)


def coerce_scalar(hint: type, value: Any, key: str) -> Any:
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"'{key}' must be true or false, got {value!r}")
    if hint is dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise ConfigError(f"'{key}' must be a date like 2025-01-31, got {value!r}") from None
    if hint in (int, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"'{key}' must be a number ({hint.__name__}), got {value!r}")
        if hint is int and value != int(value):
            raise ConfigError(f"'{key}' must be a whole number, got {value!r}")
        return hint(value)
    if hint is str:
        if isinstance(value, dict | list) or value is None:
            raise ConfigError(f"'{key}' must be a string, got {value!r}")
        return str(value)
    if hint is typing.Any:
        return value
    raise ConfigError(f"'{key}' has an unsupported type {hint!r}")
