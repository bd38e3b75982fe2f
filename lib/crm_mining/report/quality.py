"""Data quality: the lake overview (every registered table: rows, Delta version, last write) and the
ingest accounting (ops.ingest_audit, ops.quarantine)."""

from __future__ import annotations

import numpy as np
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)

from crm_mining.report.charts import chart, label
from crm_mining.report.page import Section, table
from crm_mining.report.source import Source, rows
from crm_mining.tables import TABLES


def lake_overview(source: Source) -> list[tuple]:
    """(table, rows, Delta version, last written) per registered table that exists; one row per table."""
    overview = []
    for name in TABLES:
        if name == "gold.crm_cube" or not source.lake.exists(source.spark, name):
            continue
        # history(1) is one row; the rows are those of that version (its checksum file, or Delta's count).
        last = source.lake.delta(source.spark, name).history(1).select("version", "timestamp").first()
        count = source.lake.rows(source.spark, name, last["version"])
        overview.append((name, count, last["version"], last["timestamp"].strftime("%Y-%m-%d %H:%M")))
    return overview


def quality_section(source: Source) -> Section:
    section = Section("quality", "Data quality")
    section.heading("Lake overview")
    overview = lake_overview(source)
    if overview:
        section.add(table(["table", "rows", "Delta version", "last written (UTC)"], overview))
    else:
        section.missing("No tables in the lake", "ingest")

    section.heading("Ingest accounting")
    audit = source.table("ops.ingest_audit")
    if audit is None:
        section.missing("Ingest accounting (ops.ingest_audit)", "ingest")
        return section
    # One row per source (seven sources).
    per_source = rows(
        audit.groupBy("source")
        .agg(
            F.count(F.lit(1)).alias("batches"),
            F.sum("rows_read").alias("read"),
            F.sum("rows_written").alias("written"),
            F.sum("rows_quarantined").alias("quarantined"),
            F.sum("duplicates").alias("duplicates"),
            F.min(F.col("balanced").cast("int")).alias("balanced"),
        )
        .orderBy("source")
    )
    section.add(
        table(
            ["source", "batches", "rows read", "written", "quarantined", "duplicates", "balanced"],
            [
                (r.source, r.batches, r.read, r.written, r.quarantined, r.duplicates, bool(r.balanced))
                for r in per_source
            ],
        )
    )
    blocks = [
        chart(
            "ingest-accounting",
            "Rows read per source, split into written, quarantined and duplicates (log scale).",
            lambda fig: accounting_chart(fig, per_source),
        )
    ]
    quarantine = source.table("ops.quarantine")
    if quarantine is not None:
        # One row per reason code (twelve codes).
        reasons = rows(quarantine.groupBy("reason").count().orderBy(F.desc("count")))
        if reasons:
            blocks.append(
                chart(
                    "quarantine-reasons",
                    "Quarantined rows by reason code, all sources.",
                    lambda fig: reasons_chart(fig, reasons),
                )
            )
    section.grid(blocks)
    return section


def accounting_chart(figure, per_source) -> None:
    axes = figure.add_subplot()
    names = [r.source for r in per_source]
    x = np.arange(len(names))
    for i, (field, colour) in enumerate(
        (("written", "#2f855a"), ("quarantined", "#c05621"), ("duplicates", "#6b46c1"))
    ):
        values = [max(getattr(r, field) or 0, 0) for r in per_source]
        axes.bar(x + (i - 1) * 0.27, values, width=0.27, label=field, color=colour)
    axes.set_yscale("symlog", linthresh=10)
    axes.set_xticks(x, names, rotation=30, ha="right")
    axes.legend(fontsize=8)
    label(axes, "Ingest accounting per source", "source", "rows (log scale)")


def reasons_chart(figure, reasons) -> None:
    axes = figure.add_subplot()
    axes.barh([r.reason for r in reasons][::-1], [r["count"] for r in reasons][::-1], color="#c05621")
    label(axes, "Quarantine by reason", "rows quarantined", "reason code")
