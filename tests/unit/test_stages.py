"""The stage registry is the one place a stage is declared: every door and document follows from it."""

from __future__ import annotations

import dataclasses
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from crm_mining.cli import COMMANDS, build_parser
from crm_mining.config import Config
from crm_mining.stages import STAGES, pipeline_stages, stage_table
from crm_mining.tables import TABLES

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = {f.name for f in dataclasses.fields(Config)}


def subcommands() -> set[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, type(parser._subparsers._group_actions[0])))
    return set(sub.choices)


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.name)
def test_every_stage_has_its_doors(stage):
    assert stage.name in subcommands()
    job = ROOT / "jobs" / f"{stage.name}.py"
    assert job.is_file(), f"jobs/{stage.name}.py is missing"
    assert f'main(["{stage.name}", *sys.argv[1:]])' in job.read_text()
    assert stage.in_pipeline or stage.outside_pipeline_because, (
        f"{stage.name}: say why it is not in the pipeline"
    )


@pytest.mark.parametrize("stage", [s for s in STAGES if s.built], ids=lambda s: s.name)
def test_every_built_stage_has_config_and_known_tables(stage):
    assert stage.settings, f"{stage.name} names no config section"
    assert set(stage.settings) <= SECTIONS, set(stage.settings) - SECTIONS
    unknown = [t for t in (*stage.reads, *stage.writes) if t not in TABLES]
    assert not unknown, f"{stage.name} names tables missing from tables.TABLES: {unknown}"


def test_a_table_is_written_by_one_stage_and_read_only_after_it_is_written():
    writers: dict[str, str] = {}
    for stage in STAGES:
        for table in stage.writes:
            assert table not in writers, f"{table} is written by {writers[table]} and {stage.name}"
            writers[table] = stage.name
    order = [s.name for s in pipeline_stages()]
    for stage in pipeline_stages():
        for table in stage.reads:
            assert table in writers, f"{stage.name} reads {table}, which no stage writes"
            # A table of a stage outside the pipeline (train, score) is optional to its readers (the
            # report says "not run yet"); one of a pipeline stage must be written before it is read.
            if writers[table] in order:
                assert order.index(writers[table]) < order.index(stage.name), (
                    f"{stage.name} reads {table} too early"
                )


def test_pipeline_runs_the_built_stages_in_registry_order():
    assert [s.name for s in pipeline_stages()][:5] == [
        "generate",
        "ingest",
        "complaints",
        "features",
        "lifecycle",
    ]
    assert all(s.built for s in pipeline_stages())


def test_unbuilt_stages_have_no_module_pretending_otherwise():
    for stage in STAGES:
        if not stage.built:
            assert importlib.util.find_spec(f"crm_mining.{stage.name}") is None, stage.name


def test_every_gold_table_is_written_by_a_stage():
    written = {t for s in COMMANDS.values() for t in s.writes}  # the pipeline writes its run audit
    orphans = sorted(t for t in TABLES if t not in written)
    assert not orphans, f"tables no registered stage writes: {orphans}"


def test_help_does_not_import_pyspark():
    code = (
        "import sys; from crm_mining.cli import build_parser; build_parser(); print('pyspark' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_stage_table_lists_every_stage_once():
    lines = [line for line in stage_table().splitlines() if line.startswith("| ") and "`" in line]
    assert sorted(line.split("`")[1] for line in lines) == sorted(s.name for s in STAGES)
    assert COMMANDS["pipeline"].run is not None
