"""Benchmark: MLlib KMeans (as `segment` fits it) against scikit-learn on >= 1M customers, in one run.

Generates standardised customer vectors (a mixture of overlapping Gaussian segments; the stage's
imputation/log1p/scaling is not what is timed), then fits KMeans with the same k, iterations and
tolerance in:
  * MLlib with its default BLAS (Java: dev.ludovic.netlib finds no system libblas.so.3),
  * MLlib with Debian's OpenBLAS (libopenblas0-pthread) on the library path as libblas.so.3,
  * scikit-learn (k-means++, n_init=1, same max_iter/tol), all on the same data and machine state.
Each MLlib variant runs in its own Python + JVM process (the BLAS is chosen when the JVM loads it).
Reports fit seconds, time ratio (MLlib / scikit-learn) and inertia ratio (MLlib cost / sklearn inertia);
writes scripts/results/bench_segment.{md,json}. The load average is recorded at the start.

    python scripts/bench_segment.py [--customers 1000000] [--openblas-dir DIR]

OpenBLAS without installing it system-wide: `apt-get download libopenblas0-pthread libgfortran5` and
`dpkg -x` each into a folder; pass its usr/lib/x86_64-linux-gnu as --openblas-dir (the default looks
there under /tmp/openblas/root, then at the system path).
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

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
DEFAULT_OPENBLAS = ["/tmp/openblas/root/usr/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu"]


def make_data(path: Path, customers: int, dims: int, k: int, seed: int) -> None:
    """Standardised vectors from k overlapping Gaussian segments, written as Parquet (one column per feature)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1.5, size=(k, dims))
    weights = np.array([0.45, 0.20, 0.12, 0.08, 0.15][:k] if k == 5 else [1 / k] * k)
    labels = rng.choice(k, size=customers, p=weights / weights.sum())
    data = centres[labels] + rng.normal(0, 1.0, size=(customers, dims))
    data = (data - data.mean(axis=0)) / data.std(axis=0)
    table = pa.table({f"f{i:02d}": data[:, i] for i in range(dims)})
    pq.write_table(table, path, row_group_size=250_000)


def openblas_dir(explicit: str | None) -> str | None:
    for folder in [explicit] if explicit else DEFAULT_OPENBLAS:
        if folder and Path(folder, "openblas-pthread", "libblas.so.3").exists():
            return folder
    return None


def run_mllib_child(args, blas: str, folder: str | None) -> dict:
    env = dict(os.environ)
    if blas == "openblas":
        libs = [f"{folder}/openblas-pthread", folder]
        env["LD_LIBRARY_PATH"] = ":".join([*libs, env.get("LD_LIBRARY_PATH", "")]).rstrip(":")
        env["OPENBLAS_NUM_THREADS"] = "1"  # Spark already runs one task per core
    command = [sys.executable, __file__, "--child", blas, "--data", str(args.data), "--k", str(args.k)]
    command += ["--max-iter", str(args.max_iter), "--tol", str(args.tol), "--seed", str(args.seed)]
    started = time.monotonic()
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"MLlib child ({blas}) failed:\n{out.stderr[-3000:]}")
    result = json.loads(lines[-1])
    result["process_seconds"] = round(time.monotonic() - started, 1)
    return result


def child(args) -> None:
    """One MLlib fit in this process's JVM; prints a JSON line."""
    from pyspark.ml.clustering import KMeans
    from pyspark.ml.feature import VectorAssembler

    from crm_mining.config import load_config
    from crm_mining.session import get_spark

    spark = get_spark(load_config(overrides=["spark.master=local[2]", "spark.driver_memory=8g"]))
    jvm = spark.sparkContext._jvm
    implementation = jvm.dev.ludovic.netlib.blas.BLAS.getInstance().getClass().getName()
    raw = spark.read.parquet(str(args.data))
    vectors = VectorAssembler(inputCols=raw.columns, outputCol="features").transform(raw).select("features")
    vectors = vectors.repartition(4).cache()
    rows = vectors.count()
    kmeans = KMeans(k=args.k, initMode="k-means||", maxIter=args.max_iter, tol=args.tol, seed=args.seed)
    started = time.monotonic()
    model = kmeans.fit(vectors)
    seconds = time.monotonic() - started
    summary = model.summary
    print(
        json.dumps(
            {
                "blas": args.child,
                "blas_implementation": implementation,
                "rows": rows,
                "fit_seconds": round(seconds, 2),
                "cost": summary.trainingCost,
                "iterations": summary.numIter,
            }
        )
    )
    spark.stop()


def sklearn_fit(args) -> dict:
    import pyarrow.parquet as pq
    import sklearn
    from sklearn.cluster import KMeans

    matrix = np.column_stack([c.to_numpy() for c in pq.read_table(args.data).columns])
    model = KMeans(
        n_clusters=args.k, init="k-means++", n_init=1, max_iter=args.max_iter, tol=args.tol, random_state=0
    )
    started = time.monotonic()
    model.fit(matrix)
    seconds = time.monotonic() - started
    return {
        "version": sklearn.__version__,
        "fit_seconds": round(seconds, 2),
        "inertia": float(model.inertia_),
        "iterations": int(model.n_iter_),
    }


def markdown(result: dict) -> str:
    sk = result["sklearn"]
    lines = [
        "# bench_segment: MLlib KMeans vs scikit-learn",
        "",
        f"{result['customers']:,} customers x {result['dims']} standardised features, k={result['k']}, "
        f"max_iter={result['max_iter']}, tol={result['tol']}; local[2]; load average at start "
        f"{result['load_average_start']}; {result['cpus']} CPUs; {result['date']}.",
        "",
        "| run | BLAS | fit seconds | time / sklearn | cost | cost / sklearn inertia | iterations |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for run in result["mllib"]:
        lines.append(
            f"| MLlib | {run['blas']} ({run['blas_implementation'].rsplit('.', 1)[-1]}) | {run['fit_seconds']} | "
            f"{run['time_ratio']:.2f} | {run['cost']:.6g} | {run['inertia_ratio']:.4f} | {run['iterations']} |"
        )
    lines.append(
        f"| scikit-learn {sk['version']} | numpy/OpenMP | {sk['fit_seconds']} | 1.00 | {sk['inertia']:.6g} | 1.0000 | "
        f"{sk['iterations']} |"
    )
    lines += ["", result["blas_conclusion"], ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--dims", type=int, default=13)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--max-iter", type=int, default=20)
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data", type=Path, default=Path("/tmp/bench_segment/customers.parquet"))
    parser.add_argument("--openblas-dir", default=None)
    parser.add_argument("--child", choices=["java", "openblas"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    load = [round(x, 2) for x in os.getloadavg()]
    started = time.monotonic()
    args.data.parent.mkdir(parents=True, exist_ok=True)
    make_data(args.data, args.customers, args.dims, args.k, args.seed)
    folder = openblas_dir(args.openblas_dir)
    runs = [run_mllib_child(args, "java", None)]
    if folder:
        runs.append(run_mllib_child(args, "openblas", folder))
    sk = sklearn_fit(args)
    for run in runs:
        run["time_ratio"] = run["fit_seconds"] / sk["fit_seconds"]
        run["inertia_ratio"] = run["cost"] / sk["inertia"]
    if len(runs) == 2:
        speedup = runs[0]["fit_seconds"] / runs[1]["fit_seconds"]
        native = "Native" in runs[1]["blas_implementation"] or "JNI" in runs[1]["blas_implementation"]
        conclusion = (
            f"OpenBLAS {'was loaded' if native else 'was NOT loaded'} ({runs[1]['blas_implementation']}); "
            f"Java BLAS fit / OpenBLAS fit = {speedup:.2f}x."
        )
    else:
        conclusion = "OpenBLAS not found: only the Java BLAS run was made."
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_start": load,
        "customers": args.customers,
        "dims": args.dims,
        "k": args.k,
        "max_iter": args.max_iter,
        "tol": args.tol,
        "mllib": runs,
        "sklearn": sk,
        "blas_conclusion": conclusion,
        "wall_seconds": round(time.monotonic() - started, 1),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_segment.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "bench_segment.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
