"""Per-batch accounting: read = written + quarantined + duplicates, checked, then appended to ops.ingest_audit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pyspark.sql.types import StructType

from crm_mining import CrmMiningError
from crm_mining.landing import DUPLICATE_REASONS

DDL = (
    "run_id string, batch_id string, source string, started_at timestamp, finished_at timestamp, "
    "rows_read bigint, rows_written bigint, rows_quarantined bigint, duplicates bigint, "
    "quarantined_by_reason map<string,bigint>, balanced boolean"
)


def schema() -> StructType:
    """The table's columns (parsing DDL needs an active Spark session)."""
    return StructType.fromDDL(DDL)


NOT_NULL = ["run_id", "batch_id", "source", "rows_read", "rows_written", "rows_quarantined", "duplicates"]


class UnbalancedBatch(CrmMiningError):
    """Rows read != written + quarantined + duplicates: something was lost or invented."""


@dataclass
class BatchCounts:
    """Counts of one batch. ``by_reason`` counts every rejected row (duplicates included) by reason code."""

    source: str
    batch_id: str
    rows_read: int
    rows_written: int
    by_reason: dict[str, int] = field(default_factory=dict)
    drift: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # per step of the batch (bronze, silver, ...)

    @property
    def duplicates(self) -> int:
        return sum(n for reason, n in self.by_reason.items() if reason in DUPLICATE_REASONS)

    @property
    def rows_quarantined(self) -> int:
        return sum(n for reason, n in self.by_reason.items() if reason not in DUPLICATE_REASONS)

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.rows_written + self.rows_quarantined + self.duplicates


def check_balance(counts: BatchCounts, quarantine_rows_written: int) -> None:
    """Raise naming source, batch and numbers unless read = written + quarantined + duplicates and the
    quarantine table received exactly the rejected rows (``quarantine_rows_written``, from its commit)."""
    rejected = counts.rows_quarantined + counts.duplicates
    if counts.balanced and quarantine_rows_written == rejected:
        return
    raise UnbalancedBatch(
        f"ingest accounting does not balance for source '{counts.source}' batch '{counts.batch_id}': "
        f"read {counts.rows_read} != written {counts.rows_written} + quarantined {counts.rows_quarantined} "
        f"+ duplicates {counts.duplicates} (quarantine table received {quarantine_rows_written} rows "
        f"for {rejected} rejected)"
    )


def audit_row(run_id: str, counts: BatchCounts, started_at: dt.datetime, finished_at: dt.datetime) -> tuple:
    """One ``ops.ingest_audit`` row (field order of ``SCHEMA``)."""
    return (
        run_id,
        counts.batch_id,
        counts.source,
        started_at,
        finished_at,
        counts.rows_read,
        counts.rows_written,
        counts.rows_quarantined,
        counts.duplicates,
        dict(counts.by_reason),
        counts.balanced,
    )
