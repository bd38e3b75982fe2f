"""Tokenised customer keys (ingest.customer_key: token): HMAC-SHA256 as Python's hmac computes it, an
ingest whose silver tables equal the plain run's with every customer_id replaced by its token, and gold
built from them that carries tokens only."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import replace
from pathlib import Path

import pytest
from pyspark.sql import functions as F  # noqa: N812
from pyspark.testing import assertDataFrameEqual

from crm_mining import CrmMiningError
from crm_mining.features import build_features
from crm_mining.ingest import ingest_lake
from crm_mining.tables import TABLES, Lake
from crm_mining.tokens import customer_token
from helpers.landing_files import TRANSACTIONS_INTERACTIONS_AND_PARENTS, copy_landing

KEY = "test-only key, not a secret"
# The tables compared below and the parents their validation reads. Balances and repayments carry a
# customer_id too, tokenised by the same step (ingest.batch.records) for every source.
LANDED = TRANSACTIONS_INTERACTIONS_AND_PARENTS
COMPARED = ("silver.customers", "silver.accounts", "silver.transactions", "silver.interactions")


def reference(key: str, customer_id: str) -> str:
    return hmac.new(key.encode(), customer_id.encode(), hashlib.sha256).hexdigest()


def test_tokens_are_rfc_2104_hmac_sha256_and_empty_ids_stay_empty(spark):
    ids = spark.createDataFrame([("C1",), (" C3 ",), ("Ñandú-7",), ("",), (None,)], "customer_id string")
    long_key = "k" * 100  # longer than SHA-256's block: hashed first, as RFC 2104 says
    for key in (KEY, long_key):
        got = ids.select(customer_token(F.col("customer_id"), key.encode()).alias("t"))
        want = [
            (reference(key, "C1"),),
            (reference(key, "C3"),),
            (reference(key, "Ñandú-7"),),
            ("",),
            (None,),
        ]
        assertDataFrameEqual(got, spark.createDataFrame(want, "t string"), checkRowOrder=True)


def test_a_token_run_is_the_plain_run_with_tokens_for_customer_ids_through_gold(
    spark, config, base_ingested, monkeypatch
):
    tokens = replace(config, ingest=replace(config.ingest, customer_key="token", optimize=False))
    copy_landing(Path(base_ingested["config"].lake.root), Path(tokens.lake.root), LANDED)
    monkeypatch.delenv("CRM_MINING_TOKEN_KEY", raising=False)
    with pytest.raises(CrmMiningError, match="environment variable CRM_MINING_TOKEN_KEY is empty or not set"):
        ingest_lake(spark, tokens)
    assert not Lake(tokens).exists(spark, "silver.customers")  # stopped before any write

    monkeypatch.setenv("CRM_MINING_TOKEN_KEY", KEY)
    ingest_lake(spark, tokens)

    plain, tokenised = base_ingested["lake"], Lake(tokens)
    for table in COMPARED:
        want = plain.read(spark, table).drop("ingested_at", "source_file")
        rows = [r.asDict() | {"customer_id": reference(KEY, r.customer_id)} for r in want.collect()]
        assertDataFrameEqual(
            tokenised.read(spark, table).drop("ingested_at", "source_file"),
            spark.createDataFrame(rows, want.schema),
            checkRowOrder=False,
        )

    # Gold is built from silver, so it can only carry tokens: every customer_id of every gold table
    # features writes is the token of a landed customer, and no plain id is left.
    # The base landing holds two days of January 2025: no complete month, so the snapshot is named.
    build_features(
        spark, replace(tokens, features=replace(tokens.features, snapshot_dates=[dt.date(2025, 1, 31)]))
    )
    landed = [r.customer_id for r in plain.read(spark, "silver.customers").select("customer_id").collect()]
    tokens_of_landed = {reference(KEY, c) for c in landed}
    gold = [t for t in TABLES if t.startswith("gold.") and tokenised.exists(spark, t)]
    assert "gold.customer_features" in gold
    for table in gold:
        df = tokenised.read(spark, table)
        if "customer_id" not in df.columns:
            continue
        ids = {r.customer_id for r in df.select("customer_id").distinct().collect()}
        assert ids, f"{table} is empty: nothing was checked"
        assert ids <= tokens_of_landed, (
            f"{table} holds ids that are not tokens: {sorted(ids - tokens_of_landed)[:3]}"
        )
