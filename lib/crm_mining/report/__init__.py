"""Stage `report` (a later wave). Entry point: `build_report(spark, config) -> summary dict`."""

from __future__ import annotations

from crm_mining import NotBuiltYet


def build_report(spark, config) -> dict:
    raise NotBuiltYet("build_report", "pipeline and report")
