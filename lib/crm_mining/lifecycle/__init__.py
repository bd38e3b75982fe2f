"""Stage `lifecycle`. Entry point: `build_lifecycle(spark, config) -> summary dict`."""

from __future__ import annotations

from crm_mining import NotBuiltYet


def build_lifecycle(spark, config) -> dict:
    raise NotBuiltYet("build_lifecycle", "customer 360 features, lifecycle")
