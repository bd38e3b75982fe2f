"""A failed Spark task is reported once, by the driver's exception, not as pages of executor traces."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow  # its own JVM: logging is set once per session

FAILING_TASK = textwrap.dedent(
    """
    import sys
    from crm_mining.config import load_config
    from crm_mining.session import get_spark
    spark = get_spark(load_config(overrides=["spark.master=local[1]"], lakehouse=sys.argv[1]),
                      verbose=sys.argv[2] == "verbose")
    try:
        spark.range(3).selectExpr("cast(concat('C', id) as double) as x").collect()
    except Exception as exc:
        print("RAISED", type(exc).__name__, str(exc).splitlines()[0][:60])
    """
)


def run_failing_task(tmp_path, mode: str) -> subprocess.CompletedProcess:
    script = tmp_path / "failing_task.py"
    script.write_text(FAILING_TASK)
    args = [sys.executable, str(script), str(tmp_path / "lake"), mode]
    return subprocess.run(args, capture_output=True, text=True, timeout=600)


def test_a_failed_task_leaves_no_stack_trace_unless_verbose(tmp_path):
    quiet = run_failing_task(tmp_path, "quiet")
    assert "RAISED NumberFormatException [CAST_INVALID_INPUT]" in quiet.stdout, quiet.stderr[-2000:]
    traces = [line for line in quiet.stderr.splitlines() if line.strip().startswith("at org.apache")]
    assert traces == [], f"{len(traces)} stack lines on stderr:\n{quiet.stderr[:3000]}"
    assert "DataFrameQueryContextLogger" not in quiet.stderr

    verbose = run_failing_task(tmp_path, "verbose")
    assert "at org.apache.spark" in verbose.stderr, "--verbose must keep the executor's trace"
