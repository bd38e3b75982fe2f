"""Benchmark: Spark MLlib FPGrowth (the rules stage's mining) against mlxtend on the same baskets.

One run, one process, one machine state:

1. ``--baskets`` (default 1,000,000) product baskets drawn with planted affinities (numpy, seeded) are
   mined by mlxtend (``fpgrowth`` + ``association_rules``, one-item consequents) and by
   ``crm_mining.rules.mining.mine`` on Spark; the script checks the itemsets and rules are equal (metrics
   to 1e-9) and reports the time ratio;
2. ``--scale`` (default 10) times as many baskets, generated in Spark with the same probabilities, are
   mined by Spark only.

The load average at the start is recorded. Results: scripts/results/bench_rules.{md,json}.

    PYTHONPATH=lib .venv/bin/python scripts/bench_rules.py [--baskets 1000000] [--scale 10]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from mlxtend.frequent_patterns import association_rules, fpgrowth
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining.config import load_config
from crm_mining.rules.mining import MiningParams, mine
from crm_mining.session import get_spark

RESULTS = Path(__file__).resolve().parent / "results"
# Base probability of holding each product, and affinities (holding A sets B's probability to >= p).
# (Antecedents come before their consequents: the generators walk this order.)
BASE = {
    "DDA": 0.95, "MOBILE": 0.55, "PAYROLL": 0.45, "CC": 0.25, "MORTGAGE": 0.15, "TD": 0.12,
    "INSURANCE": 0.08, "PL": 0.08, "AUTO": 0.08, "FX": 0.06, "VIP": 0.04, "FUNDS": 0.05,
}  # fmt: skip
AFFINITIES = [("PAYROLL", "CC", 0.55), ("MORTGAGE", "INSURANCE", 0.7), ("VIP", "FUNDS", 0.65)]
PARAMS = MiningParams(
    min_support=0.01, min_confidence=0.1, min_lift=0.0, max_itemset_size=4, max_rules=100_000,
    baskets_per_partition=250_000, what="benchmark baskets",
)  # fmt: skip


def onehot_baskets(n: int, seed: int = 7) -> pd.DataFrame:
    """n baskets as a boolean one-hot frame (products in BASE order), affinities applied; no empty basket."""
    rng = np.random.default_rng(seed)
    u = rng.random((n, len(BASE)))
    codes = list(BASE)
    held = {}
    for j, code in enumerate(codes):
        p = np.full(n, BASE[code])
        for a, b, boosted in AFFINITIES:
            if b == code:
                p = np.where(held[a], np.maximum(p, boosted), p)
        # Every customer has a current account: no empty basket.
        held[code] = np.ones(n, dtype=bool) if code == "DDA" else u[:, j] < p
    return pd.DataFrame(held)


def spark_baskets_from(spark, onehot: pd.DataFrame, path: Path):
    """The same baskets as an items array column, via Parquet (Spark reads it in parallel)."""
    codes = np.array(onehot.columns)
    matrix = onehot.to_numpy()
    items = pd.DataFrame({"items": [list(codes[row]) for row in matrix]})
    items.to_parquet(path, index=False)
    return spark.read.parquet(str(path))


def spark_generated_baskets(spark, n: int, seed: int = 11):
    """n baskets generated in Spark with BASE and AFFINITIES (a different random stream)."""
    df = spark.range(n)
    for i, code in enumerate(BASE):
        p = F.lit(BASE[code])
        for a, b, boosted in AFFINITIES:
            if b == code:
                p = F.when(F.col(a), F.greatest(p, F.lit(boosted))).otherwise(p)
        held = F.rand(seed + i) < p if code != "DDA" else F.lit(True)
        df = df.withColumn(code, held)
    items = F.filter(F.array(*[F.when(F.col(c), F.lit(c)) for c in BASE]), lambda x: x.isNotNull())
    return df.select(items.alias("items"))


def mlxtend_mine(onehot: pd.DataFrame):
    itemsets = fpgrowth(
        onehot, min_support=PARAMS.min_support, use_colnames=True, max_len=PARAMS.max_itemset_size
    )
    rules = association_rules(
        itemsets, num_itemsets=len(onehot), metric="confidence", min_threshold=PARAMS.min_confidence
    )
    return itemsets, rules[rules["consequents"].map(len) == 1]


def spark_mine(baskets):
    itemsets, rules, total = mine(baskets, PARAMS)
    # Bounded by the thresholds and the rule ceiling: collected to compare and to force the work.
    out = itemsets.collect(), rules.collect()
    itemsets.unpersist()
    rules.unpersist()
    return out


def differences(ref_itemsets, ref_rules, itemsets, rules) -> dict:
    ours = {tuple(r["items"]): r["support"] for r in itemsets}
    theirs = {
        tuple(sorted(s)): v for s, v in zip(ref_itemsets["itemsets"], ref_itemsets["support"], strict=True)
    }
    ours_rules = {(tuple(r["antecedent"]), tuple(r["consequent"])): r for r in rules}
    worst = 0.0
    theirs_rules = set()
    for a, c, conf, lift, lev in zip(
        ref_rules["antecedents"], ref_rules["consequents"], ref_rules["confidence"], ref_rules["lift"],
        ref_rules["leverage"], strict=True,
    ):  # fmt: skip
        key = (tuple(sorted(a)), tuple(sorted(c)))
        theirs_rules.add(key)
        if key in ours_rules:
            row = ours_rules[key]
            worst = max(
                worst, abs(row["confidence"] - conf), abs(row["lift"] - lift), abs(row["leverage"] - lev)
            )
    same_itemsets = set(ours) == set(theirs)
    if same_itemsets:
        worst = max([worst, *(abs(ours[k] - theirs[k]) for k in ours)])
    return {
        "itemsets": len(ours),
        "rules": len(ours_rules),
        "same_itemsets": same_itemsets,
        "same_rules": set(ours_rules) == theirs_rules,
        "max_abs_metric_diff": worst,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baskets", type=int, default=1_000_000)
    parser.add_argument("--scale", type=int, default=10)
    args = parser.parse_args()
    load = os.getloadavg()
    spark = get_spark(load_config(overrides=["spark.master=local[2]"]))
    work = Path(tempfile.mkdtemp(prefix="bench_rules_"))

    onehot = onehot_baskets(args.baskets)
    baskets = spark_baskets_from(spark, onehot, work / "baskets.parquet")
    started = time.perf_counter()
    ref_itemsets, ref_rules = mlxtend_mine(onehot)
    mlxtend_s = time.perf_counter() - started
    started = time.perf_counter()
    itemsets, rules = spark_mine(baskets)
    spark_s = time.perf_counter() - started
    check = differences(ref_itemsets, ref_rules, itemsets, rules)

    large_n = args.baskets * args.scale
    started = time.perf_counter()
    large_itemsets, large_rules = spark_mine(spark_generated_baskets(spark, large_n))
    large_s = time.perf_counter() - started

    result = {
        "load_average_at_start": [round(x, 2) for x in load],
        "cores": os.cpu_count(),
        "spark_master": "local[2]",
        "params": {k: getattr(PARAMS, k) for k in ("min_support", "min_confidence", "max_itemset_size")},
        "baskets": args.baskets,
        "mlxtend_seconds": round(mlxtend_s, 1),
        "spark_seconds": round(spark_s, 1),
        "spark_over_mlxtend": round(spark_s / mlxtend_s, 2),
        **check,
        "large_baskets": large_n,
        "large_spark_seconds": round(large_s, 1),
        "large_itemsets": len(large_itemsets),
        "large_rules": len(large_rules),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_rules.json").write_text(json.dumps(result, indent=2) + "\n")
    md = [
        "# Rules benchmark: Spark FPGrowth vs mlxtend",
        "",
        f"Load average at start {result['load_average_at_start']} on {result['cores']} cores, Spark local[2].",
        "",
        "| baskets | engine | seconds | itemsets | rules |",
        "|---|---|---|---|---|",
        f"| {args.baskets:,} | mlxtend 0.25 | {result['mlxtend_seconds']} | {len(ref_itemsets)} | {len(ref_rules)} |",
        f"| {args.baskets:,} | Spark FPGrowth | {result['spark_seconds']} | {check['itemsets']} | {check['rules']} |",
        f"| {large_n:,} | Spark FPGrowth | {result['large_spark_seconds']} | {len(large_itemsets)} | {len(large_rules)} |",
        "",
        f"Spark / mlxtend time ratio: {result['spark_over_mlxtend']}. Same itemsets: {check['same_itemsets']}, "
        f"same rules: {check['same_rules']}, largest metric difference {check['max_abs_metric_diff']:.2e}.",
        "",
    ]
    (RESULTS / "bench_rules.md").write_text("\n".join(md))
    print("\n".join(md))
    spark.stop()


if __name__ == "__main__":
    main()
