"""Optional MLflow tracking (the `mlflow` extra): runs only when mlflow is installed."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from pyspark.ml.functions import vector_to_array

from crm_mining.config import load_config
from crm_mining.models.data import Feature
from crm_mining.models.pipeline import gbt_pipeline, with_weight
from crm_mining.models.tracking import log_model_run

mlflow = pytest.importorskip("mlflow")


def test_a_trained_version_is_logged_with_params_metrics_and_a_loadable_model(spark, tmp_path):
    rng = np.random.default_rng(3)
    rows = [(f"c{i}", float(x), int(x + rng.normal() > 0)) for i, x in enumerate(rng.normal(size=120))]
    df = with_weight(spark.createDataFrame(rows, "customer_id string, x1 double, label int"), (1.0, 1.0))
    params = {"max_depth": 2, "max_iter": 3, "step_size": 0.3, "subsampling_rate": 1.0,
              "min_instances_per_node": 1, "max_bins": 8}  # fmt: skip
    model = gbt_pipeline([Feature("x1", "numeric", "double")], params, seed=1).fit(df)
    metadata = {
        "label": "churn",
        "split": {
            "method": "out_of_time",
            "train": "2026-01-31",
            "validation": "2026-04-30",
            "test": "2026-07-31",
        },
        "feature_order": ["x1"],
        "hyperparameters": params,
        "metrics": [{"model": "gbt", "auc_roc": 0.81, "auc_pr": 0.4, "ks": 0.5, "gini": 0.62, "brier": 0.1}],
    }
    config = load_config(overrides=["spark.master=local[2]"], lakehouse=str(tmp_path / "lake"))
    assert log_model_run(config, "churn", "v1", model, metadata) is None  # off by default

    on = dataclasses.replace(config, models=dataclasses.replace(config.models, mlflow=dataclasses.replace(
        config.models.mlflow, enabled=True)))  # fmt: skip
    run_id = log_model_run(on, "churn", "v1", model, metadata)
    assert (tmp_path / "lake" / "mlflow.db").is_file()  # the default store is under the lakehouse
    run = mlflow.MlflowClient(f"sqlite:///{tmp_path}/lake/mlflow.db").get_run(run_id)
    assert run.data.metrics["gbt.auc_roc"] == pytest.approx(0.81)
    assert run.data.params["gbt_max_depth"] == "2" and run.data.params["split_test"] == "2026-07-31"
    assert run.data.tags["model_version"] == "v1"
    loaded = mlflow.spark.load_model(f"runs:/{run_id}/model")
    score = lambda m: [r[0] for r in m.transform(df).select(vector_to_array("probability")[1]).collect()]  # noqa: E731
    assert score(loaded) == pytest.approx(score(model), abs=1e-12)
