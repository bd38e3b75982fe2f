"""Stage `features`. Entry point: `build_features(spark, config) -> summary dict`.

Writes gold.customer_features (catalog: crm_mining.features.catalog), gold.labels and gold.rfm.
"""

from __future__ import annotations

from crm_mining.features.build import build_features

__all__ = ["build_features"]
