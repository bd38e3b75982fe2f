"""Stage `report`. Entry point: `build_report(spark, config) -> summary dict`.

Reads the gold tables (and ops.ingest_audit / ops.quarantine) through ``crm_mining.tables.Lake`` at the
versions of the last finished run (``report_table_versions``), and writes one self-contained HTML file
(``report.path``, default ``<lake root>/report/crm_report.html``): charts are inline SVG, the style is
inline, there is no script and no external resource, so it opens on a closed bank network. A section
whose stage has not run says which command to run. See docs/report.md.
"""

from __future__ import annotations

import datetime as dt
import os
import time

from pyspark.sql import SparkSession

from crm_mining import CrmMiningError
from crm_mining.config import Config
from crm_mining.report.crosssell import crosssell_section
from crm_mining.report.lifecycle import lifecycle_section, value_section
from crm_mining.report.models import models_section
from crm_mining.report.page import page
from crm_mining.report.quality import quality_section
from crm_mining.report.segments import segments_section
from crm_mining.report.source import Source, report_table_versions
from crm_mining.tables import URI_SCHEME, Lake, absolute

__all__ = ["build_report", "report_path", "report_table_versions"]


def report_path(config: Config) -> str:
    """Where the HTML goes: ``report.path`` or <lake root>/report/crm_report.html (a local file path)."""
    path = config.report.path or f"{absolute(config.lake.root).rstrip('/')}/report/crm_report.html"
    if URI_SCHEME.match(path):
        raise CrmMiningError(
            f"report.path '{path}' is a URI; the report is one local file: set report.path to a local "
            "or mounted path (e.g. /dbfs/... or /Volumes/...)"
        )
    return absolute(path)


def build_report(spark: SparkSession, config: Config) -> dict:
    """Write the HTML report and return where it is, its sections and charts, and what was missing."""
    started = time.monotonic()
    lake = Lake(config)
    source = Source(spark, lake, report_table_versions(spark, config))
    sections = [
        quality_section(source),
        crosssell_section(source, config.report),
        segments_section(source),
        models_section(source, config),
        lifecycle_section(source),
        value_section(source),
    ]
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    versions = (
        "the versions of the last finished run" if source.versions else "the latest version of each table"
    )
    subtitle = f"Lake {lake.settings.root if lake.settings.mode == 'path' else lake.location('gold.crm_cube')} · read at {versions} · generated {generated}"
    html = page(config.report.title, subtitle, sections)
    path = report_path(config)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        out.write(html)
    return {
        "path": path,
        "bytes": len(html.encode("utf-8")),
        "sections": {s.key: s.charts for s in sections},
        "charts": sum(len(s.charts) for s in sections),
        "missing_tables": sorted(source.missing),
        "table_versions": source.versions,
        "seconds": round(time.monotonic() - started, 1),
    }
