"""Versioned model folders: ``<artifact dir>/<model name>/<version>/`` with ``pipeline/`` and ``model.json``.

``model.json`` holds what a model-risk reviewer asks for: features and types, hyperparameters, the
hyperopt trials, the split, the Delta versions of the training tables, the metrics, the package and
Spark versions. Versions are UTC timestamps (``20260131T120000Z``), so the latest sorts last.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from pyspark.ml import PipelineModel

from crm_mining import CrmMiningError
from crm_mining.config import Config
from crm_mining.models.data import Feature
from crm_mining.tables import absolute

METADATA = "model.json"


def artifact_root(config: Config) -> str:
    root = config.models.artifact_dir or f"{config.lake.root.rstrip('/')}/models"
    return absolute(root)


def new_version(folder: str) -> str:
    """A UTC timestamp version not yet used under ``folder``."""
    base = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    version, n = base, 1
    while os.path.exists(os.path.join(folder, version)):
        n += 1
        version = f"{base}-{n}"
    return version


def save_model(config: Config, name: str, model: PipelineModel, metadata: dict) -> tuple[str, str]:
    """Save ``model`` and ``metadata`` in a new version folder; returns (version, folder)."""
    parent = os.path.join(artifact_root(config), name)
    version = new_version(parent)
    folder = os.path.join(parent, version)
    model.write().overwrite().save(os.path.join(folder, "pipeline"))
    Path(folder, METADATA).write_text(
        json.dumps({**metadata, "name": name, "version": version}, indent=2, default=str)
    )
    return version, folder


def model_folder(config: Config, name: str, version: str | None = None) -> str:
    """The folder of ``version`` of model ``name`` (None = the latest)."""
    parent = os.path.join(artifact_root(config), name)
    versions = (
        sorted(v for v in os.listdir(parent) if os.path.isfile(os.path.join(parent, v, METADATA)))
        if os.path.isdir(parent)
        else []
    )
    if not versions:
        raise CrmMiningError(f"no trained model '{name}' under {parent}; run `crm-mining train` first")
    if version is None:
        return os.path.join(parent, versions[-1])
    if version not in versions:
        raise CrmMiningError(
            f"model '{name}' has no version '{version}' under {parent}; versions: {', '.join(versions)}"
        )
    return os.path.join(parent, version)


def load_model(folder: str) -> tuple[PipelineModel, dict]:
    metadata = json.loads(Path(folder, METADATA).read_text())
    return PipelineModel.load(os.path.join(folder, "pipeline")), metadata


def model_features(metadata: dict) -> list[Feature]:
    return [Feature(f["name"], f["kind"], f["type"]) for f in metadata["features"]]
