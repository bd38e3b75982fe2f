"""Rejected records -> ``ops.quarantine``: reason code, detail, source file, batch and the raw record.

Quarantine is read by data stewards, not only by those allowed to read bronze, so it holds no PII: the
values of the contract's PII fields were replaced by ``[pii]`` in validation, and the free-text rules of
``crm_mining.pii`` mask what is left (records that did not parse, interaction texts). Bronze keeps the
record as it landed, under bronze's access class.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812
from pyspark.sql.types import StructType

from crm_mining.pii import mask_pii

DDL = (
    "source string, batch_id string, source_file string, row_ref string, reason string, detail string, "
    "raw string, quarantined_at timestamp"
)


def schema() -> StructType:
    """The table's columns (parsing DDL needs an active Spark session)."""
    return StructType.fromDDL(DDL)


NOT_NULL = ["source", "batch_id", "reason", "quarantined_at"]


def quarantine_rows(classified: DataFrame, source: str, quarantined_at: dt.datetime) -> DataFrame:
    """Rows of ``classified`` with a ``reason`` -> the ``ops.quarantine`` shape, free text PII-masked."""
    return classified.where(F.col("reason").isNotNull()).select(
        F.lit(source).alias("source"),
        "batch_id",
        "source_file",
        mask_pii(F.col("row_ref")).alias("row_ref"),  # the raw record when its key is incomplete
        "reason",
        mask_pii(F.col("detail")).alias("detail"),
        mask_pii(F.col("raw")).alias("raw"),
        F.lit(quarantined_at).cast("timestamp").alias("quarantined_at"),
    )
