"""Stages of an existing lake re-run under two or more commits, side by side: wall time and spill.

    .venv/bin/python scripts/bench_stage_ab.py --lakehouse /work/scale30/lakehouse \\
        --commits 4bf4fbb,HEAD --stages features,fraud --rounds 1 \\
        --set generate.customers=106007 --out scripts/results/bench_stage_ab_30m.json

For a lake too large to rebuild per commit (30M transactions take 20 minutes to generate and ingest):
each round runs every stage under every commit in turn (A, B, A, B per stage), each a fresh
``crm-mining <stage>`` process with that commit's library from a detached worktree, ``local[2]`` and
the same ``spark.driver_memory``. Spark's event log gives each run's spill and shuffle bytes. A stage
overwrites its own tables, so every run reads what the earlier stages left; the order of the stages
is the caller's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from results_files import write_result
from worktrees import REPO, worktrees

SCRIPTS = Path(__file__).resolve().parent
SPILL_METRICS = {
    "internal.metrics.memoryBytesSpilled": "spill_memory_bytes",
    "internal.metrics.diskBytesSpilled": "spill_disk_bytes",
    "internal.metrics.shuffle.write.bytesWritten": "shuffle_written_bytes",
}
MEBI = 1024 * 1024


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lakehouse", required=True, help="an existing lake (its earlier stages done)")
    parser.add_argument("--commits", required=True, help="comma-separated refs, e.g. 4bf4fbb,HEAD")
    parser.add_argument("--stages", required=True, help="comma-separated CLI stages, run in this order")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument("--set", action="append", default=[], help="extra config overrides (repeatable)")
    parser.add_argument("--workdir", default="/tmp/bench_stage_ab", help="worktrees and event logs")
    parser.add_argument("--out", required=True, help="JSON result; the Markdown goes next to it")
    parser.add_argument("--note", action="append", default=[], help="a line for the notes (repeatable)")
    return parser.parse_args()


def spill(event_dir: Path) -> dict[str, int]:
    """Spill and shuffle bytes summed over every completed Spark stage of the run's event log."""
    sums = {name: 0 for name in SPILL_METRICS.values()} | {"spark_stages": 0}
    for log in (p for p in event_dir.rglob("*") if p.is_file()):
        with log.open() as events:
            for line in events:
                if '"SparkListenerStageCompleted"' not in line[:60]:
                    continue
                sums["spark_stages"] += 1
                for acc in json.loads(line)["Stage Info"].get("Accumulables", []):
                    if acc.get("Name") in SPILL_METRICS:
                        sums[SPILL_METRICS[acc["Name"]]] += int(acc.get("Value") or 0)
    return sums


def run_stage(stage: str, tree: Path, args: argparse.Namespace, event_dir: Path) -> dict:
    event_dir.mkdir(parents=True, exist_ok=True)
    conf = (
        "spark.conf={spark.eventLog.enabled: 'true', spark.eventLog.compress: 'false', "
        f"spark.eventLog.dir: 'file://{event_dir}', spark.sql.maxPlanStringLength: '2000'}}"
    )
    overrides = ["spark.master=local[2]", f"spark.driver_memory={args.driver_memory}", conf, *args.set]
    command = [sys.executable, "-m", "crm_mining.cli", stage, "--lakehouse", args.lakehouse]
    for item in overrides:
        command += ["--set", item]
    load = os.getloadavg()[0]
    started = time.monotonic()
    done = subprocess.run(
        command,
        env={**os.environ, "PYTHONPATH": str(tree / "lib")},
        capture_output=True,
        text=True,
        cwd=tree,
    )
    seconds = time.monotonic() - started
    if done.returncode != 0:
        sys.exit(f"{stage} under {tree.name} exited {done.returncode}: {done.stderr.strip()[-2000:]}")
    return {"stage": stage, "seconds": round(seconds, 1), "load_at_start": round(load, 2), **spill(event_dir)}


def markdown(payload: dict) -> str:
    lines = [
        "# Stages re-run on one lake under each commit (`scripts/bench_stage_ab.py`)",
        "",
        f"Lake: `{payload['lakehouse']}`; {payload['machine']}; `local[2]`, `spark.driver_memory` "
        f"{payload['driver_memory']}; overrides {', '.join(payload['overrides']) or 'none'}. "
        "Runs in the order listed (per stage, commits alternate).",
        "",
        "| stage | commit | round | load at start | seconds | spill in memory / to disk MiB | "
        "shuffle written MiB | Spark stages |",
        "|---|---|---:|---:|---:|---|---:|---:|",
    ]
    for run in payload["runs"]:
        lines.append(
            f"| {run['stage']} | {run['commit']} | {run['round']} | {run['load_at_start']} | "
            f"{run['seconds']} | {run['spill_memory_bytes'] / MEBI:,.0f} / {run['spill_disk_bytes'] / MEBI:,.0f} | "
            f"{run['shuffle_written_bytes'] / MEBI:,.0f} | {run['spark_stages']} |"
        )
    lines += ["", "| stage | " + " | ".join(f"{c} s (median)" for c in payload["commits"]) + " | ratio |"]
    lines.append("|---|" + "---:|" * (len(payload["commits"]) + 1))
    for stage in payload["stages"]:
        medians = [median_seconds(payload["runs"], stage, c) for c in payload["commits"]]
        ratio = f"{medians[-1] / medians[0]:.2f}x" if medians[0] else ""
        lines.append(f"| {stage} | " + " | ".join(f"{m:.1f}" for m in medians) + f" | {ratio} |")
    if payload["notes"]:
        lines += ["", *payload["notes"]]
    return "\n".join(lines) + "\n"


def median_seconds(runs: list[dict], stage: str, commit: str) -> float:
    values = sorted(r["seconds"] for r in runs if r["stage"] == stage and r["commit"] == commit)
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def main() -> None:
    args = parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    runs = []
    with worktrees(args.commits, workdir) as trees:
        for round_ in range(1, args.rounds + 1):
            for stage in args.stages.split(","):
                for commit, tree in trees.items():
                    events = workdir / "events" / f"{stage}_{commit}_{round_}"
                    run = run_stage(stage, tree, args, events) | {"commit": commit, "round": round_}
                    print(json.dumps(run), flush=True)
                    runs.append(run)
    payload = {
        "lakehouse": args.lakehouse,
        "machine": f"{os.cpu_count()} CPUs, Python {platform.python_version()}",
        "driver_memory": args.driver_memory,
        "overrides": args.set,
        "commits": list(trees),
        "stages": args.stages.split(","),
        "runs": runs,
        "notes": args.note,
        "repo_head": subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip(),
    }
    print(f"wrote {args.out} and {write_result(args.out, payload, markdown)}")


if __name__ == "__main__":
    main()
