"""SCD2 history (staged-union MERGE), its rebuild, and stage transitions on crafted stages."""

from __future__ import annotations

import datetime as dt

from pyspark.testing import assertDataFrameEqual

from crm_mining.config import load_config
from crm_mining.lifecycle.history import (
    HISTORY_SCHEMA,
    STAGE,
    TABLE,
    history_through,
    merge_snapshot,
    plan_history,
    stage_runs,
    update_history,
)
from crm_mining.lifecycle.transitions import overall_transitions, stage_transitions
from crm_mining.tables import Lake

S1, S2, S3 = dt.date(2025, 1, 31), dt.date(2025, 2, 28), dt.date(2025, 3, 31)
STAGES_SCHEMA = "customer_id string, snapshot_date date, stage string"


def snapshot(spark, date: dt.date, stages: dict[str, str]):
    return spark.createDataFrame([(c, date, s) for c, s in stages.items()], STAGES_SCHEMA)


def history(spark, rows):
    return spark.createDataFrame(rows, HISTORY_SCHEMA)


SNAPSHOTS = {
    S1: {"A": "acquisition", "B": "build_up", "D": "maturity"},
    S2: {"A": "build_up", "B": "build_up", "C": "acquisition"},  # D missing at S2: stays open
    S3: {"A": "decline", "B": "build_up", "C": "acquisition", "D": "exit"},
}


def test_merge_opens_closes_and_is_idempotent(spark, config):
    lake = Lake(config)
    merge_snapshot(spark, lake, snapshot(spark, S1, SNAPSHOTS[S1]))
    merge_snapshot(spark, lake, snapshot(spark, S2, SNAPSHOTS[S2]))
    expected = history(
        spark,
        [
            ("A", "acquisition", S1, S2, False),
            ("A", "build_up", S2, None, True),
            ("B", "build_up", S1, None, True),
            ("C", "acquisition", S2, None, True),
            ("D", "maturity", S1, None, True),
        ],
    )
    assertDataFrameEqual(lake.read(spark, TABLE), expected)

    # Re-running the same snapshot changes nothing (no duplicate rows, nothing closed).
    merge_snapshot(spark, lake, snapshot(spark, S2, SNAPSHOTS[S2]))
    assertDataFrameEqual(lake.read(spark, TABLE), expected)

    # A new snapshot closes the changed customers' rows and opens new ones.
    merge_snapshot(spark, lake, snapshot(spark, S3, SNAPSHOTS[S3]))
    assertDataFrameEqual(
        lake.read(spark, TABLE),
        history(
            spark,
            [
                ("A", "acquisition", S1, S2, False),
                ("A", "build_up", S2, S3, False),
                ("A", "decline", S3, None, True),
                ("B", "build_up", S1, None, True),
                ("C", "acquisition", S2, None, True),
                ("D", "maturity", S1, S3, False),
                ("D", "exit", S3, None, True),
            ],
        ),
    )
    operations = [r.operation for r in lake.delta(spark, TABLE).history().select("operation").collect()]
    assert operations.count("MERGE") == 4


def test_an_older_snapshot_never_closes_a_newer_row(spark, config):
    lake = Lake(config)
    merge_snapshot(spark, lake, snapshot(spark, S2, {"A": "build_up"}))
    merge_snapshot(spark, lake, snapshot(spark, S1, {"A": "acquisition"}))
    assertDataFrameEqual(lake.read(spark, TABLE), history(spark, [("A", "build_up", S2, None, True)]))


def test_rebuild_equals_merging_in_order(spark, config):
    lake = Lake(config)
    for date in (S1, S2, S3):
        merge_snapshot(spark, lake, snapshot(spark, date, SNAPSHOTS[date]))
    everything = (
        snapshot(spark, S1, SNAPSHOTS[S1])
        .unionByName(snapshot(spark, S2, SNAPSHOTS[S2]))
        .unionByName(snapshot(spark, S3, SNAPSHOTS[S3]))
    )
    assertDataFrameEqual(stage_runs(everything), lake.read(spark, TABLE))


def apply_batch(spark, lake, dates):
    """What the lifecycle job does with a batch of snapshots: plan, write the stages, update the history."""
    stages = snapshot(spark, dates[0], SNAPSHOTS[dates[0]])
    for date in dates[1:]:
        stages = stages.unionByName(snapshot(spark, date, SNAPSHOTS[date]))
    plan = plan_history(spark, lake, stages, dates)
    lake.write(stages, STAGE, mode="append")
    return update_history(spark, lake, stages, plan)


def test_first_batch_builds_the_history_that_merging_gives_and_later_snapshots_merge(spark, config, tmp_path):
    lake = Lake(config)
    first = apply_batch(spark, lake, [S1, S2])
    assert (first["mode"], first["merged_snapshots"]) == ("build", [S1.isoformat(), S2.isoformat()])
    assert history_through(spark, lake) == S2
    built = lake.read(spark, TABLE).toPandas()

    merged = Lake(load_config(overrides=["spark.master=local[2]"], lakehouse=str(tmp_path / "merged")))
    for date in (S1, S2):
        merge_snapshot(spark, merged, snapshot(spark, date, SNAPSHOTS[date]))
    assertDataFrameEqual(spark.createDataFrame(built, HISTORY_SCHEMA), merged.read(spark, TABLE))

    later = apply_batch(spark, lake, [S3])
    assert (later["mode"], later["merged_snapshots"]) == ("merge", [S3.isoformat()])
    merge_snapshot(spark, merged, snapshot(spark, S3, SNAPSHOTS[S3]))
    assertDataFrameEqual(lake.read(spark, TABLE), merged.read(spark, TABLE))
    assert (later["rows"], later["current_rows"]) == (7, 4)


def test_transition_counts_and_rates(spark):
    stages = (
        snapshot(spark, S1, SNAPSHOTS[S1])
        .unionByName(snapshot(spark, S2, SNAPSHOTS[S2]))
        .unionByName(snapshot(spark, S3, SNAPSHOTS[S3]))
    )
    expected = spark.createDataFrame(
        [
            (S1, S2, "acquisition", "build_up", 1, 1.0),
            (S1, S2, "build_up", "build_up", 1, 1.0),
            (S2, S3, "build_up", "decline", 1, 0.5),
            (S2, S3, "build_up", "build_up", 1, 0.5),
            (S2, S3, "acquisition", "acquisition", 1, 1.0),
        ],
        "from_snapshot date, to_snapshot date, from_stage string, to_stage string, customers bigint, rate double",
    )
    transitions = stage_transitions(stages)
    assertDataFrameEqual(transitions, expected)
    pooled = {
        (r.from_stage, r.to_stage): (r.customers, r.rate) for r in overall_transitions(transitions).collect()
    }
    assert pooled == {
        ("acquisition", "build_up"): (1, 0.5),
        ("acquisition", "acquisition"): (1, 0.5),
        ("build_up", "build_up"): (2, 2 / 3),
        ("build_up", "decline"): (1, 1 / 3),
    }
