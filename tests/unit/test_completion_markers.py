"""Which tables a stage may read, from each writer's last completion marker (no Spark session needed)."""

from __future__ import annotations

import datetime as dt

from crm_mining.completion import (
    FAILED,
    STARTED,
    SUCCEEDED,
    LastRun,
    PartialInput,
    partial_inputs,
    reads_from_others,
)
from crm_mining.stages import Stage

AT = dt.datetime(2026, 12, 3, 18, 0, 5)
STAGES = (
    Stage("ingest", "", None, writes=("silver.a",)),
    Stage("features", "", None, reads=("silver.a",), writes=("gold.f", "gold.g")),
    Stage("lifecycle", "", None, reads=("gold.f", "gold.g", "gold.h"), writes=("gold.h",)),
)
FEATURES, LIFECYCLE = STAGES[1], STAGES[2]


def last(status: str, error: str | None = None) -> LastRun:
    return LastRun("0123456789abcdef", status, AT, error)


def test_a_writer_whose_last_run_succeeded_or_left_no_marker_is_trusted():
    assert partial_inputs(LIFECYCLE, {"features": last(SUCCEEDED)}, STAGES) == []
    assert partial_inputs(LIFECYCLE, {}, STAGES) == []  # tables written outside the doors


def test_every_table_of_a_writer_that_never_finished_is_named():
    partial = partial_inputs(LIFECYCLE, {"features": last(STARTED), "ingest": last(FAILED)}, STAGES)
    assert [(p.table, p.writer) for p in partial] == [("gold.f", "features"), ("gold.g", "features")]
    assert str(PartialInput("lifecycle", partial)) == (
        "'lifecycle' not run: gold.f may be partial: the last 'features' run (run 01234567, 2026-12-03 "
        "18:00:05) never finished (it was stopped) (1 more table(s) likewise); rerun 'crm-mining features' "
        "(or the pipeline with --resume) first"
    )


def test_a_failed_writer_is_named_with_its_error():
    (partial,) = partial_inputs(FEATURES, {"ingest": last(FAILED, "1 of 7 sources not ingested")}, STAGES)
    assert partial.text() == (
        "silver.a may be partial: the last 'ingest' run (run 01234567, 2026-12-03 18:00:05) failed "
        "(1 of 7 sources not ingested)"
    )


def test_a_stage_is_not_stopped_by_its_own_unfinished_run():
    assert partial_inputs(LIFECYCLE, {"lifecycle": last(STARTED), "features": last(SUCCEEDED)}, STAGES) == []


def test_only_a_stage_that_reads_another_stages_tables_checks_the_markers():
    own_only = Stage("history", "", None, reads=("gold.own",), writes=("gold.own",))
    assert [reads_from_others(s, (*STAGES, own_only)) for s in (*STAGES, own_only)] == [
        False,
        True,
        True,
        False,
    ]
