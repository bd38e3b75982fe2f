"""Stage `segments` (a later wave). Entry point: `build_segments(spark, config) -> summary dict`."""

from __future__ import annotations

from crm_mining import NotBuiltYet


def build_segments(spark, config) -> dict:
    raise NotBuiltYet("build_segments", "segmentation")
