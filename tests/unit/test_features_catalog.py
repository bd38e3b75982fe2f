"""The feature catalog: documented in docs/features.md and covering the contract's key columns."""

from __future__ import annotations

from pathlib import Path

from crm_mining.config import load_config
from crm_mining.features.catalog import doc_with_catalog, feature_catalog

ROOT = Path(__file__).resolve().parents[2]
# gold.customer_features key columns the lifecycle stage relies on (docs/data_contract.md).
CONTRACT = {
    "customer_id": "string",
    "snapshot_date": "date",
    "tenure_months": "int",
    "product_count": "int",
    "products": "array<string>",
    "active_product_count": "int",
    "recency_days": "int",
    "txn_count_90d": "bigint",
    "spend_3m": "double",
    "spend_prev_3m": "double",
    "spend_trend": "double",
    "balance_total": "double",
    "balance_3m_avg": "double",
    "balance_prev_3m_avg": "double",
    "balance_trend": "double",
    "all_accounts_closed": "boolean",
}


def test_docs_embed_the_generated_catalog():
    text = (ROOT / "docs" / "features.md").read_text()
    assert doc_with_catalog(text) == text, "run: python -m crm_mining.features.catalog docs/features.md"


def test_catalog_keeps_the_contract_key_columns_even_with_other_windows():
    config = load_config(overrides=["features.rfm_windows_days=[7]", "rfm.window_days=180"])
    catalog = {c.name: c for c in feature_catalog(config.features, config.rfm.window_days)}
    assert {name: catalog[name].type for name in CONTRACT} == CONTRACT
    assert all(catalog[name].key for name in CONTRACT)
    assert {"txn_count_7d", "txn_count_180d", "spend_180d"} <= set(catalog)


def test_catalog_names_are_unique_and_documented():
    catalog = feature_catalog(load_config().features)
    names = [c.name for c in catalog]
    assert len(names) == len(set(names))
    assert all(c.meaning and c.type and c.needs for c in catalog)
