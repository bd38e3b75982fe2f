"""The whole pipeline: every built stage in order, each reading and writing Delta tables."""

from __future__ import annotations

import logging
import time

from pyspark.sql import SparkSession

from crm_mining.config import Config
from crm_mining.features import build_features
from crm_mining.generate import generate_lake
from crm_mining.ingest import ingest_lake
from crm_mining.lifecycle import build_lifecycle

log = logging.getLogger(__name__)

STAGES = [
    ("generate", generate_lake),
    ("ingest", ingest_lake),
    ("features", build_features),
    ("lifecycle", build_lifecycle),
]


def run_pipeline(spark: SparkSession, config: Config) -> dict:
    """Run generate -> ingest -> features -> lifecycle; return each stage's summary and seconds."""
    summary = {}
    for name, stage in STAGES:
        started = time.monotonic()
        log.info("stage %s: starting", name)
        result = stage(spark, config)
        seconds = round(time.monotonic() - started, 1)
        log.info("stage %s: done in %.1fs", name, seconds)
        summary[name] = {"seconds": seconds, **(result or {})}
    return summary
