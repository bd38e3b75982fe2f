"""Rejected records -> ``ops.quarantine``: reason code, detail, source file, batch and the raw record."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812
from pyspark.sql.types import StructType

DDL = (
    "source string, batch_id string, source_file string, row_ref string, reason string, detail string, "
    "raw string, quarantined_at timestamp"
)


def schema() -> StructType:
    """The table's columns (parsing DDL needs an active Spark session)."""
    return StructType.fromDDL(DDL)


NOT_NULL = ["source", "batch_id", "reason", "quarantined_at"]


def quarantine_rows(classified: DataFrame, source: str, quarantined_at: dt.datetime) -> DataFrame:
    """Rows of ``classified`` with a ``reason`` -> the ``ops.quarantine`` shape."""
    return classified.where(F.col("reason").isNotNull()).select(
        F.lit(source).alias("source"),
        "batch_id",
        "source_file",
        "row_ref",
        "reason",
        "detail",
        "raw",
        F.lit(quarantined_at).cast("timestamp").alias("quarantined_at"),
    )
