"""The landing contract: for each landing source, its folder and formats, its columns and their types,
which columns are PII, its natural key, and the reason codes a rejected record can get.

It is the one place the landing zone is spelled out: ``generate`` writes from it, ``ingest`` validates and
conforms from it, and silver drops the columns it marks PII. docs/data_contract.md ("Landing zone") is
the prose. Every landing value is read as a string; ``Field.kind`` says how ingest types and checks it.
Nothing here imports pyspark, so the CLI and the stage registry can use it cheaply.
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

# Reason codes, in the order docs/data_contract.md lists them.
REASON_CODES = (
    "MALFORMED_ROW", "BAD_NUMBER", "BAD_DATE", "MISSING_ID", "DUPLICATE", "NEAR_DUPLICATE", "ORPHAN",
    "NEGATIVE_AMOUNT", "ABSURD_AMOUNT", "FUTURE_DATE", "DATE_TOO_OLD", "UNKNOWN_CODE", "SCHEMA_DRIFT",
)  # fmt: skip
# A record gets the first code that applies, in this order; the row checks come before the key checks.
ROW_REASONS = (
    "SCHEMA_DRIFT", "BAD_ENCODING", "MALFORMED_ROW", "MISSING_ID", "BAD_NUMBER", "BAD_DATE",
    "UNKNOWN_CODE", "NEGATIVE_AMOUNT", "ABSURD_AMOUNT", "FUTURE_DATE", "DATE_TOO_OLD",
)  # fmt: skip
REASON_PRECEDENCE = (*ROW_REASONS, "DUPLICATE", "NEAR_DUPLICATE", "ORPHAN")
# Counted as `duplicates` in the audit; every other code as `quarantined`.
DUPLICATE_REASONS = ("DUPLICATE", "NEAR_DUPLICATE")

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
    free_text: bool = False  # typed by a person: may hold PII anywhere (masked in silver and quarantine)


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

    @property
    def pii_columns(self) -> list[str]:
        """Columns kept in bronze only: silver drops them."""
        return [f.name for f in self.fields if f.kind == "pii"]

    @property
    def may_hold_pii(self) -> bool:
        """PII columns or free text: a record of this source that does not parse may hold PII anywhere."""
        return bool(self.pii_columns) or any(f.free_text for f in self.fields)

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
            # money, not number: silver's CHECK refuses a negative limit, so validation must quarantine it
            Field("credit_limit", "money"),
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
            Field("text", free_text=True),
        ),
        key=("interaction_id",),
        streams=_one("interactions", "json"),
        parent=("silver.customers", "customer_id"),
    ),
)


SOURCE_NAMES = tuple(s.name for s in SOURCES)


def source(name: str) -> Source:
    return next(s for s in SOURCES if s.name == name)


def stream(name: str) -> tuple[Source, Stream]:
    """The source and stream of a stream name (e.g. ``transactions_csv``)."""
    return next((s, st) for s in SOURCES for st in s.streams if st.name == name)
