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
