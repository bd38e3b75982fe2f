"""Stage `models` (a later wave). Entry point: `train_models(spark, config) -> summary dict`."""

from __future__ import annotations

from crm_mining import NotBuiltYet


def train_models(spark, config) -> dict:
    raise NotBuiltYet("train_models", "models")
