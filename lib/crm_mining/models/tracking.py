"""Optional MLflow tracking of trained models (`pip install 'crm-mining[mlflow]'`, `models.mlflow.enabled`).

One MLflow run per saved model version: the hyperparameters and split as params, every test metric of
the GBT and its baselines as ``<model>.<metric>``, ``model.json`` as an artifact and the fitted MLlib
``PipelineModel`` through MLflow's Spark flavour (loadable with ``mlflow.spark.load_model``).

The default store is SQLite under the lakehouse (``sqlite:///<lake root>/mlflow.db``, artifacts in
``<lake root>/mlflow-artifacts``): MLflow 3 refuses its old file store (``./mlruns``) unless told to, so
the extra brings mlflow-skinny with SQLAlchemy and alembic, which its SQLite store needs.
"""

from __future__ import annotations

import os

from pyspark.ml import PipelineModel

from crm_mining import CrmMiningError
from crm_mining.config import Config
from crm_mining.tables import absolute

METRICS = ("auc_roc", "auc_pr", "ks", "gini", "brier")


def tracking_uri(config: Config) -> str:
    """``models.mlflow.tracking_uri``, or SQLite under the lake root."""
    uri = config.models.mlflow.tracking_uri
    return uri or f"sqlite:///{absolute(config.lake.root).rstrip('/')}/mlflow.db"


def artifact_location(config: Config) -> str | None:
    """Where a new experiment keeps artifacts: under the lake root for the default store, else MLflow's choice."""
    if config.models.mlflow.tracking_uri:
        return None
    return "file://" + os.path.join(absolute(config.lake.root), "mlflow-artifacts")


def run_params(name: str, metadata: dict) -> dict:
    """Flat MLflow params: the model, its label, split, feature count and tuned hyperparameters."""
    split = metadata.get("split", {})
    return {
        "model_name": name,
        "label": metadata.get("label"),
        "split_method": split.get("method"),
        **{f"split_{k}": split[k] for k in ("train", "validation", "test") if k in split},
        "features": len(metadata.get("feature_order", [])),
        "tuning_max_evals": metadata.get("tuning", {}).get("max_evals"),
        **{f"gbt_{k}": v for k, v in metadata.get("hyperparameters", {}).items()},
    }


def run_metrics(metadata: dict) -> dict[str, float]:
    """``<model>.<metric>`` for every evaluated model (gbt, logistic_regression, rule_...) on the test split."""
    return {
        f"{m['model']}.{k}": float(m[k])
        for m in metadata.get("metrics", [])
        for k in METRICS
        if m.get(k) is not None
    }


def log_model_run(
    config: Config, name: str, version: str, model: PipelineModel, metadata: dict
) -> str | None:
    """Log one trained model version to MLflow; returns the run id (None when tracking is off)."""
    settings = config.models.mlflow
    if not settings.enabled:
        return None
    try:
        import mlflow
        import mlflow.spark
    except ImportError as exc:
        raise CrmMiningError(
            "models.mlflow.enabled is true but mlflow is not installed: pip install 'crm-mining[mlflow]'"
        ) from exc
    import pyspark

    mlflow.set_tracking_uri(tracking_uri(config))
    client = mlflow.MlflowClient()
    experiment = client.get_experiment_by_name(settings.experiment)
    experiment_id = (
        experiment.experiment_id
        if experiment
        else client.create_experiment(settings.experiment, artifact_location=artifact_location(config))
    )
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"{name} {version}") as run:
        mlflow.set_tags({"model_name": name, "model_version": version})
        mlflow.log_params(run_params(name, metadata))
        mlflow.log_metrics(run_metrics(metadata))
        mlflow.log_dict({**metadata, "name": name, "version": version}, "model.json")
        # Requirements given, not inferred: inference would reload the model in a subprocess.
        mlflow.spark.log_model(model, "model", pip_requirements=[f"pyspark=={pyspark.__version__}"])
    return run.info.run_id
