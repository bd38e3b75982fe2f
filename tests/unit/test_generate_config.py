"""Validation of the generate.* config keys (no Spark)."""

from __future__ import annotations

import datetime as dt

import pytest

from crm_mining.config import ConfigError, load_config


def test_defaults_and_overrides_are_typed():
    config = load_config(
        overrides=["generate.customers=500", "generate.start_date=2024-03-01", "generate.csv_share=1"]
    )
    assert config.generate.customers == 500
    assert config.generate.start_date == dt.date(2024, 3, 1)
    assert config.generate.csv_share == 1.0
    assert config.generate.bad_record_rate == 0.002


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("generate.start_date=2025-01-15", "first day of a month"),
        ("generate.customers=5", "generate.customers"),
        ("generate.months=0", "generate.months"),
        ("generate.bad_record_rate=0.5", "generate.bad_record_rate"),
        ("generate.csv_share=1.5", "generate.csv_share"),
        ("generate.seed=abc", "generate.seed"),
        ("generate.colour=red", "unknown config key 'generate.colour'"),
    ],
)
def test_bad_values_name_the_key(override, message):
    with pytest.raises(ConfigError, match=message):
        load_config(overrides=[override])


def test_exclusive_behaviour_rates_cannot_exceed_the_population():
    with pytest.raises(ConfigError, match="dormant_rate"):
        load_config(
            overrides=["generate.churn_rate=0.6", "generate.default_rate=0.3", "generate.dormant_rate=0.2"]
        )


def test_default_rate_at_the_stretched_ages_is_a_share():
    with pytest.raises(ConfigError, match=r"default_age_multiplier' = 1.2 must be <= 1"):
        load_config(overrides=["generate.default_rate=0.3", "generate.default_age_multiplier=4"])
    load_config(overrides=["generate.default_rate=0.25", "generate.default_age_multiplier=4"])
