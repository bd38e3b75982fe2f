"""generate -> ingest -> features -> lifecycle on a small generated lake: recovered stages against the
generator's truth/lifecycle."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from crm_mining.config import load_config
from crm_mining.features import build_features
from crm_mining.generate import generate_lake
from crm_mining.ingest import ingest_lake
from crm_mining.lifecycle import build_lifecycle
from crm_mining.tables import Lake

# Measured on this lake (200 customers, 12 months, 9 snapshots): 0.853 with the first defaults (run),
# 0.986 with the current ones (re-scored from the same evidence columns); see docs/lifecycle.md.
AGREEMENT_FLOOR = 0.9


@pytest.mark.slow
def test_recovered_stages_agree_with_truth(spark, tmp_path):
    config = load_config(
        overrides=[
            "spark.master=local[2]",
            "generate.customers=200",
            "generate.months=12",
            "features.snapshot_count=9",
        ],
        lakehouse=str(tmp_path / "lakehouse"),
    )
    generate_lake(spark, config)
    ingest_lake(spark, config)
    build_features(spark, config)
    summary = build_lifecycle(spark, config)

    lake = Lake(config)
    truth = spark.read.parquet(lake.truth("lifecycle")).select(
        "customer_id", F.col("month_end").alias("snapshot_date"), F.col("stage").alias("truth")
    )
    got = lake.read(spark, "gold.lifecycle_stage").select("customer_id", "snapshot_date", "stage")
    pairs = got.join(truth, ["customer_id", "snapshot_date"])
    # One row per (truth, stage) pair: at most 7 x 7 rows.
    matrix = {
        (r.truth, r.stage): r.n
        for r in pairs.groupBy("truth", "stage").agg(F.count("*").alias("n")).collect()
    }
    total = sum(matrix.values())
    agreement = sum(n for (t, s), n in matrix.items() if t == s) / total
    print(
        f"\nlifecycle agreement {agreement:.3f} over {total} customer-snapshots; summary {summary['history']}"
    )
    for stage in sorted({t for t, _ in matrix}):
        row = {s: n for (t, s), n in matrix.items() if t == stage}
        print(
            f"  truth {stage:12s} n={sum(row.values()):5d} recall={row.get(stage, 0) / sum(row.values()):.2f} {row}"
        )
    assert total >= 0.9 * got.count()
    assert agreement >= AGREEMENT_FLOOR
    assert summary["value"]["customers"] > 0
