"""The whole pipeline: every built stage of the registry, in its order, each reading and writing Delta tables."""

from __future__ import annotations

import logging
import time

from pyspark.sql import SparkSession

from crm_mining.config import Config
from crm_mining.stages import pipeline_stages

log = logging.getLogger(__name__)


def run_pipeline(spark: SparkSession, config: Config) -> dict:
    """Run each stage of ``stages.pipeline_stages()`` in order; return each stage's summary and seconds."""
    summary = {}
    stages = pipeline_stages()
    for number, stage in enumerate(stages, start=1):
        started = time.monotonic()
        log.info("stage %d/%d %s: starting", number, len(stages), stage.name)
        result = stage.run(spark, config)
        seconds = round(time.monotonic() - started, 1)
        log.info("stage %s: done in %.1fs", stage.name, seconds)
        summary[stage.name] = {"seconds": seconds, **(result or {})}
    return summary
