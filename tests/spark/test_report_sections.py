"""`crm-mining report` on a lake where no stage has run: every section says which command to run."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from crm_mining.report import build_report, report_path


def test_an_empty_lake_gives_a_report_whose_sections_say_what_to_run(spark, config):
    summary = build_report(spark, config)
    html = Path(summary["path"]).read_text()
    assert summary["path"] == str(Path(config.lake.root) / "report" / "crm_report.html")
    assert summary["charts"] == 0
    for command in ("ingest", "rules", "segment", "train", "score", "lifecycle"):
        assert f"not run yet: run <code>crm-mining {command}</code>" in html, command
    assert "ops.ingest_audit" in summary["missing_tables"]
    assert "gold.model_metrics" in summary["missing_tables"]


def test_the_report_path_comes_from_config(config, tmp_path):
    moved = dataclasses.replace(
        config, report=dataclasses.replace(config.report, path=str(tmp_path / "r.html"))
    )
    assert report_path(moved) == str(tmp_path / "r.html")
