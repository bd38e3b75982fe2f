"""Config loading and validation (no Spark)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from crm_mining.config import Config, ConfigError, load_config, parse_override

CONF = Path(__file__).resolve().parents[2] / "conf"


def test_local_yaml_states_the_builtin_defaults():
    assert load_config(CONF / "local.yaml") == Config()


@pytest.mark.parametrize("name", ["local", "cluster", "databricks"])
def test_shipped_configs_load(name):
    assert load_config(CONF / f"{name}.yaml").env == name


def test_databricks_uses_catalog_tables():
    config = load_config(CONF / "databricks.yaml")
    assert (config.lake.mode, config.lake.catalog, config.lake.schema) == ("catalog", "main", "crm")


def test_overrides_and_lakehouse_apply():
    config = load_config(
        CONF / "local.yaml",
        ["generate.customers=500", "generate.start_date=2024-02-01", "spark.conf={a.b: 1}"],
        lakehouse="/tmp/lake",
    )
    assert config.generate.customers == 500
    assert config.generate.start_date == dt.date(2024, 2, 1)
    assert config.spark.conf == {"a.b": "1"}
    assert config.lake.root == "/tmp/lake"
    assert config.lake.landing_dir() == "/tmp/lake/landing"


def test_a_partial_model_section_keeps_that_models_own_defaults(tmp_path):
    # models.risk defaults to the credit-risk spec; setting one key of it must not turn it into a bare
    # ModelSpec (label churn): the sample benchmark trained a second churn model named risk that way.
    partial = tmp_path / "partial.yaml"
    partial.write_text("models:\n  churn:\n    split: {seed: 3}\n")
    from_yaml = load_config(partial).models
    from_set = load_config(overrides=["models.risk.split.method=random"]).models
    assert from_set.risk.label == "default"
    assert from_set.risk.population == "not_in_default"
    assert from_set.risk.baseline_feature == "max_dpd_12m"
    assert from_set.risk.split.method == "random"
    assert from_set.risk.split.train_snapshots == 6
    assert from_yaml.churn.exclude_features == ["all_accounts_closed"]
    assert (from_yaml.churn.split.seed, from_yaml.churn.split.method) == (3, "out_of_time")
    assert from_yaml.risk.label == "default"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            "generate.customerz=5",
            "unknown config key 'generate.customerz'; allowed keys here: bad_record_rate",
        ),
        ("nosuch.key=1", "unknown config key 'nosuch'"),
        ("generate.customers=many", "'generate.customers' must be a number"),
        ("generate.customers=2.5", "'generate.customers' must be a whole number"),
        ("generate.customers=1", "'generate.customers' = 1 is out of range; allowed: >= 10"),
        ("generate.bad_record_rate=0.5", "allowed: 0.0 to 0.2"),
        ("spark.log_level=LOUD", "allowed: ERROR, WARN, INFO, DEBUG"),
        ("spark.ui_enabled=maybe", "'spark.ui_enabled' must be true or false"),
        ("generate.start_date=31/01/2025", "'generate.start_date' must be a date"),
        ("lake.mode=catalog", "'lake.catalog' is required when 'lake.mode' is catalog"),
        ("rfm.segments=[{name: X, r: [0, 5]}]", "'rfm.segments[0].r' = [0, 5] is out of range"),
        ("generate=5", "--set expects section.key=value"),
        ("ingest.fx_rates={EUR: 1.0, USD: 0}", "'ingest.fx_rates' must all be > 0; got {'USD': 0.0}"),
        ("ingest.fx_rates={EUR: 1.0, USD: -1}", "must all be > 0; got {'USD': -1.0}"),
        ("ingest.base_currency=CHF", "'ingest.base_currency' = 'CHF' has no rate in 'ingest.fx_rates'"),
        ("ingest.base_currency=usd", "'ingest.fx_rates' of the base currency USD must be 1.0"),
        ("ingest.encodings={customers: UTF-16}", "'ingest.encodings' must be one of UTF-8, ISO-8859-1; got"),
        ("ingest.encodings={clients: ISO-8859-1}", "'ingest.encodings' names no source: ['clients']"),
    ],
)
def test_bad_values_name_the_key_and_what_is_allowed(override, message):
    with pytest.raises(ConfigError) as error:
        load_config(overrides=[override])
    assert message in str(error.value)


def test_bad_yaml_file_is_named(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("spark: [unclosed\n")
    with pytest.raises(ConfigError, match="bad.yaml is not valid YAML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.yaml")


def test_parse_override_reads_yaml_values():
    assert parse_override("features.snapshot_dates=[2025-01-31]") == (
        "features.snapshot_dates",
        [dt.date(2025, 1, 31)],
    )
    assert parse_override("spark.master=local[2]") == ("spark.master", "local[2]")
