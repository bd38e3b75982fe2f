"""`build_lifecycle` end to end on a small inline features table and a user's own transactions file:
every gold table written, a re-run leaves the history as it was, a changed older snapshot rebuilds it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from crm_mining.config import load_config
from crm_mining.lifecycle import build_lifecycle, with_p_alive
from crm_mining.lifecycle.history import stage_runs
from crm_mining.lifecycle.stages import with_lifecycle_stage
from crm_mining.tables import Lake
from helpers.lifecycle_rows import FEATURES_SCHEMA, feature_row

S1, S2, S3 = dt.date(2025, 4, 30), dt.date(2025, 5, 31), dt.date(2025, 6, 30)


def features(spark, rows):
    return spark.createDataFrame([tuple(r.values()) for r in rows], FEATURES_SCHEMA)


def own_transactions(path: str, customers: int = 40) -> None:
    """A user's spend extract (customer_id, txn_ts, amount, direction) with a few repeat buyers each."""
    rng = np.random.default_rng(3)
    rows = []
    for i in range(customers):
        for day in sorted(rng.choice(180, size=int(rng.integers(1, 12)), replace=False)):
            ts = dt.datetime(2025, 1, 1, 12) + dt.timedelta(days=int(day))
            rows.append((f"U{i:03d}", ts.strftime("%Y-%m-%d %H:%M:%S"), float(rng.gamma(4, 10)), "DEBIT"))
        rows.append((f"U{i:03d}", "2025-01-02 09:00:00", 2000.0, "CREDIT"))
    pd.DataFrame(rows, columns=["customer_id", "txn_ts", "amount", "direction"]).to_parquet(path)


def test_build_lifecycle_writes_every_table_and_reruns_safely(spark, config, tmp_path):
    txns = str(tmp_path / "my_transactions.parquet")
    own_transactions(txns)
    overrides = [
        "spark.master=local[2]",
        "input.source=parquet",
        f"input.location={txns}",
        "value.horizon_months=3",
    ]
    config = load_config(overrides=overrides, lakehouse=config.lake.root)
    lake = Lake(config)
    first = [
        feature_row("U000", S1, tenure_months=2),
        feature_row("U000", S2, tenure_months=3),
        feature_row("U001", S1, tenure_months=10),
        feature_row("U001", S2, tenure_months=11, balance_trend=0.4),
        feature_row("U002", S1, recency_days=120),
        feature_row("U002", S2, recency_days=5),
    ]
    lake.write(features(spark, first), "gold.customer_features")

    summary = build_lifecycle(spark, config)
    assert summary["snapshots"] == [S1.isoformat(), S2.isoformat()]
    assert summary["history"]["mode"] == "build"
    assert summary["customers_by_stage"] == {"acquisition": 1, "decline": 1, "reactivated": 1}
    stages = {
        (r.customer_id, r.snapshot_date): r.stage for r in lake.read(spark, "gold.lifecycle_stage").collect()
    }
    assert stages == {
        ("U000", S1): "acquisition",
        ("U000", S2): "acquisition",
        ("U001", S1): "build_up",
        ("U001", S2): "decline",
        ("U002", S1): "dormant",
        ("U002", S2): "reactivated",
    }
    actions = {r.customer_id: r.action for r in lake.read(spark, "gold.lifecycle_actions").collect()}
    assert actions == {
        "U000": "response targeting",
        "U001": "churn alert and retention offer",
        "U002": "onboarding refresh and cross-sell",
    }
    assert summary["transition_rates"] == {
        "acquisition->acquisition": 1.0,
        "build_up->decline": 1.0,
        "dormant->reactivated": 1.0,
    }
    value = lake.read(spark, "gold.customer_value")
    assert value.count() == 40 and summary["value"]["customers"] == 40
    assert value.where(F.col("expected_value").isNull() | (F.col("expected_value") < 0)).count() == 0
    assert {r.method for r in value.select("method").distinct().collect()} == {"bgnbd"}
    assert {r.snapshot_date for r in value.select("snapshot_date").distinct().collect()} == {S2}
    # The cut-off (6 months before S2) precedes every transaction and was never staged: both backtests
    # are skipped with a reason, and auto falls back to the reference method.
    assert set(summary["backtest"]["skipped"]) == {"gold.value_backtest", "gold.lifecycle_backtest"}
    assert summary["value"]["chosen_by"] == "auto without a value backtest: the reference method"
    history_after_first = lake.read(spark, "gold.lifecycle_history").toPandas()

    # Same features again: stages unchanged, history untouched (backtests off: shown above, and slow).
    config = load_config(overrides=[*overrides, "backtest.enabled=false"], lakehouse=config.lake.root)
    again = build_lifecycle(spark, config)
    assert again["history"]["mode"] == "unchanged"
    assertDataFrameEqual(
        lake.read(spark, "gold.lifecycle_history"), spark.createDataFrame(history_after_first)
    )
    assert lake.read(spark, "gold.lifecycle_stage").count() == 6

    # An older snapshot changes (U000 was silent at S1) and S3 arrives: the history is rebuilt.
    changed = [r for r in first if (r["customer_id"], r["snapshot_date"]) != ("U000", S1)]
    changed += [
        feature_row("U000", S1, tenure_months=2, recency_days=100),
        feature_row("U000", S3, tenure_months=4),
    ]
    lake.write(features(spark, changed), "gold.customer_features")
    third = build_lifecycle(spark, config)
    assert third["history"]["mode"] == "rebuild"
    assertDataFrameEqual(
        lake.read(spark, "gold.lifecycle_history"), stage_runs(lake.read(spark, "gold.lifecycle_stage"))
    )
    current = {
        r.customer_id: r.stage
        for r in lake.read(spark, "gold.lifecycle_history").where("is_current").collect()
    }
    # U000 was dormant at S1 (changed), active at S2 and S3: reactivated since S2.
    assert current == {"U000": "reactivated", "U001": "decline", "U002": "reactivated"}

    # Value re-fitted alone, by the reference method: stages and history untouched.
    versions = {t: lake.version(spark, t) for t in ("gold.lifecycle_stage", "gold.lifecycle_history")}
    refit = build_lifecycle(
        spark,
        load_config(
            overrides=[
                *overrides,
                "lifecycle.value_only=true",
                "value.method=bgnbd",
                "backtest.enabled=false",
            ],
            lakehouse=config.lake.root,
        ),
    )
    assert (
        refit["value_only"]
        and refit["value"]["method"] == "bgnbd"
        and refit["value"]["as_of"] == S3.isoformat()
    )
    assert lake.read(spark, "gold.customer_value").where(F.col("snapshot_date") == S3).count() == 40
    assert {t: lake.version(spark, t) for t in versions} == versions


def test_transactions_only_stages_read_p_alive_from_the_users_transactions(spark, config, tmp_path):
    """Closures unknown: the job adds BG/NBD P(alive) from the user's transactions, so a frequent buyer
    gone quiet for 120 days is an inferred exit while a steady one stays; with closures known, no fit."""
    txns = str(tmp_path / "my_transactions.parquet")
    own_transactions(txns)
    frame = pd.read_parquet(txns)
    crafted = [("FREQ", dt.date(2025, 1, 1) + dt.timedelta(days=d)) for d in range(0, 61, 3)]
    crafted += [("STEADY", dt.date(2025, 1, 1) + dt.timedelta(days=d)) for d in range(0, 180, 7)]
    crafted += [("STEADY", dt.date(2025, 5, 1))]  # bought, then quiet for 60 days: not dormant
    extra = pd.DataFrame(
        [(c, f"{d} 12:00:00", 25.0, "DEBIT") for c, d in crafted], columns=list(frame.columns)
    )
    pd.concat([frame, extra]).to_parquet(txns)
    config = load_config(
        overrides=["input.source=parquet", f"input.location={txns}"], lakehouse=config.lake.root
    )
    unknown = {"all_accounts_closed": None, "product_count": None, "balance_trend": None}
    batch = features(
        spark,
        [
            feature_row("FREQ", S3, tenure_months=6, recency_days=120, **unknown),
            feature_row("STEADY", S3, tenure_months=6, recency_days=60, **unknown),
        ],
    )
    staged = with_lifecycle_stage(with_p_alive(spark, config, batch, [S3]), config.lifecycle)
    got = {r.customer_id: (r.stage, r.rule) for r in staged.collect()}
    assert got["FREQ"] == (
        "exit",
        "exit (inferred, account closures unknown): no transaction for >= 90 days and BG/NBD P(alive) < 0.1",
    )
    assert got["STEADY"][0] != "exit"
    known = features(spark, [feature_row("FREQ", S3, tenure_months=6, recency_days=120)])
    assert with_p_alive(spark, config, known, [S3]).columns == known.columns
