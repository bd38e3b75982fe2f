"""A first ingest of one generated lake, timed side by side for two commits or settings (A/B, interleaved).

    .venv/bin/python scripts/bench_first_ingest.py --before dd24194 --after HEAD --rounds 2
    .venv/bin/python scripts/bench_first_ingest.py --before HEAD --lake sample --rounds 3 \
        --before-set spark.driver_java_options=-XX:+UseG1GC --out scripts/results/bench_gc.json

Ingest's cost on a tiny lake is fixed cost (table creation, Delta commits, per-batch jobs), which every
test that ingests and every first run pays. This script measures a change to it on a busy, shared
machine the only honest way: both commits in one run, interleaved (before, after, before, after...),
each ingest in a fresh process (a fresh JVM) on a copy of the same landing zone. The landing zone is
generated once, by the current tree, with the notebook test's tiny settings (120 customers x 12 months)
or the issue's 3,000 x 8 sample (``--lake sample``). Each commit's library is a git worktree under
``--workdir``; ``--before-set``/``--after-set`` add config overrides to one side (e.g. a JVM option). Results: ``results/bench_first_ingest``
(JSON and Markdown), with the load average at the start of every run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from results_files import write_result

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "scripts" / "results"
LAKES = {
    "tiny": ["spark.master=local[2]", "generate.customers=120", "generate.months=12"],
    "sample": ["spark.master=local[2]", "generate.customers=3000", "generate.months=8"],
}

# Runs in the child: the library on PYTHONPATH is the commit under test.
CHILD = """
import json, os, sys, time
from crm_mining.config import load_config
from crm_mining.ingest import ingest_lake
from crm_mining.session import get_spark

lakehouse, out, overrides = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
load = os.getloadavg()[0]
config = load_config(overrides=["spark.master=local[2]", *overrides], lakehouse=lakehouse)
started = time.monotonic()
spark = get_spark(config)
session = time.monotonic() - started
first_job = int(spark.sparkContext._jsc.sc().dagScheduler().nextJobId())
started = time.monotonic()
summary = ingest_lake(spark, config)
jobs = int(spark.sparkContext._jsc.sc().dagScheduler().nextJobId()) - first_job
result = {"load_at_start": load, "session_seconds": round(session, 1),
          "ingest_seconds": round(time.monotonic() - started, 1), "spark_jobs": jobs,
          "rows_written": sum(s["rows_written"] for s in summary["sources"].values())}
open(out, "w").write(json.dumps(result))
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, help="git commit of the baseline")
    parser.add_argument("--after", default="HEAD", help="git commit of the change")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--lake", choices=sorted(LAKES), default="tiny")
    parser.add_argument("--before-set", action="append", default=[], help="KEY=VALUE override, baseline only")
    parser.add_argument("--after-set", action="append", default=[], help="KEY=VALUE override, change only")
    parser.add_argument("--workdir", default="/tmp/bench_first_ingest", help="wiped")
    parser.add_argument("--out", default=str(RESULTS / "bench_first_ingest.json"))
    return parser.parse_args()


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(REPO), *args], check=True, capture_output=True, text=True).stdout


def worktree(commit: str, where: Path) -> str:
    """A detached worktree of ``commit`` at ``where``; returns the full commit id."""
    full = git("rev-parse", commit).strip()
    git("worktree", "add", "--force", "--detach", str(where), full)
    return full


def generate_landing(workdir: Path, settings: list[str]) -> Path:
    """The lake's landing zone, generated once by the current tree."""
    sys.path.insert(0, str(REPO / "lib"))
    from crm_mining.config import load_config
    from crm_mining.generate import generate_lake
    from crm_mining.session import get_spark

    config = load_config(overrides=settings, lakehouse=str(workdir / "generated"))
    spark = get_spark(config)
    generate_lake(spark, config)
    spark.stop()
    return workdir / "generated" / "landing"


def timed_ingest(lib: Path, landing: Path, lakehouse: Path, overrides: list[str]) -> dict:
    shutil.rmtree(lakehouse, ignore_errors=True)
    shutil.copytree(landing, lakehouse / "landing")
    out = lakehouse.parent / f"{lakehouse.name}.json"
    env = {**os.environ, "PYTHONPATH": str(lib)}
    started = time.monotonic()
    command = [sys.executable, "-c", CHILD, str(lakehouse), str(out), json.dumps(overrides)]
    subprocess.run(command, check=True, env=env)
    result = json.loads(out.read_text())
    result["process_seconds"] = round(time.monotonic() - started, 1)
    return result


def markdown(report: dict) -> str:
    runs = report["runs"]
    lines = [
        "# First ingest of one lake, two commits or settings side by side (`scripts/bench_first_ingest.py`)",
        "",
        f"Machine: {report['cpus']} CPUs; landing zone: {report['lake']}; each ingest a fresh process on a "
        "copy of the same landing files, the two sides interleaved. Overrides: before "
        f"{report['overrides']['before'] or 'none'}; after {report['overrides']['after'] or 'none'}.",
        "",
        "| round | commit | load at start | ingest s | Spark jobs | rows written |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for r in runs:
        lines.append(
            f"| {r['round']} | {r['label']} `{r['commit'][:7]}` | {r['load_at_start']:.2f} | "
            f"{r['ingest_seconds']:.1f} | {r['spark_jobs']} | {r['rows_written']:,} |"
        )
    medians = report["median_ingest_seconds"]
    lines += [
        "",
        f"Median ingest: before {medians['before']:.1f} s, after {medians['after']:.1f} s: "
        f"**after/before = {medians['after'] / medians['before']:.2f}**.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    args = parse_args()
    workdir = Path(args.workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    commits = {
        label: (worktree(ref, workdir / label), workdir / label / "lib")
        for label, ref in (("before", args.before), ("after", args.after))
    }
    try:
        landing = generate_landing(workdir, LAKES[args.lake])
        overrides = {"before": args.before_set, "after": args.after_set}
        runs = []
        for round_ in range(1, args.rounds + 1):
            for label, (commit, lib) in commits.items():
                result = timed_ingest(lib, landing, workdir / f"lake_{label}", overrides[label])
                runs.append({"round": round_, "label": label, "commit": commit, **result})
                print(json.dumps(runs[-1]), flush=True)
    finally:
        for label in commits:
            git("worktree", "remove", "--force", str(workdir / label))
    report = {
        "cpus": os.cpu_count(),
        "lake": " ".join(LAKES[args.lake][1:]),
        "overrides": overrides,
        "runs": runs,
        "median_ingest_seconds": {
            label: statistics.median(r["ingest_seconds"] for r in runs if r["label"] == label)
            for label in commits
        },
    }
    print(write_result(args.out, report, markdown).read_text())


if __name__ == "__main__":
    main()
