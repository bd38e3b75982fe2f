"""Benchmark `crm-mining ingest` against a bare Spark copy of the same landing transaction files.

    .venv/bin/python scripts/bench_ingest.py --customers 80000 --months 12      # >= 10M transactions
    .venv/bin/python scripts/bench_ingest.py --customers 2000 --months 3        # quick look
    .venv/bin/python scripts/bench_ingest.py --customers 20000 --commits 238479e,HEAD --rounds 2

With ``--commits``, each commit's own script and library run from a worktree, interleaved per round, on
one lake; the per-run JSON files and a side-by-side table go next to ``--out`` (``<stem>_ab.md``).

Steps, in one process: generate the lake (skipped when the generator's manifest already matches),
count the landing transactions, time the floor (spark.read of the CSV and Parquet drops ->
write.parquet), then time ``ingest_lake`` (every source; per-source seconds from its summary). Peak
memory: the driver JVM's VmHWM from /proc/<pid>/status (in local mode the driver runs the tasks too)
and the Python process's ru_maxrss. Results go to a JSON file and a short Markdown table.
Not a test: the numbers depend on the machine and its load, which the result file records.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from pyspark.sql import SparkSession

from crm_mining.config import load_config
from crm_mining.logs import setup_logging
from crm_mining.session import get_spark
from crm_mining.tables import Lake
from results_files import write_result
from worktrees import worktrees

log = logging.getLogger("bench_ingest")
RESULTS = Path(__file__).resolve().parent / "results"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=80000, help="generate.customers (size flag)")
    parser.add_argument("--months", type=int, default=12, help="generate.months (size flag)")
    parser.add_argument(
        "--lakehouse", default="/tmp/bench_ingest/lakehouse", help="lake root (wiped before ingest)"
    )
    parser.add_argument("--driver-memory", default="6g")
    parser.add_argument("--out", default=str(RESULTS / "bench_ingest.json"))
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="extra config override")
    parser.add_argument("--commits", help="comma-separated git commits to compare side by side")
    parser.add_argument("--rounds", type=int, default=1, help="with --commits: rounds of every commit")
    return parser.parse_args()


class PeakMemory:
    """Samples the driver JVM's resident set every second; VmHWM is the kernel's own high-water mark."""

    def __init__(self, pid: int):
        self.pid, self.peak_rss_kb, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def status(self) -> dict[str, int]:
        fields = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                fields[key] = int(value.split()[0])
        return fields

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self.peak_rss_kb = max(self.peak_rss_kb, self.status().get("VmRSS", 0))

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def jvm_pid(spark: SparkSession) -> int:
    return int(spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid())


def landing_transactions(spark: SparkSession, lake: Lake) -> tuple[int, dict[str, str]]:
    """Rows in the landing transaction drops (CSV data lines + Parquet rows) and the globs read."""
    globs = {
        "csv": lake.landing("transactions/csv") + "/*/*.csv",
        "parquet": lake.landing("transactions/parquet") + "/*/*.parquet",
    }
    csv_rows = spark.read.option("header", "true").csv(globs["csv"]).count()
    parquet_rows = spark.read.parquet(globs["parquet"]).count()
    return csv_rows + parquet_rows, globs


def bare_copy(spark: SparkSession, globs: dict[str, str], target: str) -> float:
    """The floor: read the same landing transaction files and write them as Parquet, nothing else."""
    shutil.rmtree(target, ignore_errors=True)
    started = time.monotonic()
    spark.read.option("header", "true").csv(globs["csv"]).write.mode("overwrite").parquet(f"{target}/csv")
    spark.read.parquet(globs["parquet"]).write.mode("overwrite").parquet(f"{target}/parquet")
    return time.monotonic() - started


def wipe_ingest_output(lake: Lake, root: str) -> None:
    """Ingest from scratch: drop earlier bronze/silver/ops tables and checkpoints, keep landing and truth."""
    for folder in ("bronze", "silver", "ops", "_checkpoints"):
        shutil.rmtree(f"{root}/{folder}", ignore_errors=True)


def compare_commits(args: argparse.Namespace) -> None:
    """Each commit's bench_ingest.py on the same lake, interleaved per round; then one table of all runs."""
    out = Path(args.out)
    sizes = ["--customers", str(args.customers), "--months", str(args.months)]
    common = [*sizes, "--lakehouse", args.lakehouse, "--driver-memory", args.driver_memory]
    common += [f"--set={override}" for override in args.overrides]
    runs = []
    with worktrees(args.commits, Path(args.lakehouse).parent / "trees") as trees:
        for round_ in range(1, args.rounds + 1):
            for commit, tree in trees.items():
                run_out = out.with_name(f"{out.stem}_{commit}_r{round_}.json")
                command = [
                    sys.executable,
                    str(tree / "scripts" / "bench_ingest.py"),
                    *common,
                    "--out",
                    str(run_out),
                ]
                subprocess.run(command, check=True, env={**os.environ, "PYTHONPATH": str(tree / "lib")})
                runs.append((commit, round_, json.loads(run_out.read_text())))
    out.with_name(f"{out.stem}_ab.md").write_text(side_by_side(args, runs))


def side_by_side(args: argparse.Namespace, runs: list[tuple[str, int, dict]]) -> str:
    lines = [
        "# Ingest side by side (`scripts/bench_ingest.py --commits`)",
        "",
        f"--customers {args.customers} --months {args.months}, {runs[0][2]['landing_transactions']:,} landing "
        f"transactions; commits {args.commits}, {args.rounds} round(s), interleaved; each run its own process "
        "(generate skipped: the same landing), its bare copy timed in the same process.",
        "",
        "| commit | round | load at start | bare copy s | transaction streams s | ratio to copy | all sources s | "
        "driver peak MB | transaction steps s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for commit, round_, r in runs:
        txn = r["ingest_summary"]["sources"]["transactions"]
        steps = ", ".join(f"{k} {v}" for k, v in txn.get("step_seconds", {}).items())
        lines.append(
            f"| {commit} | {round_} | {r['machine']['load_avg_at_start'][0]:.1f} | {r['bare_copy_seconds']} | "
            f"{r.get('ingest_transactions_seconds')} | {r.get('ratio_ingest_transactions_to_copy')} | "
            f"{r['ingest_seconds']} | {r['memory']['driver_jvm_vmhwm_mb']} | {steps} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    args = parse_args()
    if args.commits:
        compare_commits(args)
        return
    setup_logging()
    overrides = [
        f"generate.customers={args.customers}",
        f"generate.months={args.months}",
        f"spark.driver_memory={args.driver_memory}",
        *args.overrides,
    ]
    config = load_config(overrides=overrides, lakehouse=args.lakehouse)
    spark = get_spark(config)
    lake = Lake(config)
    from crm_mining.generate import generate_lake
    from crm_mining.ingest import ingest_lake

    result: dict = {"settings": {"customers": args.customers, "months": args.months,
                                 "driver_memory": args.driver_memory, "overrides": args.overrides}}  # fmt: skip
    result["machine"] = {"cpus": os.cpu_count(), "load_avg_at_start": os.getloadavg(), "python": platform.python_version(),
                         "spark": spark.version}  # fmt: skip
    with PeakMemory(jvm_pid(spark)) as memory:
        started = time.monotonic()
        generated = generate_lake(spark, config)
        result["generate_seconds"] = round(time.monotonic() - started, 1)
        rows, globs = landing_transactions(spark, lake)
        result["landing_transactions"] = rows
        log.info(
            "landing holds %d transactions (generator: %s)",
            rows,
            generated.get("rows", {}).get("transactions"),
        )
        jvm_before_timed = memory.status()
        floor = bare_copy(spark, globs, f"{args.lakehouse.rstrip('/')}/../bench_copy")
        result["bare_copy_seconds"] = round(floor, 1)
        log.info("bare copy: %.1fs", floor)
        wipe_ingest_output(lake, args.lakehouse.rstrip("/"))
        started = time.monotonic()
        summary = ingest_lake(spark, config)
        seconds = time.monotonic() - started
        result["ingest_seconds"] = round(seconds, 1)
        txn = summary["sources"]["transactions"]
        result["ingest_transactions_seconds"] = txn.get("seconds")
        result["ingest_summary"] = summary
        result["ratio_ingest_all_sources_to_copy"] = round(seconds / floor, 2)
        if txn.get("seconds"):
            result["ratio_ingest_transactions_to_copy"] = round(txn["seconds"] / floor, 2)
        result["transactions_per_second_ingest"] = (
            round(txn["rows_read"] / txn["seconds"]) if txn.get("seconds") else None
        )
        result["transactions_per_second_copy"] = round(rows / floor)
        result["accounting_balanced"] = all(
            s["rows_read"] == s["rows_written"] + s["rows_quarantined"] + s["duplicates"]
            for s in summary["sources"].values()
        )
    status = memory.status()
    result["memory"] = {
        "driver_jvm_vmhwm_mb": round(status["VmHWM"] / 1024),
        "driver_jvm_peak_rss_sampled_mb": round(memory.peak_rss_kb / 1024),
        "driver_jvm_rss_before_timed_steps_mb": round(jvm_before_timed.get("VmRSS", 0) / 1024),
        "python_ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    result["machine"]["load_avg_at_end"] = os.getloadavg()
    write_result(args.out, result, markdown)
    print(json.dumps({k: v for k, v in result.items() if k != "ingest_summary"}, indent=2, default=str))


def markdown(r: dict) -> str:
    txn = r["ingest_summary"]["sources"]["transactions"]
    return "\n".join([
        "# Ingest benchmark",
        "",
        f"Generated with --customers {r['settings']['customers']} --months {r['settings']['months']}; "
        f"{r['machine']['cpus']} CPUs, load average at start {r['machine']['load_avg_at_start'][0]:.1f} "
        "(the machine is shared).",
        "",
        "| measure | value |",
        "|---|---|",
        f"| landing transactions | {r['landing_transactions']:,} |",
        f"| bare copy (read CSV+Parquet drops -> write.parquet) | {r['bare_copy_seconds']} s |",
        f"| ingest, transactions streams | {r.get('ingest_transactions_seconds')} s |",
        f"| ingest, all sources (incl. table creation, optimize) | {r['ingest_seconds']} s |",
        f"| ratio transactions ingest / bare copy (goal <= 2) | {r.get('ratio_ingest_transactions_to_copy')} |",
        f"| ratio all-source ingest / bare copy | {r['ratio_ingest_all_sources_to_copy']} |",
        f"| transactions written / quarantined / duplicates | {txn['rows_written']:,} / {txn['rows_quarantined']:,} / "
        f"{txn['duplicates']:,} |",
        f"| ingest, OPTIMIZE + ZORDER of the loaded months | {r['ingest_summary'].get('optimize_seconds')} s |",
        f"| accounting balanced | {r['accounting_balanced']} |",
        f"| driver JVM peak RSS (VmHWM) | {r['memory']['driver_jvm_vmhwm_mb']} MB |",
        f"| Python ru_maxrss | {r['memory']['python_ru_maxrss_mb']} MB |",
        "",
        "Transactions ingest, seconds per step (summed over both streams): "
        + ", ".join(f"{k} {v}" for k, v in txn.get("step_seconds", {}).items()) + ".",
        "",
    ])  # fmt: skip


if __name__ == "__main__":
    main()
