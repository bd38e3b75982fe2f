"""Stage `ingest`. Entry point: `ingest_lake(spark, config) -> summary dict`."""

from __future__ import annotations

from crm_mining import NotBuiltYet


def ingest_lake(spark, config) -> dict:
    raise NotBuiltYet("ingest_lake", "bank lake generator and ingestion")
