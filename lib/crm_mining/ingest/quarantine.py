"""Rejected records -> ``ops.quarantine``: reason code, detail, source file, batch and the raw record.

Quarantine is read by data stewards, not only by those allowed to read bronze, so it holds no PII: the
values of the contract's PII fields were replaced by ``[pii]`` in validation, and the free-text rules of
``crm_mining.pii`` mask the records of sources that hold PII or free text (customers, interactions), and
every record that did not parse into fields. The other sources' records keep every character: their
amounts, dates and ids are the evidence a steward needs, and a rule for phone numbers would take some of
them. Bronze keeps the record as it landed, under bronze's access class.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F  # noqa: N812
from pyspark.sql.types import StructType

from crm_mining.landing import Source
from crm_mining.pii import mask_pii

DDL = (
    "source string, batch_id string, source_file string, row_ref string, reason string, detail string, "
    "raw string, quarantined_at timestamp"
)


def schema() -> StructType:
    """The table's columns (parsing DDL needs an active Spark session)."""
    return StructType.fromDDL(DDL)


NOT_NULL = ["source", "batch_id", "reason", "quarantined_at"]


def quarantine_rows(classified: DataFrame, source: Source, quarantined_at: dt.datetime) -> DataFrame:
    """Rows of ``classified`` with a ``reason`` -> the ``ops.quarantine`` shape, PII-masked (module doc).

    ``detail`` is not masked: it quotes the values of non-PII fields only (validate.bad)."""
    unparsed = F.col("reason").isin("MALFORMED_ROW", "SCHEMA_DRIFT")

    def masked(column: str) -> Column:
        text = F.col(column)
        return (
            mask_pii(text) if source.may_hold_pii else F.when(unparsed, mask_pii(text)).otherwise(text)
        ).alias(column)

    return classified.where(F.col("reason").isNotNull()).select(
        F.lit(source.name).alias("source"),
        "batch_id",
        "source_file",
        masked("row_ref"),  # the raw record when its key is incomplete
        "reason",
        "detail",
        masked("raw"),
        F.lit(quarantined_at).cast("timestamp").alias("quarantined_at"),
    )
