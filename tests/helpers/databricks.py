"""Stand-ins for what Databricks gives a notebook: ``dbutils.widgets`` and ``display``."""

from __future__ import annotations


class Widgets:
    """``dbutils.widgets``: ``text`` creates a widget with its default unless a value was set (as a job
    parameter sets it); ``get`` reads it. ``defaults`` keeps what each notebook declared."""

    def __init__(self, values: dict[str, str]):
        self.values = dict(values)
        self.defaults: dict[str, str] = {}

    def text(self, name: str, default: str, label: str | None = None) -> None:
        self.defaults[name] = default
        self.values.setdefault(name, default)

    def get(self, name: str) -> str:
        return self.values[name]


class Dbutils:
    def __init__(self, values: dict[str, str]):
        self.widgets = Widgets(values)


class Display:
    """``display``: records each object it was given, in order."""

    def __init__(self):
        self.shown: list = []

    def __call__(self, obj) -> None:
        self.shown.append(obj)
