"""The whole pipeline: every built stage of the registry, in its order, audited in ``ops.pipeline_runs``.

Each stage is recorded with its Delta versions read and written; the quality gates (``gates.py``) run
on the tables a stage wrote before the next stage reads them; a failed run can be resumed from the
stage that failed (``pipeline.resume``). The full summary goes to ``<lake>/_runs/<run_id>.json``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

from pyspark.sql import SparkSession

from crm_mining.completion import run_marked
from crm_mining.config import Config
from crm_mining.gates import check_gate_config, run_gates
from crm_mining.progress import stage_progress
from crm_mining.runs import RUN_IN_PROGRESS, SUCCEEDED, RunAudit, StageRun
from crm_mining.stages import Stage, pipeline_stages
from crm_mining.tables import Lake

log = logging.getLogger(__name__)


def run_pipeline(spark: SparkSession, config: Config) -> dict:
    """Run each stage of ``stages.pipeline_stages()`` in order; return the run's summary.

    Summary: {"run_id", "summary_file", "stages": {stage: {"status", "seconds", ..., stage summary}}}.
    """
    stages = pipeline_stages()
    check_gate_config(config.pipeline.gates, {t for s in stages for t in s.writes})
    audit = RunAudit.begin(spark, config)
    started_at = dt.datetime.now()
    summary: dict = {"run_id": audit.run_id, "resumed": bool(audit.done), "stages": {}}
    written: dict[str, int] = {}
    in_progress = RUN_IN_PROGRESS.set(written)
    try:
        run_stages(spark, config, audit, stages, written, summary)
    finally:
        RUN_IN_PROGRESS.reset(in_progress)
    audit.finish(started_at, written)
    summary["versions"] = written
    summary["summary_file"] = write_summary(config, summary)
    return summary


def run_stages(
    spark: SparkSession,
    config: Config,
    audit: RunAudit,
    stages: tuple[Stage, ...],
    written: dict,
    summary: dict,
) -> None:
    """Each stage in order, skipping those the resumed run finished; ``written`` grows as stages write."""
    with stage_progress(len(stages), quiet=config.pipeline.quiet) as progress:
        for number, stage in enumerate(stages, start=1):
            if stage.name in audit.done:
                written |= audit.done[stage.name]
                summary["stages"][stage.name] = {"status": "done in the resumed run"}
                progress.skip(number, stage.name)
                continue
            progress.start(number, stage.name)
            run = run_stage(spark, config, audit, stage, number)
            written |= run.versions_written
            summary["stages"][stage.name] = run.summary
            progress.finish(number, stage.name, run.record.rows_out)


class StageOutcome:
    def __init__(self, record: StageRun, summary: dict):
        self.record, self.summary = record, summary

    @property
    def versions_written(self) -> dict[str, int]:
        return self.record.versions_written


def run_stage(
    spark: SparkSession, config: Config, audit: RunAudit, stage: Stage, number: int
) -> StageOutcome:
    """Run one stage and its gates, recording the stage in ops.pipeline_runs however it ends."""
    record = StageRun(stage.name, number, dt.datetime.now(), versions_read=audit.versions(stage.reads))
    try:
        record.rows_in = audit.rows(record.versions_read)
        result = run_marked(spark, config, stage, audit.run_id)
        record.versions_written = audit.versions(stage.writes)
        record.rows_out = audit.rows(record.versions_written)
        gates = run_gates(spark, Lake(config), config.pipeline.gates, stage.writes, result)
    except Exception as exc:
        record.ended_at, record.error = dt.datetime.now(), first_line(exc)
        audit.record(record)
        raise
    record.ended_at, record.status = dt.datetime.now(), SUCCEEDED
    audit.record(record)
    log.info("stage %s: done in %.1fs", stage.name, record.seconds)
    return StageOutcome(
        record,
        {
            "status": SUCCEEDED,
            "seconds": record.seconds,
            "rows_in": record.rows_in,
            "rows_out": record.rows_out,
            "gates_passed": len(gates),
            **result,
        },
    )


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"


def write_summary(config: Config, summary: dict) -> str:
    """The run's full JSON summary, under pipeline.summary_dir (default <lake root>/_runs)."""
    folder = Path(config.pipeline.summary_dir or Path(Lake(config).settings.root) / "_runs")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{summary['run_id']}.json"
    path.write_text(json.dumps(summary, indent=2, default=str))
    return str(path)


def summary_text(summary: dict) -> str:
    """The few lines a person reads at the end of a run; the rest is in the JSON file."""
    stages = summary.get("stages", {})
    lines = [f"crm-mining pipeline: run {summary['run_id']} finished"]
    lines += [
        f"  {name:<10} {s.get('status', '')} {s.get('seconds', '')}s".rstrip() for name, s in stages.items()
    ]
    lines += stage_highlights(stages)
    lines.append(f"  full summary: {summary['summary_file']}")
    return "\n".join(lines)


def stage_highlights(stages: dict) -> list[str]:
    """One line each for the results a CRM team asks about first, where the stage ran in this run."""
    lines = []
    lifecycle = stages.get("lifecycle", {})
    if lifecycle.get("customers_by_stage"):
        mix = ", ".join(f"{k} {v}" for k, v in lifecycle["customers_by_stage"].items())
        lines.append(f"  lifecycle mix ({lifecycle.get('latest_snapshot')}): {mix}")
    rules = stages.get("rules", {})
    if rules.get("product_rules"):
        lines.append(f"  cross-sell rules per snapshot: {rules['product_rules']}")
    if rules.get("evaluation"):
        hits = ", ".join(f"{r['method']} {r['hit_rate']:.3f}" for r in rules["evaluation"])
        lines.append(f"  next-best-offer hit rate vs baselines: {hits}")
    segment = stages.get("segment", {})
    if segment.get("segments"):
        lines.append(f"  segments (k={segment.get('k')}): {', '.join(segment['segments'])}")
    for model in stages.get("train", {}).get("models", []):
        aucs = ", ".join(f"{m} {v.get('auc_roc', 0):.3f}" for m, v in model.get("metrics", {}).items())
        lines.append(f"  {model.get('model')} model {model.get('version')} test AUC: {aucs}")
    report = stages.get("report", {})
    if report.get("path"):
        lines.append(f"  report: {report['path']}")
    return lines
