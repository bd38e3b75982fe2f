"""One logging setup for the CLI, jobs and notebooks."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


class CurrentStderr(logging.StreamHandler):
    """A handler on whatever ``sys.stderr`` is when a record is written, as logging's own last resort.
    One holding the stderr of its setup time writes to a closed stream once that is replaced and closed
    (a notebook cell's or a test's captured output) and prints a "Logging error" traceback instead."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):  # noqa: D102 (the handler's stream is always the current stderr)
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def setup_logging(verbose: bool = False) -> None:
    """Log crm_mining at INFO (DEBUG with verbose); keep py4j's chatter down."""
    logging.basicConfig(
        handlers=[CurrentStderr()],
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        force=True,
    )
    logging.getLogger("py4j").setLevel(logging.WARNING)
    # py4j logs an exception raised in a Python callback (ingest's foreachBatch) at ERROR, with its whole
    # traceback; the exception then reaches the caller, which reports it in one line (the trace: --verbose).
    logging.getLogger("py4j.clientserver").setLevel(logging.WARNING if verbose else logging.CRITICAL)


@contextmanager
def timed(spark: SparkSession, timings: dict[str, float], step: str, label: str) -> Iterator[None]:
    """Add the seconds spent in the block to ``timings[step]`` and label its Spark jobs ``label: step``
    (the Spark UI and event log then say which step a job belongs to)."""
    describe(spark, f"{label}: {step}")
    started = time.monotonic()
    try:
        yield
    finally:
        timings[step] = round(timings.get(step, 0.0) + time.monotonic() - started, 1)
        describe(spark, None)


def describe(spark: SparkSession, text: str | None) -> None:
    try:
        spark.sparkContext.setJobDescription(text)
    except Exception:  # Spark Connect has no SparkContext; labels are a nicety
        logging.getLogger(__name__).debug("could not set the Spark job description")
