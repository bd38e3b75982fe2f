"""Settings for `crm-mining pipeline`: resuming, progress, and the quality gates between stages."""

from __future__ import annotations

from dataclasses import dataclass, field

from crm_mining.config.validate import ConfigError


@dataclass(frozen=True)
class ColumnCheck:
    """A gate on one column of one table, checked right after the stage that writes the table.

    ``max_null_rate`` is a share (0.01 = 1%); ``min``/``max`` bound every non-null value.
    """

    table: str
    column: str
    max_null_rate: float | None = field(default=None, metadata={"min": 0.0, "max": 1.0})
    min: float | None = None
    max: float | None = None

    def validate(self, path: str) -> None:
        if self.max_null_rate is None and self.min is None and self.max is None:
            raise ConfigError(f"'{path}' checks nothing: give max_null_rate, min or max")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ConfigError(f"'{path}.min' ({self.min}) is above '{path}.max' ({self.max})")


def default_checks() -> list[ColumnCheck]:
    """Checks a bank would not run a campaign without: keys present, ages and balances plausible."""
    return [
        ColumnCheck("gold.customer_features", "customer_id", max_null_rate=0.0),
        ColumnCheck("gold.customer_features", "age_years", max_null_rate=0.05, min=16, max=110),
        ColumnCheck("gold.customer_features", "tenure_months", min=0, max=1200),
        ColumnCheck("gold.customer_features", "recency_days", min=0),
        ColumnCheck("gold.lifecycle_stage", "stage", max_null_rate=0.0),
    ]


@dataclass(frozen=True)
class GateSettings:
    enabled: bool = True
    # Every ops.ingest_audit row of this run must satisfy read = written + quarantined + duplicates.
    balanced_ingest: bool = True
    # Share of a source's rows read in this run that went to quarantine (duplicates not counted).
    max_quarantine_rate: float = field(default=0.05, metadata={"min": 0.0, "max": 1.0})
    # Sources that read fewer rows in the run are not rate-checked: one bad row of 12 is not a trend.
    quarantine_min_rows: int = field(default=100, metadata={"min": 0})
    checks: list[ColumnCheck] = field(default_factory=default_checks)


@dataclass(frozen=True)
class PipelineSettings:
    # Continue the last failed run from its failed stage (the stages it finished are not rerun).
    resume: bool = False
    # No live progress display: for schedulers and log files.
    quiet: bool = False
    # Where each run's full JSON summary goes; null = <lake root>/_runs.
    summary_dir: str | None = None
    gates: GateSettings = field(default_factory=GateSettings)
