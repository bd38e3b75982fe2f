"""MLlib fits on small data by partition count, and two fits at once from driver threads, side by side.

    PYTHONPATH=lib:scripts .venv/bin/python scripts/bench_fit_layout.py --lakehouse <sample lake> \\
        --out scripts/results/bench_fit_layout.json

The figures behind ``models.rows_per_partition`` and ``models.tuning.parallel_trials`` (docs/models.md
"Tuning time"). On an existing lake whose features and labels are built (the 3,000 x 8 sample of
``bench_overhead.py``), in one ``local[2]`` session: the churn model's training vectors as train builds
them, then, in rounds, a fixed GBT (30 trees of depth 4) in 4, 2 and 1 partitions, two such fits at once
from two threads, the same GBT (10 trees) on the rows repeated 8 and 32 times, and a k=6 KMeans on the
latest snapshot's customers in 4 and 1 partitions. Each fit's seconds and Spark jobs are recorded.
"""

from __future__ import annotations

import argparse
import os
import platform
import threading
import time
from functools import reduce

from bench_overhead import jobs_so_far
from results_files import write_result

GBT = {"max_depth": 4, "max_iter": 30, "step_size": 0.1, "subsampling_rate": 0.8}
GBT.update(min_instances_per_node=10, max_bins=32)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--lakehouse", required=True, help="a lake with gold.customer_features and gold.labels"
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", required=True, help="JSON result; the Markdown goes next to it")
    return parser.parse_args()


def timed_fit(spark, estimator, frame, label: str, rows: list) -> None:
    started, first = time.monotonic(), jobs_so_far(spark)
    estimator.fit(frame)
    seconds, jobs = time.monotonic() - started, jobs_so_far(spark) - first
    rows.append({"fit": label, "seconds": round(seconds, 2), "jobs": jobs})
    print(f"{label}: {seconds:.2f} s, {jobs} jobs", flush=True)


def together(spark, make, frame, label: str, rows: list) -> None:
    """Two fits from two driver threads; the row records the wall time of both."""
    started, first = time.monotonic(), jobs_so_far(spark)
    threads = [threading.Thread(target=lambda: make().fit(frame)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds, jobs = time.monotonic() - started, jobs_so_far(spark) - first
    rows.append({"fit": label, "seconds": round(seconds, 2), "jobs": jobs})
    print(f"{label}: {seconds:.2f} s, {jobs} jobs", flush=True)


def churn_vectors(spark, config):
    """The churn model's training vectors (features, label, weight) as train builds them, cached."""
    from pyspark.ml import Pipeline
    from pyspark.sql import functions as F

    from crm_mining.layout import in_canonical_layout
    from crm_mining.models.data import KEYS, with_split
    from crm_mining.models.pipeline import preprocessing
    from crm_mining.models.train import lake_training_data, weighted

    data = lake_training_data(spark, config, "churn", config.models.churn)
    frame, _ = with_split(data.population, data.split, "churn")
    train = weighted(in_canonical_layout(frame, *KEYS).where(F.col("split") == "train"), config)
    prep = Pipeline(stages=preprocessing(data.features)).fit(train)
    return prep.transform(train).select("features", "label", "weight").cache()


def customer_vectors(spark, config):
    """The latest snapshot's customers, twelve numeric features standardised, as ``x``."""
    from pyspark.ml.feature import StandardScaler, VectorAssembler
    from pyspark.sql import functions as F

    from crm_mining.tables import Lake

    features = Lake(config).read(spark, "gold.customer_features")
    latest = features.agg(F.max("snapshot_date")).first()[0]  # one row
    features = features.where(F.col("snapshot_date") == latest)
    columns = [c for c, t in features.dtypes if t in ("double", "int", "bigint")][:12]
    raw = VectorAssembler(inputCols=columns, outputCol="raw").transform(features.fillna(0, subset=columns))
    return StandardScaler(inputCol="raw", outputCol="x").fit(raw).transform(raw).select("customer_id", "x")


def measure(args: argparse.Namespace) -> dict:
    from pyspark.ml.clustering import KMeans

    from crm_mining.config import load_config
    from crm_mining.layout import in_canonical_layout
    from crm_mining.models.pipeline import gbt
    from crm_mining.session import get_spark

    load = os.getloadavg()
    config = load_config(
        overrides=["spark.master=local[2]", "models.churn.split.method=random", "pipeline.quiet=true"],
        lakehouse=args.lakehouse,
    )
    spark = get_spark(config)
    vectors = churn_vectors(spark, config)
    result = {"load_avg_at_start": load, "churn_train_rows": vectors.count(), "fits": []}
    rows = result["fits"]
    layouts = {p: vectors.coalesce(p).cache() if p < 4 else vectors for p in (4, 2, 1)}
    customers = customer_vectors(spark, config)
    by_customer = {p: in_canonical_layout(customers, "customer_id", partitions=p).cache() for p in (4, 1)}
    result["customers"] = by_customer[1].count()
    for frame in [*layouts.values(), by_customer[4]]:
        frame.count()
    timed_fit(spark, gbt(GBT, 42), layouts[4], "warm-up GBT", rows)
    kmeans = lambda: KMeans(k=6, seed=1, featuresCol="x", maxIter=20)  # noqa: E731
    for r in range(1, args.rounds + 1):
        for p, frame in layouts.items():
            timed_fit(spark, gbt(GBT, 42), frame, f"round {r}: GBT 30 x depth 4, {p} partitions", rows)
        for p in (4, 1):
            together(
                spark, lambda: gbt(GBT, 42), layouts[p], f"round {r}: two GBTs at once, {p} partitions", rows
            )
        for p, frame in by_customer.items():
            timed_fit(spark, kmeans(), frame, f"round {r}: KMeans k=6, {p} partitions", rows)
    small = {**GBT, "max_iter": 10}
    for times in (8, 32):
        repeated = reduce(lambda a, b: a.union(b), [vectors] * times).repartition(4).cache()
        n = repeated.count()
        for p in (4, 2, 1):
            frame = repeated if p == 4 else repeated.coalesce(p).cache()
            frame.count()
            timed_fit(spark, gbt(small, 42), frame, f"{n:,} rows: GBT 10 x depth 4, {p} partitions", rows)
        repeated.unpersist()
    spark.stop()
    return result


def markdown(result: dict) -> str:
    load = ", ".join(f"{x:.2f}" for x in result["load_avg_at_start"])
    lines = [
        "# MLlib fits on small data by partition count (`scripts/bench_fit_layout.py`)",
        "",
        f"Machine: {os.cpu_count()} CPUs, Python {platform.python_version()}; one `local[2]` session; load "
        f"average at start {load}. Churn training rows: {result['churn_train_rows']:,}; customers at the "
        f"latest snapshot: {result['customers']:,}. Fits in the order run.",
        "",
        "| fit | seconds | Spark jobs | ms per job |",
        "|---|---:|---:|---:|",
    ]
    for row in result["fits"]:
        per_job = 1000 * row["seconds"] / row["jobs"] if row["jobs"] else 0
        lines.append(f"| {row['fit']} | {row['seconds']:.2f} | {row['jobs']} | {per_job:.0f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    args = parse_args()
    result = measure(args)
    print(f"wrote {args.out} and {write_result(args.out, result, markdown)}")


if __name__ == "__main__":
    main()
