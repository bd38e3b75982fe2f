"""Valid records -> the silver tables' shape (docs/data_contract.md "Silver tables"), and their constraints.

Money is converted to the base currency with the rate used kept beside it; PII never reaches silver
(names, phone, national id, address and email are dropped, birth date becomes birth year, phone
numbers and emails in interaction text are masked).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F  # noqa: N812
from pyspark.sql.types import StructType

from crm_mining.ingest.validate import Rules, fx_map

METADATA = ("batch_id", "source_file", "ingested_at")
EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
PHONE = r"\+?\d[\d ().-]{6,}\d"


@dataclass(frozen=True)
class SilverSpec:
    ddl: str  # columns before the metadata columns
    not_null: tuple[str, ...]
    checks: dict[str, str] = field(default_factory=dict)
    # Parent columns the silver row takes from its parent table (see Source.parent).
    parent_columns: tuple[str, ...] = ()


SILVER: dict[str, SilverSpec] = {
    "products": SilverSpec(
        ("product_code string, product_name string, category string, is_credit boolean"), ("product_code",)
    ),
    "customers": SilverSpec(
        (
            "customer_id string, birth_year int, gender string, marital_status string, "
            "occupation string, education string, region string, income_band string, "
            "join_date date"
        ),
        ("customer_id", "join_date"),
    ),
    "accounts": SilverSpec(
        (
            "account_id string, customer_id string, product_code string, open_date date, "
            "close_date date, status string, credit_limit_base double, currency string"
        ),
        ("account_id", "customer_id", "product_code", "open_date"),
        {"credit_limit_not_negative": "credit_limit_base IS NULL OR credit_limit_base >= 0"},
    ),
    "balances": SilverSpec(
        (
            "account_id string, customer_id string, product_code string, month_end date, "
            "balance_base double, credit_limit_base double"
        ),
        ("account_id", "customer_id", "month_end", "balance_base"),
        {},
        ("product_code",),
    ),
    "transactions": SilverSpec(
        (
            "txn_id string, account_id string, customer_id string, txn_ts timestamp, "
            "txn_date date, txn_month date, amount double, currency string, fx_rate double, "
            "amount_base double, direction string, channel string, merchant_category string, "
            "product_code string"
        ),
        ("txn_id", "account_id", "customer_id", "txn_ts", "txn_date", "txn_month", "amount_base"),
        {
            "amount_positive": "amount > 0",
            "amount_base_positive": "amount_base > 0",
            "fx_rate_positive": "fx_rate > 0",
            "txn_month_first_day": "day(txn_month) = 1",
        },
        ("product_code",),
    ),
    "repayments": SilverSpec(
        (
            "account_id string, customer_id string, product_code string, month_end date, "
            "amount_due_base double, amount_paid_base double, days_past_due int"
        ),
        ("account_id", "customer_id", "month_end"),
        {
            "days_past_due_not_negative": "days_past_due >= 0",
            "amounts_not_negative": "amount_due_base >= 0 AND amount_paid_base >= 0",
        },
        ("product_code", "currency"),
    ),
    "interactions": SilverSpec(
        (
            "interaction_id string, customer_id string, interaction_ts timestamp, "
            "interaction_date date, kind string, channel string, text_masked string"
        ),
        ("interaction_id", "customer_id", "interaction_ts"),
    ),
}


def not_null(source: str) -> list[str]:
    return [*SILVER[source].not_null, *METADATA]


def schema(source: str) -> StructType:
    """The silver table's columns and types (nullability comes from ``not_null`` at creation)."""
    return StructType.fromDDL(
        f"{SILVER[source].ddl}, batch_id string, source_file string, ingested_at timestamp"
    )


def in_base(column: str, rate: Column) -> Column:
    return (F.col(column) * rate).alias(f"{column}_base")


def mask_pii(text: Column) -> Column:
    """Replace emails and phone-number-like digit runs with placeholders."""
    return F.regexp_replace(F.regexp_replace(text, EMAIL, "[email]"), PHONE, "[phone]")


def conformed(df: DataFrame, source: str, rules: Rules) -> DataFrame:
    """Typed valid records of ``source`` -> rows of ``silver.<source>`` (parent columns prefixed ``parent_``)."""
    meta = [F.col(c) for c in METADATA]
    if source == "products":
        cols = [F.col("product_code"), "product_name", "category", "is_credit"]
    elif source == "customers":
        cols = [
            "customer_id",
            F.year("birth_date").alias("birth_year"),
            "gender",
            "marital_status",
            "occupation",
            "education",
            "region",
            "income_band",
            "join_date",
        ]
    elif source == "accounts":
        rate = F.element_at(fx_map(rules), F.col("currency"))
        cols = [
            "account_id",
            "customer_id",
            "product_code",
            "open_date",
            "close_date",
            "status",
            in_base("credit_limit", rate),
            "currency",
        ]
    elif source == "balances":
        rate = F.element_at(fx_map(rules), F.col("currency"))
        cols = [
            "account_id",
            "customer_id",
            F.col("parent_product_code").alias("product_code"),
            "month_end",
            in_base("balance", rate),
            in_base("credit_limit", rate),
        ]
    elif source == "transactions":
        rate = F.element_at(fx_map(rules), F.col("currency"))
        cols = [
            "txn_id",
            "account_id",
            "customer_id",
            "txn_ts",
            F.to_date("txn_ts").alias("txn_date"),
            F.trunc("txn_ts", "month").alias("txn_month"),
            "amount",
            "currency",
            rate.alias("fx_rate"),
            (F.col("amount") * rate).alias("amount_base"),
            "direction",
            "channel",
            "merchant_category",
            F.col("parent_product_code").alias("product_code"),
        ]
    elif source == "repayments":
        rate = F.element_at(fx_map(rules), F.col("parent_currency"))
        cols = [
            "account_id",
            "customer_id",
            F.col("parent_product_code").alias("product_code"),
            "month_end",
            in_base("amount_due", rate),
            in_base("amount_paid", rate),
            "days_past_due",
        ]
    elif source == "interactions":
        cols = [
            "interaction_id",
            "customer_id",
            "interaction_ts",
            F.to_date("interaction_ts").alias("interaction_date"),
            "kind",
            "channel",
            mask_pii(F.col("text")).alias("text_masked"),
        ]
    else:
        raise ValueError(f"unknown source {source}")
    shaped = df.select(*cols, *meta)
    return shaped.select(*[F.col(f.name).cast(f.dataType).alias(f.name) for f in schema(source).fields])
