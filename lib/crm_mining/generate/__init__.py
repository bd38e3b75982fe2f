"""Stage `generate`. Entry point: `generate_lake(spark, config) -> summary dict`."""

from __future__ import annotations

from crm_mining import NotBuiltYet


def generate_lake(spark, config) -> dict:
    raise NotBuiltYet("generate_lake", "bank lake generator and ingestion")
