"""Where a JVM's process forks come from: a Java Flight Recording's ``jdk.ProcessStart`` events by
command and by the first caller outside the JDK, Scala and Hadoop.

Without Hadoop's native library (pip's PySpark ships none) the local file system forks ``readlink`` for
each FileContext rename and ``chmod`` for each file it creates, ~3.5 ms each on the driver's critical
path. Record a run, then read the recording:

    .venv/bin/crm-mining ingest --set "spark.driver_java_options=-XX:+UseParallelGC \\
        -XX:-DontCompileHugeMethods -XX:StartFlightRecording=filename=/tmp/run.jfr,settings=profile"
    .venv/bin/python scripts/jfr_forks.py /tmp/run.jfr

Needs the JDK's ``jfr`` tool on PATH (or next to ``java``). Also prints the JIT's total compile time
(``jdk.CompilerStatistics``), which on 2 cores competes with the executors.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path

OUTSIDE = ("java.", "jdk.", "sun.", "scala.", "org.apache.hadoop.")


def frames(event: dict) -> list[str]:
    stack = (event["values"].get("stackTrace") or {}).get("frames", [])
    return [f"{f['method']['type']['name'].replace('/', '.')}.{f['method']['name']}" for f in stack]


def caller(stack: list[str]) -> str:
    """The first frame outside the JDK, Scala and Hadoop: the code that asked for the file operation."""
    return next((f for f in stack if not f.startswith(OUTSIDE)), stack[0] if stack else "?")


def fork_origins(events: list[dict]) -> Counter:
    """(command, caller) -> forks, for the recording's ``jdk.ProcessStart`` events."""
    origins: Counter = Counter()
    for event in events:
        if event["type"] != "jdk.ProcessStart":
            continue
        command = event["values"]["command"].split(" ", 1)[0]
        origins[(command, caller(frames(event)))] += 1
    return origins


def jfr_tool() -> str:
    found = shutil.which("jfr")
    if found:
        return found
    java = shutil.which("java")
    beside = Path(java).resolve().parent / "jfr" if java else None
    if beside and beside.exists():
        return str(beside)
    raise SystemExit("jfr_forks: the JDK's jfr tool is not on PATH (nor next to java)")


def read_events(recording: Path, kinds: str) -> list[dict]:
    printed = subprocess.run(
        [jfr_tool(), "print", "--json", "--stack-depth", "64", "--events", kinds, str(recording)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(printed)["recording"]["events"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("recording", type=Path)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    origins = fork_origins(read_events(args.recording, "jdk.ProcessStart"))
    print(f"{sum(origins.values())} processes started")
    for (command, where), count in origins.most_common(args.top):
        print(f"{count:6d}  {command:10s} {where}")
    stats = read_events(args.recording, "jdk.CompilerStatistics")
    if stats:
        print(f"JIT compile time: {stats[-1]['values']['totalTimeSpent']}")


if __name__ == "__main__":
    main()
