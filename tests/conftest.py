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
