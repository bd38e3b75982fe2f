"""Stage `features`. Entry point: `build_features(spark, config) -> summary dict`."""

from __future__ import annotations

from crm_mining import NotBuiltYet


def build_features(spark, config) -> dict:
    raise NotBuiltYet("build_features", "customer 360 features")
