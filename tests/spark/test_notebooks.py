"""The notebooks run as Databricks runs a source-format notebook: cell by cell, with ``spark``, ``dbutils``
and ``display`` given (stand-ins from helpers.databricks). ``%pip`` and ``%md`` cells (all ``# MAGIC``
lines) are skipped, as they are Databricks' own.

The overview notebook runs the whole pipeline first. Then every stage's notebook runs on the same lake,
as a person opening it afterwards would: its config cell and every display cell. Its one stage-run cell
runs only for the stages in RERUN: generate (a rerun is skipped), ingest (a rerun reads nothing new) and
cube (a gold stage recomputed). The other stages' run cells are the same generated line with another
stage name (test_notebook_config checks the notebooks are the generator's), and the overview has just
run those stages; rerunning them all would cost their fixed time again (250 s on a quiet machine).
"""

from __future__ import annotations

import dataclasses
import logging
import re
import shutil
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from crm_mining.fingerprint import differences, lake_fingerprints
from crm_mining.notebook import WIDGETS
from crm_mining.pipeline import run_pipeline
from crm_mining.runs import FAILED, FINISHED, RUN_ROW, SUCCEEDED
from crm_mining.stages import STAGES, pipeline_stages
from crm_mining.stages import stage as registered_stage
from crm_mining.tables import Lake
from helpers.databricks import Dbutils, Display
from helpers.landing_files import landing_records
from helpers.pii_scan import landed_pii_values, landed_texts, pii_in_files, pii_in_tables, pii_in_text

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
CELL = "# COMMAND ----------"
# A small lake on which every stage runs: 12 months give 8 snapshots, which is what rules needs for its
# 6-month offer evaluation. The test checks the notebooks run the stages, not model quality (CI time):
# segment fits one KMeans per k; train fits churn only (out of time on 8 snapshots: train 1, validation 1,
# test 1) with one small hyperopt trial; lifecycle's gbt value method grows 5 trees per target, not 40
# (its 160 trees were a third of lifecycle's time, scripts/results/ci_profile.md).
LAKE = (
    "spark.master=local[2]; generate.customers=120; generate.months=12; features.snapshot_count=8; "
    "value.gbt_max_iter=5; "
    "segment.k_max=4; segment.n_init=1; segment.selection_n_init=1; "
    "models.specs=[churn]; models.churn.split.min_rows=20; models.churn.split.min_per_class=1; "
    "models.tuning.max_evals=1; models.tuning.startup_trials=1; "
    "models.tuning.space.max_iter=[5, 10]; models.tuning.space.max_depth=[2, 3]"
)
# Tables a pipeline on this lake does not write, and why (the stage's summary says so too):
NOT_WRITTEN_HERE = {
    "gold.risk_scores": "only churn is trained on this small lake",
}


def python_cells(path: Path) -> list[str]:
    text = path.read_text()
    assert text.startswith("# Databricks notebook source"), f"{path.name} is not a Databricks source notebook"
    cells = [cell.strip() for cell in text.removeprefix("# Databricks notebook source").split(CELL)]
    return [c for c in cells if c and not all(line.startswith("# MAGIC") for line in c.splitlines())]


RERUN = ("generate", "ingest", "cube")
STAGE_RUN_CELL = "summary = stage("


def run_notebook(path: Path, spark, widgets: dict[str, str], run_stage: bool = True) -> dict:
    """Execute the notebook's Python cells in one namespace (as one notebook session would); without
    ``run_stage``, every cell but the stage notebook's stage-run cell."""
    namespace: dict = {"spark": spark, "dbutils": Dbutils(widgets), "display": Display()}
    cells = python_cells(path)
    if not run_stage:
        (run_cell,) = [c for c in cells if c.startswith(STAGE_RUN_CELL)]
        cells.remove(run_cell)
    for cell in cells:
        exec(compile(cell, str(path), "exec"), namespace)
    return namespace


def stage_of(path: Path) -> str:
    return path.stem.split("_", 1)[1]


@pytest.fixture(scope="module")
def lakehouse(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("notebooks") / "lakehouse"


# What a resumed run must reproduce: the lake's results, not its run bookkeeping.
COMPARED = ("silver.", "gold.", "ops.quarantine")
FAILING_STAGE = "features"


class Recorded(logging.Handler):
    """Every crm_mining log line, formatted as the console shows it."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(scope="module")
def pipeline_log():
    """The log lines of every notebook run of this module, at every level (the PII scan reads them)."""
    logger, handler = logging.getLogger("crm_mining"), Recorded()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler.lines
    logger.removeHandler(handler)
    logger.setLevel(level)


@pytest.fixture(scope="module")
def runs_and_reference(spark, lakehouse, pipeline_log):
    """Every notebook's namespace, and the lake's fingerprints right after the overview's pipeline run."""
    widgets = {"conf": "local", "lakehouse": str(lakehouse), "set": LAKE}
    first, *others = sorted(NOTEBOOKS.glob("*.py"))
    runs = {first.name: run_notebook(first, spark, widgets)}
    reference = lake_fingerprints(spark, Lake(runs[first.name]["config"]), COMPARED)
    runs |= {path.name: run_notebook(path, spark, widgets, stage_of(path) in RERUN) for path in others}
    return runs, reference


@pytest.fixture(scope="module")
def runs(runs_and_reference):
    return runs_and_reference[0]


def test_there_is_an_overview_and_one_notebook_per_built_stage(runs):
    stages = [stage_of(Path(name)) for name in runs if not name.startswith("00_")]
    assert stages == [s.name for s in STAGES if s.built]
    assert set(RERUN) <= set(stages)
    reran = [stage_of(Path(name)) for name, namespace in runs.items() if "summary" in namespace]
    assert reran == ["pipeline", *RERUN]


def test_every_notebook_declares_its_widgets_and_takes_their_values(runs, lakehouse):
    for name, namespace in runs.items():
        assert namespace["dbutils"].widgets.defaults == WIDGETS, name
        assert namespace["config"].lake.root == str(lakehouse), name
        assert namespace["config"].generate.customers == 120, name


def test_pipeline_notebook_runs_every_stage_and_displays_its_run(spark, runs):
    namespace = runs["00_pipeline.py"]
    summary = namespace["summary"]
    assert list(summary["stages"]) == [s.name for s in pipeline_stages()]
    (shown,) = namespace["display"].shown
    rows = [(r.stage, r.status) for r in shown.collect()]
    assert rows == [(RUN_ROW, FINISHED)] + [(s.name, SUCCEEDED) for s in pipeline_stages()]
    lake = Lake(namespace["config"])
    for stage in pipeline_stages():
        for table in stage.writes:
            assert lake.exists(spark, table) != (table in NOT_WRITTEN_HERE), f"{stage.name}: {table}"


def test_the_run_audit_counts_the_rows_each_stage_read_and_wrote(spark, runs):
    """rows_in and rows_out of ops.pipeline_runs (each table version's Delta checksum, where it lists the
    files) equal a scan of the same table versions (a sum, which Delta cannot answer from its log)."""
    namespace = runs["00_pipeline.py"]
    lake = Lake(namespace["config"])
    run = lake.read(spark, "ops.pipeline_runs").where(F.col("run_id") == namespace["summary"]["run_id"])

    def scanned(versions: dict[str, int]) -> int | None:
        if not versions:
            return None
        return sum(
            lake.read(spark, table, version=v).agg(F.sum(F.lit(1))).first()[0] or 0
            for table, v in versions.items()
        )

    counted = run.where(F.col("stage").isin("ingest", "features", "lifecycle")).collect()
    assert len(counted) == 3
    for row in counted:
        expected = (scanned(row.versions_read), scanned(row.versions_written))
        assert (row.rows_in, row.rows_out) == expected, row.stage


def test_each_stage_notebook_displays_the_tables_its_stage_writes(spark, runs):
    for stage in (s for s in STAGES if s.built):
        (name,) = [n for n in runs if n.endswith(f"_{stage.name}.py")]
        namespace = runs[name]
        lake = Lake(namespace["config"])
        shown = namespace["display"].shown
        assert len(shown) == len(stage.writes), name
        for frame, table in zip(shown, stage.writes, strict=True):
            if table in NOT_WRITTEN_HERE:  # the notebook shows a note instead of failing
                assert frame.columns == ["note"] and table in frame.first()["note"], name
            else:
                assert frame.schema == lake.read(spark, table).schema, (
                    f"{name} displayed the wrong table for {table}"
                )


def test_ingest_notebook_rerun_adds_nothing(runs):
    namespace = runs["02_ingest.py"]
    assert all(s["rows_read"] == 0 for s in namespace["summary"]["sources"].values())
    (audit,) = [f for f in namespace["display"].shown if "rows_read" in f.columns]
    read = {
        r.source: r.rows_read
        for r in audit.groupBy("source").agg(F.sum("rows_read").alias("rows_read")).collect()
    }
    assert read == landing_records(Path(Lake(namespace["config"]).landing()))


def test_no_landed_pii_value_reaches_a_table_a_file_or_the_log_beyond_bronze(
    spark, runs, lakehouse, pipeline_log
):
    """#12: a whole pipeline on a generated lake with bad records (malformed customer lines included). Every
    PII value that landed is looked for in every silver, gold and ops table, in every text file the run
    left under the lakehouse (the run summaries, the report, the models' metadata, the Delta logs, whose
    statistics quote column values, and the checkpoints) and in every log line of the runs, DEBUG included."""
    values = landed_pii_values(lakehouse / "landing")
    assert len(values) > 3 * 120 and any("@" in v for v in values)  # ids, phones, emails, addresses, names
    # Customers type every kind the text rules must mask into their texts, Chinese ones glued to words.
    texts = landed_texts(lakehouse / "landing")
    typed = {
        "card": r"4\d{3}(?: \d{4}){3}",
        "national id": r"\d{8}[A-Z]",
        "address": r"(?:Calle|Paseo|Gran Via) ",
    }
    missing = [kind for kind, pattern in typed.items() if not any(re.search(pattern, t) for t in texts)]
    assert not missing, f"no landed text holds a {missing}: their masking would go unchecked"
    assert any(re.search(r"[\u4e00-\u9fff](?:4\d{3} |\d{8}[A-Z]|Calle|Paseo|Gran Via)", t) for t in texts)
    lake = Lake(runs["00_pipeline.py"]["config"])
    assert pii_in_tables(spark, lake, values) == []
    assert pii_in_files(lakehouse, values) == []
    assert any("quarantined" in line for line in pipeline_log), "the ingest's batch lines were not recorded"
    assert pii_in_text("\n".join(pipeline_log), values) == []
    # The same scans do find them where they may be: bronze, and the landing files.
    assert pii_in_tables(spark, lake, values, tables=["bronze.customers"])
    assert pii_in_files(lakehouse, values, skip=("bronze",))


def test_a_failed_run_resumes_from_its_failed_stage_to_the_same_tables(
    spark, runs_and_reference, monkeypatch
):
    """Fail the pipeline at features with its tables gone, then --resume: the stages before it are not
    rerun, and every table equals the uninterrupted run's (the stage notebooks' reruns in between must
    have changed nothing either). Both runs stop after the failing stage: the stages after it would only
    run as in the overview's run (each costs its fixed time again, in CI)."""
    runs, reference = runs_and_reference
    config = runs["00_pipeline.py"]["config"]
    lake = Lake(config)
    failing = registered_stage(FAILING_STAGE)
    for table in failing.writes:
        shutil.rmtree(lake.location(table))

    def broken(spark, config):
        raise RuntimeError("injected failure")

    names = [s.name for s in pipeline_stages()]
    upto_failing = pipeline_stages()[: names.index(FAILING_STAGE) + 1]
    # The gates on tables of later stages would never run in these shorter runs (a config error).
    written = {t for s in upto_failing for t in s.writes}
    gates = config.pipeline.gates
    gates = dataclasses.replace(gates, checks=[c for c in gates.checks if c.table in written])
    config = dataclasses.replace(config, pipeline=dataclasses.replace(config.pipeline, gates=gates))
    broken_run = tuple(dataclasses.replace(s, run=broken) if s is failing else s for s in upto_failing)
    monkeypatch.setattr("crm_mining.pipeline.pipeline_stages", lambda: broken_run)
    with pytest.raises(RuntimeError, match="injected failure"):
        run_pipeline(spark, config)
    monkeypatch.setattr("crm_mining.pipeline.pipeline_stages", lambda: upto_failing)

    resumed = run_pipeline(
        spark, dataclasses.replace(config, pipeline=dataclasses.replace(config.pipeline, resume=True))
    )
    before = names[: names.index(FAILING_STAGE)]
    assert [n for n, s in resumed["stages"].items() if s["status"] == "done in the resumed run"] == before
    rows = lake.read(spark, "ops.pipeline_runs").where(F.col("run_id") == resumed["run_id"])
    statuses = sorted((r.stage, r.status) for r in rows.collect())
    assert (FAILING_STAGE, FAILED) in statuses and (FAILING_STAGE, SUCCEEDED) in statuses
    assert (RUN_ROW, FINISHED) in statuses
    assert differences(reference, lake_fingerprints(spark, lake, COMPARED)) == []
