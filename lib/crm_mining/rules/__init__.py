"""Stage `rules`. Entry point: `mine_rules(spark, config) -> summary dict`.

Cross-sell rules (Spark MLlib FPGrowth) on product baskets, the coverage-gap and product-depth tables,
next-best-offers with risk and eligibility exclusions and their evaluation, and risk rules.
See docs/rules.md and ``crm_mining.rules.run``.
"""

from __future__ import annotations

from crm_mining.rules.run import mine_rules

__all__ = ["mine_rules"]
