"""Shared fixtures. The Spark session is session-scoped: one JVM for the whole suite."""

from __future__ import annotations

import pytest

from crm_mining.config import Config, load_config


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    from crm_mining.session import get_spark

    warehouse = tmp_path_factory.mktemp("warehouse")
    config = load_config(
        overrides=["spark.master=local[2]", f"spark.conf={{spark.sql.warehouse.dir: '{warehouse}'}}"]
    )
    session = get_spark(config)
    yield session
    session.stop()


@pytest.fixture
def config(tmp_path) -> Config:
    """Local config whose lake lives in this test's tmp_path."""
    return load_config(overrides=["spark.master=local[2]"], lakehouse=str(tmp_path / "lakehouse"))


@pytest.fixture(scope="session")
def base_ingested(spark, tmp_path_factory) -> dict:
    """``helpers.landing_files.base_landing`` (valid records plus one bad record of every kind), ingested
    once: {"config", "lake", "runs": [its summary]}. For the modules that only read it (test_ingest) or
    copy its landing files and compare with its tables (test_ingest_crash)."""
    from pathlib import Path

    from crm_mining.ingest import ingest_lake
    from crm_mining.tables import Lake
    from helpers.landing_files import base_landing

    config = load_config(
        overrides=["spark.master=local[2]"], lakehouse=str(tmp_path_factory.mktemp("base") / "lakehouse")
    )
    base_landing(Path(Lake(config).landing()))
    return {"config": config, "lake": Lake(config), "runs": [ingest_lake(spark, config)]}


@pytest.fixture(scope="session")
def sample_lake(spark, tmp_path_factory) -> Config:
    """A small generated lake run through generate, ingest, features and lifecycle, built once per session.

    For test modules that read the built gold tables (rules, segments, models). They may add their own
    stage's tables to it but must not change what is there. The default 24 months, 15 snapshots and
    label horizons (churn 3 months, default 6) give closed label windows for an out-of-time split of both
    models; only the customer count is smaller than the README sample's 2000.
    """
    from crm_mining.features import build_features
    from crm_mining.generate import generate_lake
    from crm_mining.ingest import ingest_lake
    from crm_mining.lifecycle import build_lifecycle

    config = load_config(
        overrides=[
            "spark.master=local[2]",
            "generate.customers=400",
        ],
        lakehouse=str(tmp_path_factory.mktemp("sample") / "lakehouse"),
    )
    for stage in (generate_lake, ingest_lake, build_features, build_lifecycle):
        stage(spark, config)
    return config
