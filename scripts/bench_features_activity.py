"""Side by side: the activity aggregation with ``collect_set`` among its sums (before) and with the
recent products collected on their own (``crm_mining.features.activity``, after).

    PYTHONPATH=lib .venv/bin/python scripts/bench_features_activity.py --customers 3500 --rounds 2

Synthetic transactions (about 280 per customer over 24 months, 12 product codes) and 15 month-end
snapshots, as the default features stage sees them; each round runs before then after and writes the
result to a noop sink. Spill comes from Spark's event log (as in ``bench_scale.py``). Writes
``scripts/results/bench_features_activity.{md,json}``. Not a test: timings depend on the machine's load.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import shutil
import sys
import time
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
RESULTS = SCRIPTS / "results"
PRODUCTS = ["DDA", "SAV", "CC", "PL", "AUTO", "MORTGAGE", "TD", "FUNDS", "INSURANCE", "PAYROLL", "VIP", "FX"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=3500)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workdir", default="/tmp/bench_features_activity")
    return parser.parse_args()


def synthetic_transactions(spark, customers: int):
    from pyspark.sql import functions as F

    start = dt.date(2024, 11, 1)
    rows = spark.range(customers * 280).select(
        F.format_string("C%08d", (F.col("id") % customers).cast("int")).alias("customer_id"),
        F.date_add(F.lit(start), (F.abs(F.hash("id", F.lit(1))) % 730).cast("int")).alias("txn_date"),
        F.round(F.abs(F.hash("id", F.lit(2))) % 50000 / 100.0, 2).alias("amount_base"),
        F.when(F.abs(F.hash("id", F.lit(3))) % 10 < 7, "DEBIT").otherwise("CREDIT").alias("direction"),
        F.element_at(
            F.array(*[F.lit(c) for c in ("POS", "ATM", "ONLINE", "MOBILE", "BRANCH")]),
            (F.abs(F.hash("id", F.lit(4))) % 5 + 1).cast("int"),
        ).alias("channel"),  # fmt: skip
        F.element_at(
            F.array(*[F.lit(c) for c in ("GROCERY", "FUEL", "TRAVEL", "DINING", "RETAIL")]),
            (F.abs(F.hash("id", F.lit(5))) % 5 + 1).cast("int"),
        ).alias("merchant_category"),  # fmt: skip
        F.element_at(
            F.array(*[F.lit(p) for p in PRODUCTS]),
            (F.abs(F.hash("id", F.lit(6))) % len(PRODUCTS) + 1).cast("int"),
        ).alias("product_code"),  # fmt: skip
    )
    return rows


def before(transactions, snapshots, windows, mix_days):
    """The aggregation as it was: the recent products' collect_set among the sums, then trends and shares."""
    from pyspark.sql import functions as F

    from crm_mining.features import activity

    day, snap = F.col("txn_date"), F.col("snapshot_date")
    recent = activity.in_last_days(day, snap, activity.ACTIVE_PRODUCT_DAYS)
    aggregates = activity.activity_aggregates(transactions.columns, windows, mix_days)
    aggregates.append(F.collect_set(F.when(recent, F.col("product_code"))).alias("txn_products_90d"))
    grouped = activity.as_of_snapshots(transactions, snapshots).groupBy("customer_id", "snapshot_date")
    return grouped.agg(*aggregates).transform(activity.with_trends).transform(activity.with_mix_shares)


def main() -> None:
    args = parse_args()
    sys.path.insert(0, str(SCRIPTS))
    from bench_scale import spill_per_stage
    from crm_mining.config import load_config
    from crm_mining.features.activity import activity_features
    from crm_mining.features.snapshots import snapshots_frame
    from crm_mining.session import get_spark

    work = Path(args.workdir)
    shutil.rmtree(work, ignore_errors=True)
    events = work / "events"
    events.mkdir(parents=True)
    overrides = ["spark.master=local[2]"]
    config = load_config(overrides=overrides, lakehouse=str(work / "lakehouse"))

    conf = {**config.spark.conf, "spark.eventLog.enabled": "true", "spark.eventLog.dir": f"file://{events}",
            "spark.eventLog.compress": "false", "spark.sql.maxPlanStringLength": "2000"}  # fmt: skip
    config = dataclasses.replace(config, spark=dataclasses.replace(config.spark, conf=conf))
    load = os.getloadavg()
    spark = get_spark(config)
    transactions = synthetic_transactions(spark, args.customers).cache()
    rows = transactions.count()
    ends = [
        dt.date(2026 if m > 12 else 2025, (m - 1) % 12 + 1, 1) - dt.timedelta(days=1) for m in range(2, 17)
    ]
    snapshots = snapshots_frame(spark, ends)
    windows, mix_days = [30, 90, 180, 365], 90
    marks: dict[str, tuple[float, float]] = {}
    seconds: dict[str, list[float]] = {"before": [], "after": []}
    for r in range(args.rounds):
        for name in ("before", "after"):
            started = time.time()
            build = before if name == "before" else activity_features
            build(transactions, snapshots, windows, mix_days).write.format("noop").mode("overwrite").save()
            ended = time.time()
            marks[f"{name}_{r}"] = (started, ended)
            seconds[name].append(round(ended - started, 1))
    spark.stop()
    spill = spill_per_stage(events, marks)
    result = {
        "customers": args.customers,
        "transactions": rows,
        "snapshots": len(ends),
        "load_avg_at_start": load,
        "seconds": seconds,
        "spill": spill,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_features_activity.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "bench_features_activity.md").write_text(markdown(result))
    print(markdown(result))


def markdown(r: dict) -> str:
    def spill_cell(name: str) -> str:
        runs = [v for k, v in r["spill"].items() if k.startswith(name)]
        memory = sum(v["memory_spill_bytes"] for v in runs) / len(runs) / 2**20 if runs else 0
        disk = sum(v["disk_spill_bytes"] for v in runs) / len(runs) / 2**20 if runs else 0
        return f"{memory:,.0f} / {disk:,.0f}"

    b, a = r["seconds"]["before"], r["seconds"]["after"]
    return "\n".join(
        [
            "# Activity features: collect_set among the sums (before) vs on its own (after)",
            "",
            f"{r['transactions']:,} synthetic transactions, {r['customers']:,} customers, {r['snapshots']} snapshots; "
            f"local[2]; load average at start {r['load_avg_at_start'][0]:.2f}; rounds alternate before, after.",
            "",
            "| | seconds per round | mean spill per round MiB (memory / disk) |",
            "|---|---|---|",
            f"| before | {', '.join(map(str, b))} | {spill_cell('before')} |",
            f"| after | {', '.join(map(str, a))} | {spill_cell('after')} |",
            "",
            f"after / before, mean time: **{sum(a) / len(a) / (sum(b) / len(b)):.2f}**",
            "",
        ]
    )


if __name__ == "__main__":
    main()
