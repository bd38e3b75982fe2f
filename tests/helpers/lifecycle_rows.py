"""Crafted gold.customer_features rows for lifecycle tests."""

from __future__ import annotations

import datetime as dt

FEATURES_SCHEMA = (
    "customer_id string, snapshot_date date, tenure_months int, product_count int, active_product_count int, "
    "recency_days int, txn_count_90d bigint, spend_3m double, spend_prev_3m double, spend_trend double, "
    "balance_3m_avg double, balance_prev_3m_avg double, balance_trend double, all_accounts_closed boolean"
)
JUNE = dt.date(2025, 6, 30)


def feature_row(customer_id: str, snapshot_date: dt.date = JUNE, **changes) -> dict:
    """A healthy, mature, stable customer unless ``changes`` say otherwise."""
    row = {
        "customer_id": customer_id,
        "snapshot_date": snapshot_date,
        "tenure_months": 40,
        "product_count": 4,
        "active_product_count": 4,
        "recency_days": 3,
        "txn_count_90d": 30,
        "spend_3m": 3000.0,
        "spend_prev_3m": 3000.0,
        "spend_trend": 1.0,
        "balance_3m_avg": 5000.0,
        "balance_prev_3m_avg": 5000.0,
        "balance_trend": 1.0,
        "all_accounts_closed": False,
    }
    row.update(changes)
    return row
