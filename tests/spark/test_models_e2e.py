"""train and score on the sample lake (400 customers x 24 months, 13 snapshots)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from crm_mining.models import score_customers, train_models
from crm_mining.models.data import lake_population
from crm_mining.models.split import SplitError
from crm_mining.tables import Lake


def with_models(config, **changes):
    return dataclasses.replace(config, models=dataclasses.replace(config.models, **changes))


@pytest.fixture(scope="module")
def churn_run(spark, sample_lake):
    # A 3-trial budget keeps the test short; the measured figures in docs/models.md use the same budget.
    tuning = dataclasses.replace(sample_lake.models.tuning, max_evals=3)
    config = with_models(sample_lake, specs=["churn"], tuning=tuning)
    trained = train_models(spark, config)
    scored = score_customers(spark, config)
    return config, trained["models"][0], scored


def test_gbt_beats_both_baselines_out_of_time(churn_run):
    _, model, _ = churn_run
    split = model["split"]
    assert split["method"] == "out_of_time"
    # churn horizon 3 months: validation's window closes by the test snapshot, train's by validation's
    assert (split["validation"], split["test"]) == ("2026-04-30", "2026-07-31")
    assert split["train"].split(", ")[-1] == "2026-01-31"
    auc = {name: m["auc_roc"] for name, m in model["metrics"].items()}
    assert auc["gbt"] > auc["logistic_regression"] > 0.5
    assert auc["gbt"] > auc["rule_recency_days"]


def test_metric_tables_and_artifact(spark, churn_run):
    config, model, _ = churn_run
    lake = Lake(config)
    mine = F.col("model_version") == model["version"]
    metrics = lake.read(spark, "gold.model_metrics").where(mine)
    assert {r["model"] for r in metrics.collect()} == {"gbt", "logistic_regression", "rule_recency_days"}
    gains = (
        lake.read(spark, "gold.model_gains")
        .where(mine & (F.col("model") == "gbt"))
        .orderBy("decile")
        .collect()
    )
    assert [r["decile"] for r in gains] == list(range(1, 11))
    assert gains[-1]["gains"] == pytest.approx(1.0)
    assert sum(r["capture_rate"] for r in gains) == pytest.approx(1.0)
    calibration = lake.read(spark, "gold.model_calibration").where(mine & (F.col("model") == "gbt"))
    assert calibration.agg(F.sum("rows")).first()[0] == sum(r["rows"] for r in gains)
    importances = lake.read(spark, "gold.model_importances").where(mine).orderBy("rank").collect()
    assert importances[0]["importance"] >= importances[-1]["importance"]
    meta = json.loads(Path(model["folder"], "model.json").read_text())
    for key in (
        "features",
        "hyperparameters",
        "trials",
        "training_tables",
        "metrics",
        "package_version",
        "split",
    ):
        assert meta[key], key
    assert len(meta["trials"]) == 3
    assert set(meta["training_tables"]) == {"gold.customer_features", "gold.labels"}
    assert all(isinstance(v, int) for v in meta["training_tables"].values())
    assert "all_accounts_closed" not in {f["name"] for f in meta["features"]}


def test_scores_reasons_and_monitoring(spark, churn_run):
    config, model, scored = churn_run
    lake = Lake(config)
    latest = scored["snapshots"][-1]
    scores = lake.read(spark, "gold.churn_scores").where(F.col("snapshot_date") == latest)
    features = lake.read(spark, "gold.customer_features").where(F.col("snapshot_date") == latest)
    assert scores.count() == features.count() == scores.select("customer_id").distinct().count()
    row = scores.agg(F.min("decile"), F.max("decile"), F.min("probability"), F.max("probability")).first()
    assert (row[0], row[1]) == (1, 10) and 0 < row[2] < row[3] < 1
    assert {r["band"] for r in scores.select("band").distinct().collect()} <= {"low", "medium", "high"}
    assert scores.where(F.col("model_version") != model["version"]).count() == 0
    names = set(json.loads(Path(model["folder"], "model.json").read_text())["feature_order"])
    reasons = {r for row in scores.select("reasons").collect() for r in row["reasons"]}
    assert reasons and reasons <= names
    assert scores.where(F.size("reasons") > 3).count() == 0
    monitoring = lake.read(spark, "gold.model_monitoring").where(F.col("model_version") == model["version"])
    variables = {r["variable"] for r in monitoring.collect()}
    assert "score" in variables and "recency_days" in variables
    assert monitoring.where(~F.col("status").isin("stable", "warning", "alert")).count() == 0


def test_risk_population_excludes_customers_already_in_default(spark, sample_lake):
    lake = Lake(sample_lake)
    features, labels = lake.read(spark, "gold.customer_features"), lake.read(spark, "gold.labels")
    in_default = features.join(labels, ["customer_id", "snapshot_date"]).where(F.col("max_dpd_3m") >= 90)
    assert in_default.where(F.col("default") == 1).count() > 0  # the leak exists in the labels ...
    population = lake_population(features, labels, sample_lake.models.risk, sample_lake.labels.default_dpd)
    assert population.where(F.col("max_dpd_3m") >= 90).count() == 0  # ... and is cut from the population


def test_risk_out_of_time_stops_naming_snapshots_and_counts(spark, sample_lake):
    # 24 months and a 12-month default horizon leave one closed snapshot: no honest out-of-time split.
    with pytest.raises(SplitError, match=r"'risk'.*closed snapshots: 2025-10-31 \(0: \d+, 1: \d+\)"):
        train_models(spark, with_models(sample_lake, specs=["risk"]))
