"""The whole pipeline at scale (1M, 10M, 30M+ transactions) with the single-node peers, side by side.

    .venv/bin/python scripts/bench_scale.py                          # 1M, 10M, 30M
    .venv/bin/python scripts/bench_scale.py --sizes 1M,10M --evals 3
    .venv/bin/python scripts/bench_scale.py --sizes 30M --workdir /work/bench_scale --resume  # after a stop

A size longer than a working session can be stopped (kill the process group) and continued with
``--resume``: the lake, the stage marks, Spark's event logs and the RSS samples stay in the size's
folder; generate is rerun only if it had not finished, and the pipeline resumes its unfinished run at
the stage that was stopped (``pipeline.resume``), so a stage's seconds are those of its completed attempt.
Stop between stages once the next stage has started: a stop after a stage's end but before the pipeline
recorded it repeats the stage on resume (the result then shows both attempts).

Each size runs in a fresh process (``--child``): ``generate_lake`` then ``run_pipeline``, every stage
with the same ``spark.driver_memory`` whatever the size. Recorded per size and stage:

- wall seconds (``ops.pipeline_runs``; generate timed directly) and transactions per second;
- peak RSS of the driver: the Python process and its JVM, sampled once a second from ``/proc`` by
  this parent process and attributed to the stage running at the time;
- shuffle spill (memory and disk bytes) and shuffle bytes written, from Spark's own event log
  (``SparkListenerStageCompleted`` accumulables), attributed to the stage by completion time.

Then a second fresh process (``--peers``) runs the single-node peers on the same lake, each timed
without its data loading: a bare Parquet copy of the landing transactions (Spark, the I/O floor,
against ingest), mlxtend FPGrowth + association rules on the latest snapshot's product baskets (against
rules), scikit-learn KMeans with the same k range, runs per k and silhouette sample (against segment),
LightGBM with the same TPE budget on the same out-of-time splits of churn and risk (against train), and
lifetimes BG/NBD + Gamma-Gamma on the DEBIT transactions of silver (against lifecycle, whose customer
value is that model). Each stage does more than its peer (coverage, offers, profiles, backtests, SCD2);
the ratios say what the distributed stage costs against one machine's library on data that fits it.

Not a test: figures depend on the machine and its load, which the results record.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
RESULTS = SCRIPTS / "results"
# Transactions per customer over the default 24 months: 11.5-11.8 per customer-month in every lake
# generated so far (16,531 for 120 x 12; 278,429 for 3,000 x 8; 11.3M for 80,000 x 12).
TXNS_PER_CUSTOMER = 283
SIZES = {"1M": 1_000_000, "10M": 10_000_000, "30M": 30_000_000, "100M": 100_000_000}
MEBI = 1024 * 1024


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1M,10M,30M", help=f"comma-separated, of {', '.join(SIZES)}")
    parser.add_argument("--evals", type=int, default=3, help="TPE trials per model, GBT and LightGBM alike")
    parser.add_argument("--driver-memory", default="4g", help="spark.driver.memory, the same for every size")
    parser.add_argument("--workdir", default="/tmp/bench_scale", help="one lake per size (wiped)")
    parser.add_argument("--out", default=str(RESULTS / "bench_scale.json"))
    parser.add_argument("--keep-lakes", action="store_true", help="leave the lakes in --workdir")
    parser.add_argument(
        "--note", action="append", default=[], help="a line for the results' notes (repeatable)"
    )
    parser.add_argument("--report-only", action="store_true", help="rewrite the Markdown from the --out JSON")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue a size that was stopped: keep its lake, skip a finished generate, resume the "
        "pipeline run (pipeline.resume) and keep the earlier processes' RSS samples and event logs",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)  # size: run the pipeline in this process
    parser.add_argument("--peers", help=argparse.SUPPRESS)  # size: run the peers in this process
    return parser.parse_args()


def overrides(size: str, args: argparse.Namespace) -> list[str]:
    customers = SIZES[size] // TXNS_PER_CUSTOMER
    return [
        "spark.master=local[2]",
        f"spark.driver_memory={args.driver_memory}",
        f"generate.customers={customers}",
        "generate.months=24",
        f"models.tuning.max_evals={args.evals}",
        "pipeline.quiet=true",
    ]


def size_config(size: str, args: argparse.Namespace, event_dir: Path | None = None):
    from crm_mining.config import load_config

    config = load_config(
        overrides=overrides(size, args), lakehouse=str(Path(args.workdir) / size / "lakehouse")
    )
    if event_dir is None:
        return config
    event_dir.mkdir(parents=True, exist_ok=True)
    conf = {
        **config.spark.conf,
        "spark.eventLog.enabled": "true",
        "spark.eventLog.dir": f"file://{event_dir}",
        "spark.eventLog.compress": "false",  # Spark 4 compresses by default; plain JSON lines to parse
        # Plan text dominates the log (about 1 GB for the 1M lake with full plans); stage metrics do not need it.
        "spark.sql.maxPlanStringLength": "2000",
    }
    return dataclasses.replace(config, spark=dataclasses.replace(config.spark, conf=conf))


# -- child: generate + pipeline ------------------------------------------------------------------------


def timing_stages(marks: Path) -> None:
    """Make ``run_pipeline`` append each stage's start and end (epoch seconds) to ``marks``."""
    import crm_mining.pipeline as pipeline

    def timed(stage):
        def run(spark, config):
            mark(marks, stage.name, "start")
            try:
                return stage.run(spark, config)
            finally:
                mark(marks, stage.name, "end")

        return dataclasses.replace(stage, run=run)

    # generate is timed by the caller; the pipeline's own generate step then only finds the lake there.
    stages = [timed(s) if s.built and s.name != "generate" else s for s in pipeline.pipeline_stages()]
    pipeline.pipeline_stages = lambda: stages


# What a child writes in its size's folder; the parent's RSS samples and process list stay beside them.
CHILD_OUTPUTS = ("lakehouse", "events", "marks.jsonl", "generated.json", "result.json")


def generate_finished(folder: Path) -> bool:
    marks = folder / "marks.jsonl"
    return marks.exists() and stage_windows(marks).get("generate", (0, float("inf")))[1] != float("inf")


def pipeline_started(folder: Path) -> bool:
    """A timed stage started, so the pipeline's own first stage recorded its run in ops.pipeline_runs."""
    return any(name != "generate" for name in stage_windows(folder / "marks.jsonl"))


def pipeline_finished(folder: Path) -> bool:
    from crm_mining.stages import pipeline_stages

    last_stage = [s for s in pipeline_stages() if s.built][-1].name
    return stage_windows(folder / "marks.jsonl").get(last_stage, (0, float("inf")))[1] != float("inf")


def last_run_id(spark, lake) -> str:
    from pyspark.sql import functions as F

    from crm_mining.runs import TABLE

    return lake.read(spark, TABLE).orderBy(F.desc("started_at")).first()["run_id"]


def mark(marks: Path, stage: str, event: str) -> None:
    with marks.open("a") as out:
        out.write(json.dumps({"stage": stage, event: time.time()}) + "\n")


def run_child(size: str, args: argparse.Namespace) -> dict:
    from pyspark.sql import functions as F

    from crm_mining.generate import generate_lake
    from crm_mining.logs import setup_logging
    from crm_mining.pipeline import run_pipeline
    from crm_mining.runs import RUN_ROW, stage_rows
    from crm_mining.session import get_spark
    from crm_mining.tables import Lake

    setup_logging()
    folder = Path(args.workdir) / size
    resuming = args.resume and generate_finished(folder)
    if not resuming:  # an unfinished generate is not resumable: start the size again
        for name in CHILD_OUTPUTS:
            path = folder / name
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
    marks = folder / "marks.jsonl"
    config = size_config(size, args, event_dir=folder / "events")
    started = time.time()
    spark = get_spark(config)
    result = {
        "size": size,
        "overrides": overrides(size, args),
        "session_seconds": round(time.time() - started, 1),
    }
    generated_file = folder / "generated.json"
    if not resuming:
        mark(marks, "generate", "start")
        rows = generate_lake(spark, config).get("rows", {})
        mark(marks, "generate", "end")
        generated_file.write_text(
            json.dumps({"transactions": rows.get("transactions"), "customers": config.generate.customers})
        )
    result |= json.loads(generated_file.read_text())
    if resuming and pipeline_started(folder):
        config = dataclasses.replace(config, pipeline=dataclasses.replace(config.pipeline, resume=True))
    timing_stages(marks)
    error, run_id = None, None
    try:
        if resuming and pipeline_finished(folder):  # stopped after the pipeline, in its peers
            run_id = last_run_id(spark, Lake(config))
        else:
            run_id = run_pipeline(spark, config)["run_id"]
    except Exception as exc:  # the stage rows say which stage failed; the result file keeps the message
        error = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
        run_id = last_run_id(spark, Lake(config))  # the stages that finished before the failure
    result["pipeline_error"] = error
    rows = stage_rows(spark, Lake(config), run_id).where(F.col("stage") != RUN_ROW) if run_id else None
    result["stages"] = (
        [
            {k: r[k] for k in ("stage", "status", "seconds", "rows_in", "rows_out")}
            for r in rows.orderBy("stage_number").collect()  # a row per stage
        ]
        if rows is not None
        else []
    )
    spark.stop()
    return result


# -- parent: RSS sampling, event log, peers ------------------------------------------------------------


def children_of() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def is_jvm(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == "java"
    except OSError:
        return False


class RssSampler(threading.Thread):
    """Samples, once a second, the RSS of a Python process and of the JVM(s) below it.

    Each sample is appended to ``log`` as well, so that a size resumed in a later process keeps the
    samples of the processes before it."""

    def __init__(self, pid: int, log: Path):
        super().__init__(daemon=True)
        self.pid, self.log, self.stop = pid, log, threading.Event()

    def run(self) -> None:
        with self.log.open("a") as out:
            while not self.stop.is_set():
                tree, stack, jvm = children_of(), [self.pid], 0
                while stack:
                    for child in tree.get(stack.pop(), []):
                        stack.append(child)
                        jvm += rss_bytes(child) if is_jvm(child) else 0
                out.write(json.dumps([time.time(), rss_bytes(self.pid), jvm]) + "\n")
                out.flush()
                self.stop.wait(1.0)


def rss_samples(log: Path) -> list[tuple[float, int, int]]:
    if not log.exists():
        return []
    return [tuple(json.loads(line)) for line in log.read_text().splitlines() if line.endswith("]")]


def stage_attempts(marks: Path) -> dict[str, list[tuple[float, float]]]:
    """Each stage's (start, end) attempts in order; end is inf for an attempt that was stopped."""
    attempts: dict[str, list[list[float]]] = {}
    for line in marks.read_text().splitlines():
        event = json.loads(line)
        if "start" in event:
            attempts.setdefault(event["stage"], []).append([event["start"], float("inf")])
        elif event["stage"] in attempts:
            attempts[event["stage"]][-1][1] = event["end"]
    return {stage: [(a[0], a[1]) for a in tries] for stage, tries in attempts.items()}


def stage_windows(marks: Path) -> dict[str, tuple[float, float]]:
    """Each stage's last attempt: after a resume, the one the pipeline ran to its record."""
    return {stage: tries[-1] for stage, tries in stage_attempts(marks).items()}


def earlier_attempts(folder: Path, samples) -> dict[str, list[dict]]:
    """Completed attempts of a stage before its last one. A stop after a stage's end but before the
    pipeline recorded it makes the resumed run repeat the stage (an idempotent stage then finds little to
    do), so the attempt that did the work is reported beside the one the pipeline recorded."""
    found: dict[str, list[dict]] = {}
    for stage, tries in stage_attempts(folder / "marks.jsonl").items():
        for start, end in tries[:-1]:
            if end == float("inf"):
                continue
            window = {stage: (start, end)}
            events = folder / "events"
            found.setdefault(stage, []).append(
                {
                    "seconds": round(end - start, 1),
                    "peak_rss": peak_rss(samples, window).get(stage, {}),
                    "spill": spill_per_stage(events, window).get(stage, {}) if events.exists() else {},
                }
            )
    return found


def in_window(t: float, windows: dict[str, tuple[float, float]]) -> str | None:
    return next((name for name, (start, end) in windows.items() if start <= t <= end), None)


def peak_rss(samples, windows) -> dict[str, dict[str, float]]:
    peaks: dict[str, dict[str, float]] = {}
    for t, python, jvm in samples:
        stage = in_window(t, windows)
        if stage is None:
            continue
        peak = peaks.setdefault(stage, {"python_mib": 0.0, "jvm_mib": 0.0, "total_mib": 0.0})
        peak["python_mib"] = max(peak["python_mib"], python / MEBI)
        peak["jvm_mib"] = max(peak["jvm_mib"], jvm / MEBI)
        peak["total_mib"] = max(peak["total_mib"], (python + jvm) / MEBI)
    return {s: {k: round(v) for k, v in p.items()} for s, p in peaks.items()}


SPILL_METRICS = {
    "internal.metrics.memoryBytesSpilled": "memory_spill_bytes",
    "internal.metrics.diskBytesSpilled": "disk_spill_bytes",
    "internal.metrics.shuffle.write.bytesWritten": "shuffle_write_bytes",
}


def spill_per_stage(event_dir: Path, windows) -> dict[str, dict[str, int]]:
    """Spill and shuffle bytes of every completed Spark stage, summed per pipeline stage."""
    totals: dict[str, dict[str, int]] = {}
    # Spark 4 writes rolling event logs: a folder per application holding events_<n>_<app> files.
    for log in sorted(
        p for p in event_dir.rglob("*") if p.is_file() and p.name.startswith(("events_", "app-", "local-"))
    ):
        with log.open() as events:
            for line in events:
                if '"SparkListenerStageCompleted"' not in line[:60]:
                    continue
                info = json.loads(line)["Stage Info"]
                stage = in_window(info.get("Completion Time", 0) / 1000, windows)
                if stage is None:
                    continue
                sums = totals.setdefault(stage, {v: 0 for v in SPILL_METRICS.values()} | {"spark_stages": 0})
                sums["spark_stages"] += 1
                for acc in info.get("Accumulables", []):
                    if acc.get("Name") in SPILL_METRICS:
                        sums[SPILL_METRICS[acc["Name"]]] += int(acc.get("Value") or 0)
    return totals


def run_size(size: str, args: argparse.Namespace) -> dict:
    folder = Path(args.workdir) / size
    history_file = folder / "processes.json"  # each process that ran this size: start, load, wall
    history = json.loads(history_file.read_text()) if args.resume and history_file.exists() else []
    if not args.resume:
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    command = [sys.executable, __file__, "--child", size, *forwarded(args)]
    started = time.time()
    child = subprocess.Popen(command)
    sampler = RssSampler(child.pid, folder / "rss.jsonl")
    sampler.start()
    history.append({"started": started, "load_avg_at_start": load})
    history_file.write_text(json.dumps(history))
    code = child.wait()
    sampler.stop.set()
    sampler.join()
    history[-1]["wall_seconds"] = round(time.time() - started, 1)
    history_file.write_text(json.dumps(history))
    out = folder / "result.json"
    result = (
        json.loads(out.read_text()) if out.exists() else {"size": size, "stages": [], "transactions": None}
    )
    result["child_exit_code"] = code
    result["load_avg_at_start"] = history[0]["load_avg_at_start"]
    samples = rss_samples(folder / "rss.jsonl")
    result["processes"] = walls_of_stopped(history, samples)
    result["process_wall_seconds"] = round(sum(p["wall_seconds"] for p in result["processes"]), 1)
    marks = folder / "marks.jsonl"
    windows = stage_windows(marks) if marks.exists() else {}  # none when the child failed to start
    start, end = windows.get("generate", (0.0, 0.0))
    result["generate_seconds"] = round(end - start, 1) if end != float("inf") else None
    events = folder / "events"
    result["peak_rss"] = peak_rss(samples, windows)
    result["spill"] = spill_per_stage(events, windows) if events.exists() else {}
    result["peak_rss_whole_run_mib"] = round(max(((p + j) / MEBI for _, p, j in samples), default=0))
    result["earlier_attempts"] = earlier_attempts(folder, samples) if marks.exists() else {}
    if code == 0:
        result["peers"] = run_peers_process(size, args)
    return result


def walls_of_stopped(history: list[dict], samples) -> list[dict]:
    """A process stopped with its parent never recorded its wall time: it ran until its last RSS sample."""
    ends = [p["started"] for p in history[1:]] + [float("inf")]
    filled = []
    for process, next_start in zip(history, ends, strict=True):
        last = max(
            (t for t, _, _ in samples if process["started"] <= t < next_start), default=process["started"]
        )
        filled.append({"wall_seconds": round(last - process["started"], 1), **process})
    return filled


def forwarded(args: argparse.Namespace) -> list[str]:
    resume = ["--resume"] if args.resume else []
    return [
        "--workdir",
        args.workdir,
        "--evals",
        str(args.evals),
        "--driver-memory",
        args.driver_memory,
        *resume,
    ]


def run_peers_process(size: str, args: argparse.Namespace) -> dict:
    out = Path(args.workdir) / size / "peers.json"
    subprocess.run([sys.executable, __file__, "--peers", size, *forwarded(args)], check=False)
    return (
        json.loads(out.read_text()) if out.exists() else {"error": "the peers process failed; see its output"}
    )


# -- peers ---------------------------------------------------------------------------------------------


def timed_peer(name: str, fn) -> dict:
    """Run one peer; a peer that fails or runs out of memory is recorded as such, not fatal."""
    try:
        return fn()
    except MemoryError:
        return {"error": "out of memory"}
    except Exception as exc:  # each peer is independent: the others still run
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        return {"error": f"{type(exc).__name__}: {lines[0] if lines else 'no message'}"}


def delta_pandas(lake, name: str, columns: list[str]):
    from deltalake import DeltaTable

    return DeltaTable(lake.location(name)).to_pandas(columns=columns)


def latest_features(lake, columns: list[str]):
    frame = delta_pandas(lake, "gold.customer_features", ["snapshot_date", "customer_id", *columns])
    return frame[frame.snapshot_date == frame.snapshot_date.max()]


def peer_bare_copy(spark, lake, folder: Path) -> dict:
    sys.path.insert(0, str(SCRIPTS))
    from bench_ingest import bare_copy, landing_transactions

    rows, globs = landing_transactions(spark, lake)
    seconds = bare_copy(spark, globs, str(folder / "bare_copy"))
    shutil.rmtree(folder / "bare_copy", ignore_errors=True)
    return {"against": "ingest", "seconds": round(seconds, 1), "rows": rows}


def peer_mlxtend(config, lake) -> dict:
    import pandas as pd
    from mlxtend.frequent_patterns import association_rules, fpgrowth
    from mlxtend.preprocessing import TransactionEncoder

    settings = config.rules
    frame = latest_features(lake, ["products"])
    baskets = [
        sorted({str(p).strip() for p in items if p and str(p).strip()})
        for items in frame.products
        if items is not None
    ]
    baskets = [b for b in baskets if b]
    started = time.perf_counter()
    encoder = TransactionEncoder()
    onehot = pd.DataFrame(encoder.fit(baskets).transform(baskets), columns=encoder.columns_)
    itemsets = fpgrowth(
        onehot, min_support=settings.min_support, use_colnames=True, max_len=settings.max_itemset_size
    )
    rules = association_rules(
        itemsets, num_itemsets=len(onehot), metric="confidence", min_threshold=settings.min_confidence
    )
    rules = rules[rules["consequents"].map(len) == 1]
    return {
        "against": "rules",
        "seconds": round(time.perf_counter() - started, 2),
        "baskets": len(baskets),
        "itemsets": len(itemsets),
        "rules": len(rules),
    }


def peer_kmeans(config, lake) -> dict:
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from sklearn.preprocessing import StandardScaler

    settings = config.segment
    frame = latest_features(lake, settings.features)
    started = time.perf_counter()
    x = frame[settings.features].astype(float)
    for column in settings.log1p_columns:
        if column in x:
            x[column] = np.sign(x[column]) * np.log1p(np.abs(x[column]))
    x = StandardScaler().fit_transform(x.fillna(x.median()))
    rng = np.random.default_rng(settings.seed)
    sample = rng.choice(len(x), min(len(x), settings.silhouette_sample), replace=False)
    scores = {}
    for k in range(settings.k_min, settings.k_max + 1):
        model = KMeans(
            k, n_init=settings.selection_n_init, max_iter=settings.max_iter, random_state=settings.seed
        )
        labels = model.fit_predict(x)
        scores[k] = float(silhouette_score(x[sample], labels[sample]))
    best = max(scores, key=scores.get)
    KMeans(best, n_init=settings.n_init, max_iter=settings.max_iter, random_state=settings.seed).fit(x)
    return {
        "against": "segment",
        "seconds": round(time.perf_counter() - started, 2),
        "customers": len(x),
        "k_by_silhouette": best,
    }


def peer_lightgbm(spark, config, lake, evals: int) -> dict:
    sys.path.insert(0, str(SCRIPTS))
    from bench_models import lightgbm_run, split_population

    out = {"against": "train", "seconds": 0.0, "models": {}}
    for name in config.models.specs:
        _, feats, pdf = split_population(spark, config, lake, name)
        names = [f.name for f in feats]
        cats = [f.name for f in feats if f.kind == "categorical"]
        part = {s: pdf[pdf.split == s] for s in ("train", "validation", "test")}
        auc, seconds = lightgbm_run(
            part["train"], part["validation"], part["test"], names, cats, evals, seed=42
        )
        out["models"][name] = {
            "rows": len(pdf),
            "test_auc": round(float(auc), 4),
            "seconds": round(seconds, 1),
        }
        out["seconds"] = round(out["seconds"] + seconds, 1)
    return out


def peer_lifetimes(config, lake) -> dict:
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

    frame = delta_pandas(lake, "silver.transactions", ["customer_id", "txn_date", "amount_base", "direction"])
    frame = frame[frame.direction == "DEBIT"].drop(columns="direction")
    frame["txn_date"] = pd.to_datetime(frame["txn_date"])  # lifetimes needs datetimes, not date objects
    as_of = frame.txn_date.max()
    started = time.perf_counter()
    summary = summary_data_from_transaction_data(
        frame,
        "customer_id",
        "txn_date",
        monetary_value_col="amount_base",
        observation_period_end=as_of,
        freq="D",
    )
    penalizer = config.value.penalizer  # the lifecycle stage's own
    bgf = BetaGeoFitter(penalizer_coef=penalizer).fit(summary["frequency"], summary["recency"], summary["T"])
    repeat = summary[(summary.frequency > 0) & (summary.monetary_value > 0)]
    ggf = GammaGammaFitter(penalizer_coef=penalizer).fit(repeat.frequency, repeat.monetary_value)
    ggf.customer_lifetime_value(
        bgf, repeat["frequency"], repeat["recency"], repeat["T"], repeat["monetary_value"], time=12
    )
    return {
        "against": "lifecycle",
        "seconds": round(time.perf_counter() - started, 2),
        "debit_transactions": len(frame),
        "customers": len(summary),
    }


def run_peers(size: str, args: argparse.Namespace) -> dict:
    from crm_mining.logs import setup_logging
    from crm_mining.session import get_spark
    from crm_mining.tables import Lake

    setup_logging()
    config = size_config(size, args)
    lake = Lake(config)
    spark = get_spark(config)
    folder = Path(args.workdir) / size
    peers = {
        "bare_parquet_copy": timed_peer("bare copy", lambda: peer_bare_copy(spark, lake, folder)),
        "mlxtend": timed_peer("mlxtend", lambda: peer_mlxtend(config, lake)),
        "scikit_learn_kmeans": timed_peer("kmeans", lambda: peer_kmeans(config, lake)),
        "lightgbm": timed_peer("lightgbm", lambda: peer_lightgbm(spark, config, lake, args.evals)),
        "lifetimes": timed_peer("lifetimes", lambda: peer_lifetimes(config, lake)),
    }
    spark.stop()
    return peers


# -- results -------------------------------------------------------------------------------------------


def recorded_seconds(result: dict) -> dict[str, float]:
    seconds = {"generate": result.get("generate_seconds") or 0.0}
    seconds.update({s["stage"]: s["seconds"] or 0.0 for s in result["stages"] if s["stage"] != "generate"})
    return seconds


def working_attempts(result: dict) -> dict[str, dict]:
    """Stages whose earlier completed attempt took longer than the recorded repeat: that attempt did the
    work (a stage repeated after a resume, e.g. ingest, finds its input already done)."""
    recorded = recorded_seconds(result)
    found = {}
    for stage, tries in (result.get("earlier_attempts") or {}).items():
        longest = max(tries, key=lambda t: t["seconds"])
        if longest["seconds"] > recorded.get(stage, 0.0):
            found[stage] = longest
    return found


def stage_seconds(result: dict) -> dict[str, float]:
    """Seconds per stage: the pipeline's record, or the earlier attempt that did the work."""
    working = working_attempts(result)
    return {s: working[s]["seconds"] if s in working else v for s, v in recorded_seconds(result).items()}


def scaling(results: list[dict]) -> list[dict]:
    """Each pair of consecutive sizes that ran: the time ratio per stage, against a target of 1.1x the
    data ratio (11x for 10x the data)."""
    ran = sorted((r for r in results if r.get("stages")), key=lambda r: r.get("transactions") or 0)
    pairs = []
    for small, big in zip(ran, ran[1:], strict=False):  # consecutive sizes
        a, b = stage_seconds(small), stage_seconds(big)
        data = big["transactions"] / small["transactions"]
        pairs.append(
            {
                "from": small["size"],
                "to": big["size"],
                "data_ratio": round(data, 2),
                "target": round(1.1 * data, 2),
                "time_ratio": {s: round(b[s] / a[s], 2) for s in a if a[s] and s in b},
            }
        )
    return pairs


def projection(results: list[dict]) -> dict:
    """Per stage, the line through the two largest sizes that ran (seconds = fixed + per-row x rows), and
    what it projects for the sizes that did not run. Two points: a slope, not a fit."""
    ran = sorted(
        (r for r in results if r.get("stages") and not r.get("pipeline_error")),
        key=lambda r: r["transactions"],
    )
    if len(ran) < 2:
        return {}
    small, big = ran[-2], ran[-1]
    a, b = stage_seconds(small), stage_seconds(big)
    rows = big["transactions"] - small["transactions"]
    lines = {
        s: ((b[s] - a[s]) / rows, a[s] - (b[s] - a[s]) / rows * small["transactions"]) for s in a if s in b
    }
    missing = [name for name, n in SIZES.items() if n > big["transactions"] and name != big["size"]]
    projected = {
        name: {s: round(max(fixed + per_row * SIZES[name], b[s]), 1) for s, (per_row, fixed) in lines.items()}
        for name in missing
    }
    return {
        "from": [small["size"], big["size"]],
        "seconds_per_million_rows": {s: round(per_row * 1e6, 2) for s, (per_row, _) in lines.items()},
        "projected_seconds": projected,
        "projected_total_seconds": {name: round(sum(p.values())) for name, p in projected.items()},
    }


def projection_lines(payload: dict) -> list[str]:
    proj = projection(payload["sizes"])
    if not proj:
        return []
    lines = [
        f"## Projection from the slope between {proj['from'][0]} and {proj['from'][1]}",
        "",
        "Seconds = fixed + per-row x rows, per stage, through the two largest sizes that ran (never below the "
        "larger one's time). A straight line: a stage that spills or runs out of memory at a larger size "
        "will take longer.",
        "",
        "| stage | s per 1M transactions (slope) | "
        + " | ".join(f"projected {n}" for n in proj["projected_seconds"])
        + " |",
        "|---|---:|" + "---:|" * len(proj["projected_seconds"]),
    ]
    for stage, slope in proj["seconds_per_million_rows"].items():
        cells = [f"{p[stage]:,.0f}" for p in proj["projected_seconds"].values()]
        lines.append(f"| {stage} | {slope:,.1f} | " + " | ".join(cells) + " |")
    totals = [f"**{t:,} s ({t / 3600:.1f} h)**" for t in proj["projected_total_seconds"].values()]
    lines += ["| **whole pipeline** | | " + " | ".join(totals) + " |", ""]
    return lines


def mib(n: int | None) -> str:
    return "0" if not n else f"{n / MEBI:,.0f}"


def markdown(payload: dict) -> str:
    results, machine = payload["sizes"], payload["machine"]
    lines = [
        "# The whole pipeline at scale (`scripts/bench_scale.py`)",
        "",
        f"Machine: {machine['cpus']} CPUs, {machine['memory_gib']} GiB, Python {machine['python']}; local[2], "
        f"`spark.driver.memory` {payload['driver_memory']} for every size; {payload['evals']} TPE trials per "
        "model (GBT and LightGBM alike). Each size is a fresh process: generate, then `run_pipeline`.",
        "",
    ]
    for r in results:
        lines += size_table(r)
    pairs = scaling(results)
    if pairs:
        lines += ["## More data: time ratio per stage (target: at most 1.1x the data ratio, 11x for 10x)", ""]
        stages = list(pairs[0]["time_ratio"])
        lines.append(
            "| stage | "
            + " | ".join(
                f"{p['from']} -> {p['to']} ({p['data_ratio']}x data, target {1.1 * p['data_ratio']:.1f}x)"
                for p in pairs
            )
            + " |"
        )
        lines.append("|---|" + "---:|" * len(pairs))
        for s in stages:
            cells = [f"{p['time_ratio'].get(s, float('nan')):.2f}x" for p in pairs]
            lines.append(f"| {s} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += projection_lines(payload)
    if payload.get("notes"):  # what the operator saw during the run (``--note``), kept with the figures
        lines += ["## Notes on this run", "", *[f"- {n}" for n in payload["notes"]], ""]
    return "\n".join(lines) + "\n"


def size_table(r: dict) -> list[str]:
    txns = r.get("transactions") or 0
    head = [
        f"## {r['size']}: {txns:,} transactions, {r.get('customers', 0):,} customers",
        "",
        f"Load average at start {r['load_avg_at_start'][0]:.2f}; process wall time {r['process_wall_seconds']:.0f} s; "
        f"peak driver RSS over the run {r['peak_rss_whole_run_mib']:,} MiB (Python + JVM).",
        "",
    ]
    if r.get("pipeline_error"):
        head += [f"The pipeline stopped: {r['pipeline_error']}", ""]
    head += [
        "| stage | seconds | transactions / s | peak RSS MiB (JVM) | spill MiB (memory / disk) | shuffle written MiB |",
        "|---|---:|---:|---:|---|---:|",
    ]
    rows = []
    working = working_attempts(r)
    for stage, seconds in stage_seconds(r).items():
        rss, spill = r["peak_rss"].get(stage, {}), r["spill"].get(stage, {})
        if stage in working:
            rss, spill = working[stage]["peak_rss"], working[stage]["spill"]
        rate = f"{txns / seconds:,.0f}" if seconds else "-"
        rows.append(
            f"| {stage} | {seconds:.1f} | {rate} | {rss.get('total_mib', 0):,} ({rss.get('jvm_mib', 0):,}) | "
            f"{mib(spill.get('memory_spill_bytes'))} / {mib(spill.get('disk_spill_bytes'))} | "
            f"{mib(spill.get('shuffle_write_bytes'))} |"
        )
    total = sum(stage_seconds(r).values())
    rate = f"{txns / total:,.0f}" if total else "-"
    rows.append(f"| **whole pipeline** | **{total:,.0f}** | {rate} | {r['peak_rss_whole_run_mib']:,} | | |")
    recorded = recorded_seconds(r)
    for stage in working:
        rows.append(
            f"\n{stage}: the row is the attempt that did the work; it was stopped after its end but before "
            f"the pipeline recorded it, and the resumed run repeated it in {recorded[stage]:.1f} s."
        )
    peers = r.get("peers") or {}
    tail = [
        "",
        "| peer (same data, one run) | against | peer s | stage s | stage / peer | note |",
        "|---|---|---:|---:|---:|---|",
    ]
    seconds = stage_seconds(r)
    for name, peer in peers.items():
        if not isinstance(peer, dict):
            continue
        if "error" in peer:
            tail.append(f"| {name} | | | | | could not finish: {peer['error']} |")
            continue
        stage_s = seconds.get(peer["against"], 0.0)
        note = ", ".join(f"{k} {v}" for k, v in peer.items() if k not in ("against", "seconds"))
        ratio = f"{stage_s / peer['seconds']:.1f}x" if peer["seconds"] else "-"
        tail.append(
            f"| {name} | {peer['against']} | {peer['seconds']:.2f} | {stage_s:.1f} | {ratio} | {note} |"
        )
    return head + rows + tail + [""]


def machine() -> dict:
    memory = int(Path("/proc/meminfo").read_text().split()[1]) // (1024 * 1024)
    return {"cpus": os.cpu_count(), "memory_gib": memory, "python": platform.python_version()}


def main() -> None:
    args = parse_args()
    if args.child:
        result = run_child(args.child, args)
        (Path(args.workdir) / args.child / "result.json").write_text(json.dumps(result, default=str))
        return
    if args.peers:
        peers = run_peers(args.peers, args)
        (Path(args.workdir) / args.peers / "peers.json").write_text(json.dumps(peers, default=str))
        return
    out = Path(args.out)
    if args.report_only:
        payload = json.loads(out.read_text())
        payload["notes"] = [*payload.get("notes", []), *args.note]
        out.write_text(json.dumps(payload, indent=2, default=str) + "\n")
        out.with_suffix(".md").write_text(markdown(payload))
        return print(out.with_suffix(".md").read_text())
    payload = {
        "machine": machine(),
        "driver_memory": args.driver_memory,
        "evals": args.evals,
        "sizes": [],
        "notes": args.note,
    }
    for size in args.sizes.split(","):
        payload["sizes"].append(run_size(size, args))
        payload["scaling"] = scaling(payload["sizes"])
        # Written after every size: a long run that is stopped keeps the sizes it finished.
        out.write_text(json.dumps(payload, indent=2, default=str) + "\n")
        out.with_suffix(".md").write_text(markdown(payload))
        if not args.keep_lakes:
            shutil.rmtree(Path(args.workdir) / size / "lakehouse", ignore_errors=True)
    print(out.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
