"""scripts/ci_profile.py reads a `make test ARGS='--durations=0 -v'` log into seconds per module and worker,
and puts another run's seconds beside them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("ci_profile", ROOT / "scripts" / "ci_profile.py")
ci_profile = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ci_profile)


def log(a_setup: float, a_call: float, b_call: float, wall: float) -> str:
    """Two modules, one test each, on two workers, as pytest-xdist and --durations=0 print them."""
    return "\n".join(
        [
            "[gw0] [ 50%] PASSED tests/spark/test_a.py::test_one@tests/spark/test_a.py ",
            "[gw1] [100%] PASSED tests/spark/test_b.py::test_two@tests/spark/test_b.py ",
            "============================= slowest durations =============================",
            f"{a_call:.2f}s call     tests/spark/test_a.py::test_one@tests/spark/test_a.py",
            f"{a_setup:.2f}s setup    tests/spark/test_a.py::test_one@tests/spark/test_a.py",
            f"{b_call:.2f}s call     tests/spark/test_b.py::test_two@tests/spark/test_b.py",
            "0.01s teardown tests/spark/test_b.py::test_two@tests/spark/test_b.py",
            f"================== 2 passed in {wall:.2f}s (0:00:00) ==================",
        ]
    )


def test_seconds_per_module_count_setup_and_teardown_and_per_worker():
    result = ci_profile.profile(log(a_setup=30.0, a_call=10.0, b_call=25.0, wall=41.0))
    assert result["per_module"] == {"tests/spark/test_a.py": 40.0, "tests/spark/test_b.py": 25.0}
    assert result["per_worker"] == {"gw0": 40.0, "gw1": 25.0}
    assert (result["result"], result["wall_seconds"], result["worker_seconds"]) == ("2 passed", 41.0, 65.0)


def test_another_runs_seconds_stand_beside_each_module_with_their_ratio():
    result = ci_profile.profile(log(a_setup=30.0, a_call=10.0, b_call=25.0, wall=41.0))
    result["before"] = ci_profile.profile(log(a_setup=60.0, a_call=20.0, b_call=25.0, wall=81.0)) | {
        "label": "old"
    }
    text = ci_profile.markdown(result, "new", "")
    assert "| tests/spark/test_a.py | 40 | 61.5% | 80 | 2.00 |" in text
    assert "| tests/spark/test_b.py | 25 | 38.5% | 25 | 1.00 |" in text
    assert "Before (old): 2 passed, 81 s of tests (wall); 105 worker-seconds (gw0 80 s, gw1 25 s)." in text
