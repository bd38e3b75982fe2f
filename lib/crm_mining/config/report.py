"""Settings for `crm-mining report`: the self-contained HTML report of the gold tables."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ReportSettings:
    # Where the HTML file goes; null = <lake root>/report/crm_report.html (a local path: the report is one file).
    path: str | None = None
    # Rules shown in the top-rules table and drawn in the rules network (the strongest by lift).
    top_rules: int = field(default=15, metadata={"min": 1, "max": 200})
    # Features shown in the importances chart, per model.
    top_features: int = field(default=12, metadata={"min": 1, "max": 100})
    # The report's heading and the HTML title.
    title: str = "CRM mining report"
