"""Tokenised customer keys: ``customer_id`` in silver and gold as HMAC-SHA256(key, id), hex.

The bank's own ``customer_id`` is the default key (``ingest.customer_key: plain``). With ``token``, ingest
replaces every landed ``customer_id`` by its token before validation, so duplicate and orphan checks, silver
and every gold table downstream carry only tokens. The key comes from the environment variable named by
``ingest.token_key_env`` (default ``CRM_MINING_TOKEN_KEY``), never from a file of the repo or the config.
Bronze keeps the records as landed, plain ids included; so do the ``raw`` records of ``ops.quarantine``.

Mapping tokens back is the key holder's job: compute the token of each id the bank holds, with
``customer_token`` (Spark) or Python's ``hmac.new(key, id.encode(), hashlib.sha256).hexdigest()``, and join.
HMAC is built here from Spark's own sha2 (no UDF): H((K ^ opad) || H((K ^ ipad) || m)), RFC 2104.
"""

from __future__ import annotations

import hashlib
import os

from pyspark.sql import Column
from pyspark.sql import functions as F  # noqa: N812

from crm_mining import CrmMiningError

BLOCK = 64  # SHA-256's block size in bytes


def token_key(env_var: str) -> bytes:
    """The HMAC key from the environment; a one-line error naming the variable when it is missing."""
    key = os.environ.get(env_var, "")
    if not key:
        raise CrmMiningError(
            f"ingest.customer_key is 'token' but the environment variable {env_var} is empty or not set; "
            f"set it from the bank's secret store (never in a file of the repo or the config)"
        )
    return key.encode("utf-8")


def customer_token(ids: Column, key: bytes) -> Column:
    """HMAC-SHA256(key, trimmed id) as 64 hex characters; an empty or null id stays as it is (MISSING_ID)."""
    padded = (hashlib.sha256(key).digest() if len(key) > BLOCK else key).ljust(BLOCK, b"\0")
    inner_pad = bytes(b ^ 0x36 for b in padded)
    outer_pad = bytes(b ^ 0x5C for b in padded)
    message = F.trim(ids)
    inner = F.unhex(F.sha2(F.concat(F.lit(inner_pad), message.cast("binary")), 256))
    token = F.sha2(F.concat(F.lit(outer_pad), inner), 256)
    return F.when(F.coalesce(message, F.lit("")) == "", ids).otherwise(token)
