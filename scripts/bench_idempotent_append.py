"""What ingest's idempotent appends cost: a one-row Delta append with and without ``txnAppId``, side by side.

    .venv/bin/python scripts/bench_idempotent_append.py            # 10 rounds, one JVM
    .venv/bin/python scripts/bench_idempotent_append.py --rounds 20

Every ingest commit is an append with ``txnAppId``/``txnVersion`` (``ingest.batch.append_once``), so a
batch retried after a crash, or run by a second ingest at the same time, is written once. To decide
whether to skip the write, Delta 4.4 reads the table's SetTransactions through ``Snapshot.transactions``,
which reconstructs the snapshot's whole state (Spark jobs over the log), although the ``.crc`` file of
the version holds them. A plain append needs no state. This script counts the Spark jobs and times both
kinds of append on one table, interleaved (plain, idempotent, plain, ...) after a warm-up of each, in one
local session built with the product's settings; the first rounds are left out of the medians (JIT
warm-up). Results: ``results/bench_idempotent_append`` (JSON and Markdown), with the load at the start.
Not a test: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from results_files import write_result

RESULTS = Path(__file__).resolve().parent / "results"
WARM_UP = 2


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="appends of each kind, interleaved")
    parser.add_argument("--out", default=str(RESULTS / "bench_idempotent_append.json"))
    return parser.parse_args()


def measure(rounds: int) -> dict:
    from crm_mining.config import load_config
    from crm_mining.session import get_spark

    load = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="bench_append_"))
    config = load_config(overrides=["spark.master=local[2]"], lakehouse=str(work / "lakehouse"))
    spark = get_spark(config)
    scheduler = spark.sparkContext._jsc.sc().dagScheduler()
    table = str(work / "table")
    row = spark.createDataFrame([(1, "a")], "id int, note string")
    row.write.format("delta").save(table)

    def append(idempotent: bool, version: int) -> None:
        writer = row.write.format("delta").mode("append")
        if idempotent:
            writer = writer.option("txnAppId", "bench").option("txnVersion", str(version))
        writer.save(table)

    runs: dict[str, list[dict]] = {"plain": [], "txnAppId": []}
    for i in range(rounds + WARM_UP):
        for kind in runs:
            jobs, started = scheduler.numTotalJobs(), time.monotonic()
            append(kind == "txnAppId", i)
            runs[kind].append(
                {"jobs": scheduler.numTotalJobs() - jobs, "seconds": time.monotonic() - started}
            )
    spark.stop()
    shutil.rmtree(work, ignore_errors=True)
    summary = {
        kind: {
            "median_seconds": round(statistics.median(r["seconds"] for r in rs[WARM_UP:]), 3),
            "median_jobs": statistics.median(r["jobs"] for r in rs[WARM_UP:]),
            "max_jobs": max(r["jobs"] for r in rs[WARM_UP:]),
        }
        for kind, rs in runs.items()
    }
    return {"load_avg_at_start": load, "rounds": rounds, "warm_up": WARM_UP, "summary": summary, "runs": runs}


def markdown(r: dict) -> str:
    s = r["summary"]
    ratio = s["txnAppId"]["median_seconds"] / s["plain"]["median_seconds"]
    lines = [
        "# One-row Delta append, plain vs idempotent (`scripts/bench_idempotent_append.py`)",
        "",
        f"One local[2] session with the product's settings; {r['rounds']} appends of each kind, interleaved, "
        f"after {r['warm_up']} of each left out; load average at start {r['load_avg_at_start'][0]:.2f}.",
        "",
        "| append | median seconds | Spark jobs (median, max) |",
        "|---|---:|---|",
    ]
    for kind, label in (("plain", "plain"), ("txnAppId", "with txnAppId + txnVersion (ingest's)")):
        lines.append(
            f"| {label} | {s[kind]['median_seconds']:.3f} | {s[kind]['median_jobs']:g}, {s[kind]['max_jobs']} |"
        )
    lines += ["", f"idempotent / plain, median time: **{ratio:.2f}x**", ""]
    return "\n".join(lines)


def main() -> None:
    args = parse_args()
    result = measure(args.rounds)
    print(write_result(args.out, result, markdown).read_text())


if __name__ == "__main__":
    main()
