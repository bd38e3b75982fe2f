"""scripts/bench_scale.py --resume: a size stopped and continued is measured on its completed attempts."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("bench_scale", ROOT / "scripts" / "bench_scale.py")
bench_scale = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_scale)

INF = float("inf")


def write_marks(folder: Path, *events: tuple[str, str, float]) -> Path:
    marks = folder / "marks.jsonl"
    marks.write_text("".join(json.dumps({"stage": s, e: t}) + "\n" for s, e, t in events))
    return marks


def test_a_stage_started_again_after_a_stop_is_timed_from_its_new_start(tmp_path):
    marks = write_marks(
        tmp_path,
        ("generate", "start", 0.0),
        ("generate", "end", 100.0),
        ("ingest", "start", 101.0),  # stopped here: no end
        ("ingest", "start", 500.0),  # the resumed process
        ("ingest", "end", 650.0),
        ("features", "start", 651.0),
    )
    assert bench_scale.stage_windows(marks) == {
        "generate": (0.0, 100.0),
        "ingest": (500.0, 650.0),
        "features": (651.0, INF),
    }
    assert bench_scale.generate_finished(tmp_path)
    assert bench_scale.pipeline_started(tmp_path)


def test_a_stopped_generate_is_not_finished_and_the_pipeline_has_not_started(tmp_path):
    write_marks(tmp_path, ("generate", "start", 0.0))
    assert not bench_scale.generate_finished(tmp_path)
    assert not bench_scale.pipeline_started(tmp_path)
    assert not bench_scale.generate_finished(tmp_path / "never_ran")


def test_samples_of_the_stopped_attempt_count_for_no_stage(tmp_path):
    marks = write_marks(
        tmp_path, ("ingest", "start", 0.0), ("ingest", "start", 10.0), ("ingest", "end", 20.0)
    )
    mib = bench_scale.MEBI
    samples = [(5.0, 900 * mib, 900 * mib), (15.0, 100 * mib, 300 * mib), (25.0, 999 * mib, 0)]
    assert bench_scale.peak_rss(samples, bench_scale.stage_windows(marks)) == {
        "ingest": {"python_mib": 100, "jvm_mib": 300, "total_mib": 400}
    }


def test_a_process_stopped_with_its_parent_ran_until_its_last_sample(tmp_path):
    history = [
        {"started": 0.0, "load_avg_at_start": [1.0, 1.0, 1.0]},  # stopped: its parent never wrote the wall
        {"started": 100.0, "load_avg_at_start": [2.0, 2.0, 2.0], "wall_seconds": 30.0},
    ]
    samples = [(1.0, 0, 0), (42.0, 0, 0), (101.0, 0, 0), (129.0, 0, 0)]
    walls = [p["wall_seconds"] for p in bench_scale.walls_of_stopped(history, samples)]
    assert walls == [42.0, 30.0]


def test_rss_samples_survive_in_the_log_and_a_torn_last_line_is_skipped(tmp_path):
    log = tmp_path / "rss.jsonl"
    log.write_text("[1.0, 2, 3]\n[2.0, 4, 5]\n[3.0, 6")
    assert bench_scale.rss_samples(log) == [(1.0, 2, 3), (2.0, 4, 5)]
    assert bench_scale.rss_samples(tmp_path / "none.jsonl") == []


def test_a_completed_attempt_the_pipeline_did_not_record_is_reported_beside_the_repeat(tmp_path):
    write_marks(
        tmp_path,
        ("ingest", "start", 0.0),
        ("ingest", "end", 400.0),  # stopped here, before the pipeline's record: resume repeats ingest
        ("ingest", "start", 1000.0),
        ("ingest", "end", 1030.0),
        ("features", "start", 1031.0),  # a stopped attempt is not a completed one
        ("features", "start", 2000.0),
        ("features", "end", 2600.0),
    )
    mib = bench_scale.MEBI
    samples = [(200.0, 100 * mib, 5000 * mib), (1010.0, 100 * mib, 1000 * mib)]
    assert bench_scale.stage_windows(tmp_path / "marks.jsonl")["ingest"] == (1000.0, 1030.0)
    assert bench_scale.earlier_attempts(tmp_path, samples) == {
        "ingest": [
            {
                "seconds": 400.0,
                "peak_rss": {"python_mib": 100, "jvm_mib": 5000, "total_mib": 5100},
                "spill": {},
            }
        ]
    }
