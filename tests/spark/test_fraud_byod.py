"""The fraud stage on a bank's own transactions (input.*): no txn_id, no category, no known fraud."""

from __future__ import annotations

import datetime as dt

import pytest

from crm_mining import CrmMiningError
from crm_mining.config import load_config
from crm_mining.fraud import detect_fraud
from crm_mining.tables import Lake

DAY = dt.datetime(2025, 6, 1, 10)


def own_config(tmp_path, *extra):
    return load_config(
        overrides=[
            "spark.master=local[2]",
            "input.source=parquet",
            f"input.location={tmp_path / 'txns'}",
            "input.columns={customer_id: client, txn_ts: booked_at, amount: value, channel: kanal}",
            "fraud.score_days=5",
            "fraud.alerts_per_10k=10000",
            *extra,
        ],
        lakehouse=str(tmp_path / "lakehouse"),
    )


def test_own_transactions_without_ids_or_known_fraud(spark, tmp_path):
    history = [("K1", DAY - dt.timedelta(days=40 - i), 30.0 + 10 * (i % 3), "POS") for i in range(30)]
    recent = [
        ("K1", DAY + dt.timedelta(minutes=1), 1.0, "ONLINE"),
        ("K1", DAY + dt.timedelta(minutes=8), 2.0, "ONLINE"),
        ("K1", DAY + dt.timedelta(minutes=30), 800.0, "ONLINE"),
    ]
    spark.createDataFrame(
        history + recent, "client string, booked_at timestamp, value double, kanal string"
    ).write.parquet(str(tmp_path / "txns"))
    config = own_config(tmp_path)
    summary = detect_fraud(spark, config)
    assert summary["missing_inputs"] == ["txn_id", "merchant_category"]
    assert set(summary["skipped"]) == {"gold.fraud_patterns", "gold.fraud_evaluation"}
    assert summary["known_fraud"] is None
    (alert,) = Lake(config).read(spark, "gold.transaction_alerts").collect()
    assert alert.txn_id.startswith("H") and alert.amount == 800.0
    assert alert.signals == ["amount_outlier", "new_channel", "probing"]
    assert alert.reasons[2] == "2 transactions under 5.00 in the 6 h before"

    spark.createDataFrame([("x",)], "chargeback_ref string").write.parquet(str(tmp_path / "cb"))
    confirmed = own_config(
        tmp_path, "fraud.confirmed.source=parquet", f"fraud.confirmed.location={tmp_path / 'cb'}"
    )
    with pytest.raises(CrmMiningError, match=r"no column 'txn_id'.*fraud.confirmed.columns.txn_id"):
        detect_fraud(spark, confirmed)
