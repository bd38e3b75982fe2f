"""Validation of the fraud.* config keys (no Spark)."""

from __future__ import annotations

import pytest

from crm_mining.config import ConfigError, load_config


def test_defaults_and_a_weight_override():
    settings = load_config(overrides=["fraud.weights={pattern: 5.0}"]).fraud
    assert settings.weight("pattern") == 5.0
    assert settings.weight("probing") == 3.0  # a signal left out keeps its default weight
    assert settings.confirmed.source == "truth"
    assert load_config().generate.fraud_rate == 0.002


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("fraud.weights={colour: 1.0}", "unknown signal 'fraud.weights.colour'"),
        ("fraud.weights={velocity: -1.0}", "'fraud.weights.velocity' must be >= 0"),
        ("fraud.amount_bands=[50.0, 5.0]", "'fraud.amount_bands'.*strictly increasing"),
        ("fraud.confirmed.source=parquet", "'fraud.confirmed.location' is required"),
        ("fraud.confirmed.columns={amount: x}", "unknown logical column 'fraud.confirmed.columns.amount'"),
        ("fraud.rare_hour_share=1.5", "fraud.rare_hour_share"),
        ("generate.fraud_rate=0.5", "generate.fraud_rate"),
        ("rules.offers.fraud_alert_open_days=0", "rules.offers.fraud_alert_open_days"),
    ],
)
def test_bad_values_name_the_key(override, message):
    with pytest.raises(ConfigError, match=message):
        load_config(overrides=[override])
