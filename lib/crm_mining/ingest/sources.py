"""What each landing source looks like: format, folder, columns, natural key and the type of each field.

The contract is docs/data_contract.md ("Landing zone"). Every landing value is read as a string; the
``Field.kind`` says how ``validate`` types and checks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from crm_mining.domain import (
    ACCOUNT_STATUSES,
    CHANNELS,
    DIRECTIONS,
    INTERACTION_KINDS,
    MERCHANT_CATEGORIES,
    PRODUCT_CODES,
)

Kind = Literal[
    "id", "text", "code", "date", "timestamp", "amount", "money", "number", "count", "flag", "currency", "pii"
]


@dataclass(frozen=True)
class Field:
    """One landing column.

    kind: id (required key part), text (free string, trimmed), code (trimmed, upper-cased; one of ``codes`` when given),
    date (yyyy-MM-dd), timestamp (yyyy-MM-dd HH:mm:ss), amount (money > 0 and <= ingest.max_amount),
    money (>= 0 and <= ingest.max_amount), number (any value, may be negative), count (whole number >= 0), flag (true/false),
    currency (a key of ingest.fx_rates), pii (kept in bronze only).
    """

    name: str
    kind: Kind = "text"
    codes: tuple[str, ...] = ()
    required: bool = False  # null -> MISSING_ID for ids, BAD_DATE/BAD_NUMBER for others


@dataclass(frozen=True)
class Stream:
    """One streaming read of landing files (transactions have two: CSV and Parquet drops)."""

    name: str  # checkpoint and batch-id prefix
    fmt: Literal["csv", "json", "parquet"]
    folder: str  # under lake.landing()
    pattern: str  # glob under the folder


@dataclass(frozen=True)
class Source:
    name: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    streams: tuple[Stream, ...]
    # Each row must reference a known row of this silver table through this column, else ORPHAN.
    parent: tuple[str, str] | None = None

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


def _one(name: str, fmt: Literal["csv", "json"]) -> tuple[Stream, ...]:
    return (Stream(name, fmt, name, f"*.{fmt}"),)


SOURCES: tuple[Source, ...] = (
    Source(
        "products",
        (
            Field("product_code", "id"),
            Field("product_name"),
            Field("category", "code"),
            Field("is_credit", "flag"),
        ),
        key=("product_code",),
        streams=_one("products", "csv"),
    ),
    Source(
        "customers",
        (
            Field("customer_id", "id"),
            Field("first_name", "pii"),
            Field("last_name", "pii"),
            Field("birth_date", "date"),
            Field("gender", "code"),
            Field("marital_status"),
            Field("occupation"),
            Field("education"),
            Field("region"),
            Field("income_band"),
            Field("join_date", "date", required=True),
            Field("phone", "pii"),
            Field("national_id", "pii"),
            Field("address", "pii"),
            Field("email", "pii"),
        ),
        key=("customer_id",),
        streams=_one("customers", "csv"),
    ),
    Source(
        "accounts",
        (
            Field("account_id", "id"),
            Field("customer_id", "id"),
            Field("product_code", "code", PRODUCT_CODES, required=True),
            Field("open_date", "date", required=True),
            Field("close_date", "date"),
            Field("status", "code", ACCOUNT_STATUSES),
            Field("balance", "number"),
            Field("credit_limit", "number"),
            Field("currency", "currency", required=True),
        ),
        key=("account_id",),
        streams=_one("accounts", "json"),
        parent=("silver.customers", "customer_id"),
    ),
    Source(
        "balances",
        (
            Field("account_id", "id"),
            Field("customer_id", "id"),
            Field("month_end", "date", required=True),
            Field("balance", "number", required=True),
            Field("credit_limit", "number"),
            Field("currency", "currency", required=True),
        ),
        key=("account_id", "month_end"),
        streams=_one("balances", "csv"),
        parent=("silver.accounts", "account_id"),
    ),
    Source(
        "transactions",
        (
            Field("txn_id", "id"),
            Field("account_id", "id"),
            Field("customer_id", "id"),
            Field("txn_ts", "timestamp", required=True),
            Field("amount", "amount", required=True),
            Field("currency", "currency", required=True),
            Field("direction", "code", DIRECTIONS, required=True),
            Field("channel", "code", CHANNELS),
            Field("merchant_category", "code", MERCHANT_CATEGORIES),
        ),
        key=("txn_id",),
        streams=(
            Stream("transactions_csv", "csv", "transactions/csv", "*/*.csv"),
            Stream("transactions_parquet", "parquet", "transactions/parquet", "*/*.parquet"),
        ),
        parent=("silver.accounts", "account_id"),
    ),
    Source(
        "repayments",
        (
            Field("account_id", "id"),
            Field("customer_id", "id"),
            Field("month_end", "date", required=True),
            Field("amount_due", "money", required=True),
            Field("amount_paid", "money", required=True),
            Field("days_past_due", "count", required=True),
        ),
        key=("account_id", "month_end"),
        streams=_one("repayments", "csv"),
        parent=("silver.accounts", "account_id"),
    ),
    Source(
        "interactions",
        (
            Field("interaction_id", "id"),
            Field("customer_id", "id"),
            Field("interaction_ts", "timestamp", required=True),
            Field("kind", "code", INTERACTION_KINDS),
            Field("channel", "code"),
            Field("text"),
        ),
        key=("interaction_id",),
        streams=_one("interactions", "json"),
        parent=("silver.customers", "customer_id"),
    ),
)


def source(name: str) -> Source:
    return next(s for s in SOURCES if s.name == name)
