"""Quality gates: checks the pipeline runs right after a stage writes a table, before anything reads it.

Each gate is a small aggregate over one table (a few numbers reach the driver). A miss stops the run
with one line naming the check, the table and the figure against its limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from crm_mining import CrmMiningError
from crm_mining.config.pipeline import ColumnCheck, GateSettings
from crm_mining.tables import TABLES, Lake

AUDIT = "ops.ingest_audit"


class GateFailed(CrmMiningError):
    """A quality gate missed its limit; the message names the check, the table and the figures."""


@dataclass(frozen=True)
class GateResult:
    check: str
    table: str
    figure: str
    passed: bool

    def text(self) -> str:
        return f"{self.check} on {self.table}: {self.figure}"


def check_gate_config(settings: GateSettings, written_by_pipeline: set[str]) -> None:
    """Every column check must name a table a pipeline stage writes (else it would never run)."""
    for index, check in enumerate(settings.checks):
        if check.table not in TABLES or check.table not in written_by_pipeline:
            raise CrmMiningError(
                f"'pipeline.gates.checks[{index}].table' = {check.table!r} is not written by any pipeline "
                f"stage, so its gate would never run"
            )


def run_gates(
    spark: SparkSession, lake: Lake, settings: GateSettings, written: tuple[str, ...], summary: dict
) -> list[GateResult]:
    """The gates on the tables a stage just wrote; raise GateFailed on the first table that misses one."""
    if not settings.enabled:
        return []
    results: list[GateResult] = []
    if AUDIT in written and summary.get("run_id"):
        results += ingest_gates(lake.read(spark, AUDIT).where(F.col("run_id") == summary["run_id"]), settings)
    for check in settings.checks:
        if check.table in written:
            results += column_gates(lake.read(spark, check.table), check)
    failed = [r for r in results if not r.passed]
    if failed:
        raise GateFailed("quality gate failed: " + "; ".join(r.text() for r in failed))
    return results


def ingest_gates(audit: DataFrame, settings: GateSettings) -> list[GateResult]:
    """Accounting and quarantine rate per source, over this ingest run's audit rows."""
    per_source = (
        audit.groupBy("source")
        .agg(
            F.sum("rows_read").alias("read"),
            F.sum("rows_written").alias("written"),
            F.sum("rows_quarantined").alias("quarantined"),
            F.sum("duplicates").alias("duplicates"),
        )
        .orderBy("source")
        .collect()  # one row per landing source
    )
    results = []
    for row in per_source:
        if settings.balanced_ingest:
            accounted = row["written"] + row["quarantined"] + row["duplicates"]
            results.append(
                GateResult(
                    "balanced ingest",
                    f"{AUDIT} source {row['source']}",
                    f"read {row['read']}, written + quarantined + duplicates {accounted}",
                    row["read"] == accounted,
                )
            )
        if row["read"] >= max(settings.quarantine_min_rows, 1):
            rate = row["quarantined"] / row["read"]
            results.append(
                GateResult(
                    "quarantine rate",
                    f"{AUDIT} source {row['source']}",
                    f"{rate:.2%} quarantined against a {settings.max_quarantine_rate:.2%} ceiling "
                    f"({row['quarantined']} of {row['read']})",
                    rate <= settings.max_quarantine_rate,
                )
            )
    return results


def column_gates(table: DataFrame, check: ColumnCheck) -> list[GateResult]:
    """Null rate and range of one column, in one aggregate."""
    if check.column not in table.columns:
        raise GateFailed(f"quality gate on {check.table}: no column '{check.column}' (pipeline.gates.checks)")
    # The range needs numbers; a text column (an id, a stage name) can still be null-checked.
    value = F.col(check.column).cast("double")
    ranged = check.min is not None or check.max is not None
    stats = table.agg(
        F.count(F.lit(1)).alias("rows"),
        F.count(check.column).alias("non_null"),
        (F.min(value) if ranged else F.lit(None)).alias("low"),
        (F.max(value) if ranged else F.lit(None)).alias("high"),
    ).first()
    where = f"{check.table}.{check.column}"
    results = []
    if check.max_null_rate is not None:
        rate = 0.0 if stats["rows"] == 0 else 1 - stats["non_null"] / stats["rows"]
        results.append(
            GateResult(
                "null rate",
                where,
                f"{rate:.2%} null against a {check.max_null_rate:.2%} limit",
                rate <= check.max_null_rate,
            )
        )
    if check.min is not None and stats["low"] is not None:
        results.append(
            GateResult(
                "minimum", where, f"lowest {stats['low']:g} against {check.min:g}", stats["low"] >= check.min
            )
        )
    if check.max is not None and stats["high"] is not None:
        results.append(
            GateResult(
                "maximum",
                where,
                f"highest {stats['high']:g} against {check.max:g}",
                stats["high"] <= check.max,
            )
        )
    return results
