"""Benchmark: the `segment` stage end to end on the sample lake, before and after a change, in one run.

Builds (once, kept under --lake) the test suite's sample lake (400 customers, the other settings the
defaults: 24 months, 15 snapshots), run through generate, ingest, features and lifecycle. Then, for each code version, a child process
(its own JVM, local[2]) runs the stage twice with a fresh model directory: a first run (fits model v1)
and a second run (scores with v1 and checks stability). Each child times the stage's steps by wrapping
the functions `crm_mining.segment` calls (those a version lacks are skipped) and reports the chosen k,
the segment names, the stability ARI, the ARI against the generator's latent segments and the inertia
ratio of the fitted KMeans to scikit-learn (k-means++, n_init=10) on the same scaled data and k.

    python scripts/bench_segment_stage.py --before-lib /tmp/segment_before/lib [--lake DIR]

--before-lib: a copy of an older lib/ (e.g. `git archive <commit> lib | tar -x -C /tmp/segment_before`);
without it only the current code runs. Results: scripts/results/bench_segment_stage.{md,json}.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
CURRENT_LIB = HERE.parent / "lib"
STEPS = [
    "customer_frame",
    "current_model",
    "fit_segmentation",
    "fit_candidates",
    "fit_kmeans",
    "fit_best",
    "named",
    "customer_segments",
    "write_profiles",
    "write_migration",
    "stability",
]
SAMPLE = ["spark.master=local[2]", "generate.customers=400"]  # as tests/conftest.py's sample_lake


def lake_config(lake: Path, extra: list[str] | None = None):
    from crm_mining.config import load_config

    return load_config(overrides=[*SAMPLE, *(extra or [])], lakehouse=str(lake))


def build_lake(lake: Path) -> float:
    """The sample lake (as tests/conftest.py's sample_lake); returns seconds, 0 if it was already built."""
    marker = lake / "_built"
    if marker.exists():
        return 0.0
    from crm_mining.features import build_features
    from crm_mining.generate import generate_lake
    from crm_mining.ingest import ingest_lake
    from crm_mining.lifecycle import build_lifecycle
    from crm_mining.session import get_spark

    shutil.rmtree(lake, ignore_errors=True)
    config = lake_config(lake)
    spark = get_spark(config)
    started = time.monotonic()
    for stage in (generate_lake, ingest_lake, build_features, build_lifecycle):
        stage(spark, config)
    marker.write_text("ok\n")
    spark.stop()
    return time.monotonic() - started


SPENT: dict[str, float] = {}


def timed(name: str, fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        started = time.monotonic()
        try:
            return fn(*args, **kwargs)
        finally:
            SPENT[name] = SPENT.get(name, 0.0) + time.monotonic() - started

    return wrapper


def instrument() -> None:
    """Wrap the stage's steps where they are looked up (the package and its model module) into SPENT."""
    import crm_mining.segment as package
    import crm_mining.segment.model as model

    for module in (package, model):
        for name in STEPS:
            if hasattr(module, name):
                setattr(module, name, timed(name, getattr(module, name)))


def quality(spark, config, summary: dict) -> dict:
    """ARI vs the generator's latent segments and inertia / scikit-learn for the fitted model (bounded: 400 rows)."""
    import numpy as np
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql import functions as F  # noqa: N812 (our standard alias)
    from sklearn.cluster import KMeans

    from crm_mining.segment.artifacts import ModelStore, model_dir
    from crm_mining.segment.assign import agreement
    from crm_mining.segment.source import customer_frame, read_customers
    from crm_mining.tables import Lake

    try:  # versions with set-apart segments (leavers, inactive) cluster only the other customers
        from crm_mining.segment.source import to_cluster
    except ImportError:
        to_cluster = lambda frame: frame  # noqa: E731

    lake = Lake(config)
    latest = summary["snapshots"][-1]
    truth = spark.read.parquet(lake.truth("customers"))
    segments = lake.read(spark, "gold.customer_segments").where(F.col("snapshot_date") == F.lit(latest))
    ari, customers = agreement(segments, truth, "segment_id", "segment")
    clustered = segments.where(F.col("distance_to_centroid").isNotNull())
    ari_clustered, clustered_customers = agreement(clustered, truth, "segment_id", "segment")
    pipeline, info = ModelStore(spark, model_dir(config)).load(summary["model_version"])
    frame = customer_frame(read_customers(spark, config), config.segment)
    target = to_cluster(frame.where(F.col("snapshot_date") == F.lit(latest)))
    rows = pipeline.transform(target).select(vector_to_array("scaled").alias("v")).collect()
    matrix = np.array([r.v for r in rows])
    theirs = KMeans(n_clusters=info.k, init="k-means++", n_init=10, random_state=0).fit(matrix).inertia_
    # A reloaded model has no training summary: its inertia is the sum of the squared distances the stage wrote.
    ours = segments.agg(F.sum(F.col("distance_to_centroid") ** 2)).first()[0]
    return {
        "ari_vs_truth": round(ari, 4),
        "customers": customers,
        "ari_vs_truth_clustered": round(ari_clustered, 4),
        "clustered_customers": clustered_customers,
        "mllib_inertia": round(ours, 3),
        "sklearn_inertia": round(float(theirs), 3),
        "inertia_ratio": round(ours / theirs, 5),
    }


def child(args) -> None:
    """Run the stage twice (first fit, then with the saved model) in this process; print a JSON line."""
    from crm_mining.segment import segment_customers
    from crm_mining.session import get_spark

    models = Path(args.models)
    shutil.rmtree(models, ignore_errors=True)
    config = lake_config(args.lake, [f"segment.model_dir={models}"])
    spark = get_spark(config)
    spark.range(1).count()  # JVM warm-up outside the timings
    instrument()
    runs = []
    for label in ("first run (fit)", "second run (saved model)"):
        SPENT.clear()
        started = time.monotonic()
        summary = segment_customers(spark, config)
        seconds = time.monotonic() - started
        runs.append(
            {
                "run": label,
                "seconds": round(seconds, 1),
                "steps": {k: round(v, 1) for k, v in SPENT.items()},
                "k": summary["k"],
                "segments": summary["segments"],
                "stability": summary["stability"],
            }
        )
        if label.startswith("first"):
            runs[-1]["quality"] = quality(spark, config, summary)
            runs[-1]["k_selection"] = summary["k_selection"]
    spark.stop()
    print(json.dumps({"lib": args.lib, "runs": runs}))


def run_child(args, label: str, lib: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(lib))
    command = [sys.executable, __file__, "--child", "--lake", str(args.lake), "--lib", str(lib)]
    command += ["--models", str(args.lake.parent / f"models_{label}")]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"{label} child failed:\n{out.stderr[-4000:]}")
    return {"code": label, **json.loads(lines[-1])}


def markdown(result: dict) -> str:
    lines = [
        "# bench_segment_stage: `segment` on the sample lake, before and after",
        "",
        f"Sample lake: the sample_lake fixture's settings (400 customers, defaults otherwise); local[2]; {result['cpus']} CPUs (shared); "
        f"load average at start {result['load_average_start']}, at end {result['load_average_end']}; "
        f"{result['date']}. Each code version ran in its own JVM: a first run (fits v1 with the default "
        "k search) and a second run (scores with v1, refit for stability). Step times overlap (a step "
        "includes the steps it calls).",
        "",
        "| code | run | stage seconds | k | stability ARI | ARI vs truth, all customers | ARI, customers KMeans segments "
        "| inertia / scikit-learn |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for version in result["versions"]:
        for run in version["runs"]:
            q = run.get("quality", {})
            ari = run["stability"]["adjusted_rand_index"] if run["stability"] else "-"
            lines.append(
                f"| {version['code']} | {run['run']} | {run['seconds']} | {run['k']} | {ari} | "
                f"{q.get('ari_vs_truth', '-')} ({q.get('customers', '-')}) | "
                f"{q.get('ari_vs_truth_clustered', '-')} ({q.get('clustered_customers', '-')}) | {q.get('inertia_ratio', '-')} |"
            )
    lines += ["", "Step seconds:", ""]
    for version in result["versions"]:
        for run in version["runs"]:
            steps = ", ".join(f"{k} {v}" for k, v in run["steps"].items())
            lines.append(f"* {version['code']}, {run['run']}: {steps}")
    lines += ["", "Segments (first run):", ""]
    for version in result["versions"]:
        first = version["runs"][0]
        lines.append(f"* {version['code']}: {first['segments']}")
    if len(result["versions"]) == 2:
        before, after = (sum(r["seconds"] for r in v["runs"]) for v in result["versions"])
        lines += [
            "",
            f"Both runs: before {before:.1f} s, after {after:.1f} s ({before / after:.1f}x faster).",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lake", type=Path, default=Path("/tmp/bench_segment_stage/lakehouse"))
    parser.add_argument("--before-lib", type=Path, default=None)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--lib", default=str(CURRENT_LIB), help=argparse.SUPPRESS)
    parser.add_argument("--models", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    args.lake.parent.mkdir(parents=True, exist_ok=True)
    build_seconds = build_lake(args.lake)
    load = [round(x, 2) for x in os.getloadavg()]
    versions = []
    if args.before_lib:
        versions.append(run_child(args, "before", args.before_lib))
    versions.append(run_child(args, "after", CURRENT_LIB))
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_start": load,
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "lake_build_seconds": round(build_seconds, 1),
        "versions": versions,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_segment_stage.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "bench_segment_stage.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
