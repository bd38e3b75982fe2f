"""scripts/jfr_forks.py: a recording's process starts grouped by command and by the code that asked."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("jfr_forks", ROOT / "scripts" / "jfr_forks.py")
jfr_forks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(jfr_forks)


def process_start(command: str, *classes_and_methods: tuple[str, str]) -> dict:
    """One event as `jfr print --json` spells it, innermost frame first."""
    stack = [{"method": {"type": {"name": c.replace(".", "/")}, "name": m}} for c, m in classes_and_methods]
    return {"type": "jdk.ProcessStart", "values": {"command": command, "stackTrace": {"frames": stack}}}


CHECKPOINT = (
    "org.apache.spark.sql.execution.streaming.checkpointing.FileContextBasedCheckpointFileManager",
    "renameTempFile",
)
DELTA_LOG = ("io.delta.storage.HDFSLogStore", "writeInternal")


def test_forks_are_counted_by_command_and_by_the_first_caller_outside_the_jdk_and_hadoop():
    hadoop = [("java.lang.ProcessBuilder", "start"), ("org.apache.hadoop.fs.FileUtil", "readLink")]
    events = [
        process_start("readlink file:/lake/_checkpoints/a/offsets/.0.tmp", *hadoop, CHECKPOINT),
        process_start("readlink file:/lake/_checkpoints/a/commits/.0.tmp", *hadoop, CHECKPOINT),
        process_start("readlink file:/lake/silver/x/_delta_log/.1.json.tmp", *hadoop, DELTA_LOG),
        process_start("chmod 0644 /lake/silver/x/part-0.parquet", ("scala.Option", "map"), DELTA_LOG),
        {"type": "jdk.CompilerStatistics", "values": {"totalTimeSpent": "PT1S"}},
    ]
    assert jfr_forks.fork_origins(events) == {
        ("readlink", ".".join(CHECKPOINT)): 2,
        ("readlink", ".".join(DELTA_LOG)): 1,
        ("chmod", ".".join(DELTA_LOG)): 1,
    }


def test_a_fork_with_no_caller_outside_the_jdk_is_named_by_its_innermost_frame():
    event = process_start(
        "setsid bash -c echo", ("java.lang.ProcessBuilder", "start"), ("java.lang.Thread", "run")
    )
    assert jfr_forks.fork_origins([event]) == {("setsid", "java.lang.ProcessBuilder.start"): 1}
