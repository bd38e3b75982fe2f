"""Table registry locations (no Spark)."""

from __future__ import annotations

import os

import pytest

from crm_mining.config import load_config
from crm_mining.tables import Lake, UnknownTable


def test_relative_lake_root_becomes_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    lake = Lake(load_config())  # the default root is ./lakehouse
    assert lake.location("silver.products") == os.path.join(str(tmp_path), "lakehouse", "silver", "products")
    assert lake.landing("customers") == os.path.join(str(tmp_path), "lakehouse", "landing", "customers")
    assert lake.checkpoint("ingest/x") == os.path.join(
        str(tmp_path), "lakehouse", "_checkpoints", "ingest", "x"
    )


@pytest.mark.parametrize(
    "root", ["s3a://bank/lake", "abfss://c@acct.dfs.core.windows.net/lake", "dbfs:/lake", "/data/lake"]
)
def test_uris_and_absolute_roots_are_kept(root):
    assert Lake(load_config(lakehouse=root)).location("gold.rfm") == f"{root}/gold/rfm"


def test_catalog_mode_names_tables():
    lake = Lake(load_config(overrides=["lake.mode=catalog", "lake.catalog=main"]))
    assert lake.location("silver.transactions") == "main.crm.silver_transactions"
    assert lake.sql_name("silver.transactions") == "main.crm.silver_transactions"


def test_unknown_table_lists_the_known_ones():
    with pytest.raises(UnknownTable, match="unknown table 'silver.nope'; known tables: bronze.accounts"):
        Lake(load_config()).location("silver.nope")
