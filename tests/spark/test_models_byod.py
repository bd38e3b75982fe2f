"""Bring your own data: train on a plain CSV, score another CSV, read the metrics."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from pyspark.sql import functions as F

from crm_mining import CrmMiningError
from crm_mining.config.models import ModelInputSettings
from crm_mining.models import score_customers, train_models
from crm_mining.tables import Lake


def write_csv(path, rows: int, seed: int, with_label: bool = True, drop: str | None = None) -> str:
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(rows):
        tenure, calls, plan = (
            int(rng.integers(1, 60)),
            int(rng.integers(0, 8)),
            str(rng.choice(["basic", "plus", "max"])),
        )
        logit = -0.08 * tenure + 0.6 * calls + (0.8 if plan == "basic" else -0.4)
        churned = "yes" if rng.random() < 1 / (1 + np.exp(-logit)) else "no"
        cells = {"account": f"A{i}", "tenure": tenure, "calls": calls, "plan": plan, "churned": churned}
        if not with_label:
            cells.pop("churned")
        if drop:
            cells.pop(drop)
        lines.append(cells)
    header = ",".join(lines[0])
    path.write_text(header + "\n" + "\n".join(",".join(str(v) for v in row.values()) for row in lines) + "\n")
    return str(path)


def test_train_and_score_a_csv(spark, config, tmp_path):
    train_csv = write_csv(tmp_path / "train.csv", 600, seed=1)
    score_csv = write_csv(tmp_path / "score.csv", 50, seed=2, with_label=False)
    source = ModelInputSettings(source="csv", location=train_csv, score_location=score_csv, name="telco",
                                id_column="account", label_column="churned", positive_value="yes")  # fmt: skip
    split = dataclasses.replace(config.models.churn.split, min_rows=20)
    models = dataclasses.replace(
        config.models,
        input=source,
        churn=dataclasses.replace(config.models.churn, split=split),
        tuning=dataclasses.replace(
            config.models.tuning,
            max_evals=2,
            space=dataclasses.replace(config.models.tuning.space, max_iter=[10, 20]),
        ),
    )
    cfg = dataclasses.replace(config, models=models)
    trained = train_models(spark, cfg)["models"][0]
    assert trained["split"]["method"] == "random"
    assert trained["metrics"]["gbt"]["auc_roc"] > 0.7
    assert "rule_" not in " ".join(trained["metrics"])
    score_customers(spark, cfg)
    scores = Lake(cfg).read(spark, "gold.model_scores").where(F.col("model_name") == "telco")
    assert scores.count() == 50
    assert scores.where(F.col("probability").isNull() | (F.size("reasons") > 3)).count() == 0
    wrong = write_csv(tmp_path / "bad.csv", 5, seed=3, with_label=False, drop="calls")
    bad = dataclasses.replace(
        cfg, models=dataclasses.replace(models, input=dataclasses.replace(source, score_location=wrong))
    )
    with pytest.raises(CrmMiningError, match="missing columns: calls"):
        score_customers(spark, bad)
