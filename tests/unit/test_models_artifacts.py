"""Model folders: the latest version by default, a named one on request, clear errors otherwise."""

from __future__ import annotations

import pytest

from crm_mining import CrmMiningError
from crm_mining.config import load_config
from crm_mining.models.artifacts import artifact_root, model_folder


def test_latest_version_by_default_and_named_version_on_request(tmp_path):
    config = load_config(lakehouse=str(tmp_path / "lake"))
    root = tmp_path / "lake" / "models" / "churn"
    for version in ("20260101T000000Z", "20260301T000000Z", "20260201T000000Z"):
        (root / version).mkdir(parents=True)
        (root / version / "model.json").write_text("{}")
    (root / "20270101T000000Z").mkdir()  # no model.json: an interrupted save, never picked
    assert artifact_root(config) == str(tmp_path / "lake" / "models")
    assert model_folder(config, "churn").endswith("churn/20260301T000000Z")
    assert model_folder(config, "churn", "20260101T000000Z").endswith("churn/20260101T000000Z")
    with pytest.raises(
        CrmMiningError, match="no version '1999'.*20260101T000000Z, 20260201T000000Z, 20260301T000000Z"
    ):
        model_folder(config, "churn", "1999")
    with pytest.raises(CrmMiningError, match="no trained model 'risk'"):
        model_folder(config, "risk")


def test_train_reuses_the_latest_model_without_touching_spark_unless_retrain(tmp_path, monkeypatch):
    from crm_mining.cli import build_parser, shorthand_overrides
    from crm_mining.models import train
    from crm_mining.models.train import train_models

    config = load_config(overrides=["models.specs=[churn]"], lakehouse=str(tmp_path / "lake"))
    folder = tmp_path / "lake" / "models" / "churn" / "20260301T000000Z"
    folder.mkdir(parents=True)
    (folder / "model.json").write_text('{"version": "20260301T000000Z"}')
    # spark=None: reusing a saved model reads no table
    (summary,) = train_models(None, config)["models"]
    assert (summary["reused"], summary["version"]) == (True, "20260301T000000Z")
    assert "reused model 'churn' version 20260301T000000Z" in summary["message"]
    assert shorthand_overrides(build_parser().parse_args(["train", "--retrain"])) == ["models.retrain=True"]
    retrain = load_config(
        overrides=["models.specs=[churn]", "models.retrain=true"], lakehouse=str(tmp_path / "lake")
    )
    monkeypatch.setattr(train, "lake_training_data", lambda spark, config, name, spec: name)
    monkeypatch.setattr(train, "train_one", lambda spark, config, data: {"model": data, "trained": True})
    assert train_models(None, retrain)["models"] == [{"model": "churn", "trained": True}]
