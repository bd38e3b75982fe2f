"""Bring your own data: features and RFM from a CSV with custom column names and no optional columns."""

from __future__ import annotations

import logging

from crm_mining.config import load_config
from crm_mining.features import build_features
from crm_mining.features.catalog import feature_catalog
from crm_mining.tables import Lake

CSV = """cust_no;booked_at;value_eur
U1;10/01/2025 08:00;10.0
U1;15/02/2025 08:00;20.0
U1;05/03/2025 08:00;5.0
U2;20/02/2025 12:30;7.5
U3;31/03/2025 23:59;1.0
U3;oops;1.0
"""


def test_csv_with_custom_columns_and_no_optional_inputs(spark, tmp_path, caplog):
    path = tmp_path / "bank_export.csv"
    path.write_text(CSV)
    config = load_config(
        overrides=[
            "spark.master=local[2]",
            "input.source=csv",
            f"input.location={path}",
            "input.columns={customer_id: cust_no, txn_ts: booked_at, amount: value_eur}",
            "input.timestamp_format=dd/MM/yyyy HH:mm",
            "input.csv_options={header: 'true', sep: ';'}",
            "features.snapshot_count=2",
        ],
        lakehouse=str(tmp_path / "lake"),
    )
    with caplog.at_level(logging.WARNING, logger="crm_mining"):
        summary = build_features(spark, config)

    assert summary["snapshots"] == ["2025-02-28", "2025-03-31"]
    assert summary["rejected_transactions"] == 1
    assert set(summary["missing_inputs"]) >= {
        "channel",
        "merchant_category",
        "silver.accounts",
        "silver.balances",
    }
    assert "input 'channel' is not available: leaving out channel_share_atm" in caplog.text

    lake = Lake(config)
    features = lake.read(spark, "gold.customer_features")
    catalog = feature_catalog(config.features, config.rfm.window_days)
    kept = {c.name for c in catalog if c.needs == "transactions" or c.key}
    assert set(features.columns) == kept  # optional features left out; key columns kept (as nulls)
    assert features.count() == 5  # U3 first appears in March
    u1 = features.where("customer_id = 'U1' AND snapshot_date = DATE'2025-03-31'").first()
    assert (u1.recency_days, u1.txn_count_90d, u1.spend_30d, u1.spend_3m) == (26, 3, 5.0, 35.0)
    assert u1.tenure_months == 2 and u1.product_count is None and u1.balance_total is None
    rfm = lake.read(spark, "gold.rfm")
    assert rfm.count() == 5 and rfm.where("r_score BETWEEN 1 AND 5 AND rfm_segment IS NOT NULL").count() == 5
    assert lake.read(spark, "gold.labels").where("churn IS NOT NULL OR `default` IS NOT NULL").count() == 0
