"""Stage `rules` (a later wave). Entry point: `mine_rules(spark, config) -> summary dict`."""

from __future__ import annotations

from crm_mining import NotBuiltYet


def mine_rules(spark, config) -> dict:
    raise NotBuiltYet("mine_rules", "cross-sell")
