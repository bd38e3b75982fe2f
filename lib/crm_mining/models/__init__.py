"""Stage `models`: GBT churn and credit-risk models (`crm-mining train`, `crm-mining score`).

Entry points: ``train_models(spark, config) -> summary`` and ``score_customers(spark, config) -> summary``.
See docs/models.md.
"""

from __future__ import annotations

from crm_mining.models.score import score_customers
from crm_mining.models.train import train_models

__all__ = ["score_customers", "train_models"]
