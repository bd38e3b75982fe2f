"""Valid records -> the silver tables' shape (docs/data_contract.md "Silver tables"), and their constraints.

Each source has its spec (DDL, constraints) and one small function that derives its silver columns.
Money is converted to the base currency with the rate used kept beside it; PII never reaches silver:
the columns the landing contract marks PII are dropped before anything else, the birth date becomes the
birth year, and phone numbers and emails in interaction text are masked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F  # noqa: N812
from pyspark.sql.types import StructType

from crm_mining import landing
from crm_mining.ingest.validate import Rules, fx_rate
from crm_mining.pii import mask_pii

METADATA = ("batch_id", "source_file", "ingested_at")


Derivation = Callable[[DataFrame, Rules], DataFrame]


def same_columns(df: DataFrame, rules: Rules) -> DataFrame:
    return df


@dataclass(frozen=True)
class SilverSpec:
    ddl: str  # columns before the metadata columns
    not_null: tuple[str, ...]
    checks: dict[str, str] = field(default_factory=dict)
    # Parent columns the silver row takes from its parent table (see Source.parent).
    parent_columns: tuple[str, ...] = ()
    # Adds the silver columns a source derives (base-currency money, dates, masks); the landing
    # columns pass through by name. Runs after the contract's PII columns are dropped.
    derive: Derivation = same_columns


def rate_of(currency: str, rules: Rules) -> Column:
    """Units of base currency per unit of the currency in column ``currency``."""
    return fx_rate(rules, F.col(currency))


def in_base(column: str, rate: Column) -> Column:
    return F.col(column) * rate


def customers_silver(df: DataFrame, rules: Rules) -> DataFrame:
    # The birth date identifies a person too well for silver; the year is enough for age bands.
    return df.withColumn("birth_year", F.year("birth_date"))


def accounts_silver(df: DataFrame, rules: Rules) -> DataFrame:
    return df.withColumn("credit_limit_base", in_base("credit_limit", rate_of("currency", rules)))


def balances_silver(df: DataFrame, rules: Rules) -> DataFrame:
    rate = rate_of("currency", rules)
    return df.withColumns(
        {
            "product_code": F.col("parent_product_code"),
            "balance_base": in_base("balance", rate),
            "credit_limit_base": in_base("credit_limit", rate),
        }
    )


def transactions_silver(df: DataFrame, rules: Rules) -> DataFrame:
    rate = rate_of("currency", rules)
    return df.withColumns(
        {
            "txn_date": F.to_date("txn_ts"),
            "txn_month": F.trunc("txn_ts", "month"),
            "fx_rate": rate,
            "amount_base": F.col("amount") * rate,
            "product_code": F.col("parent_product_code"),
        }
    )


def repayments_silver(df: DataFrame, rules: Rules) -> DataFrame:
    # Repayments carry no currency of their own: they are in their account's currency.
    rate = rate_of("parent_currency", rules)
    return df.withColumns(
        {
            "product_code": F.col("parent_product_code"),
            "amount_due_base": in_base("amount_due", rate),
            "amount_paid_base": in_base("amount_paid", rate),
        }
    )


def interactions_silver(df: DataFrame, rules: Rules) -> DataFrame:
    return df.withColumns(
        {"interaction_date": F.to_date("interaction_ts"), "text_masked": mask_pii(F.col("text"))}
    )


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
        derive=customers_silver,
    ),
    "accounts": SilverSpec(
        (
            "account_id string, customer_id string, product_code string, open_date date, "
            "close_date date, status string, credit_limit_base double, currency string"
        ),
        ("account_id", "customer_id", "product_code", "open_date"),
        {"credit_limit_not_negative": "credit_limit_base IS NULL OR credit_limit_base >= 0"},
        derive=accounts_silver,
    ),
    "balances": SilverSpec(
        (
            "account_id string, customer_id string, product_code string, month_end date, "
            "balance_base double, credit_limit_base double"
        ),
        ("account_id", "customer_id", "month_end", "balance_base"),
        {},
        ("product_code",),
        derive=balances_silver,
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
        derive=transactions_silver,
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
        derive=repayments_silver,
    ),
    "interactions": SilverSpec(
        (
            "interaction_id string, customer_id string, interaction_ts timestamp, "
            "interaction_date date, kind string, channel string, text_masked string"
        ),
        ("interaction_id", "customer_id", "interaction_ts"),
        derive=interactions_silver,
    ),
}


def not_null(source: str) -> list[str]:
    return [*SILVER[source].not_null, *METADATA]


def schema(source: str) -> StructType:
    """The silver table's columns and types (nullability comes from ``not_null`` at creation)."""
    return StructType.fromDDL(
        f"{SILVER[source].ddl}, batch_id string, source_file string, ingested_at timestamp"
    )


def conformed(df: DataFrame, source: str, rules: Rules) -> DataFrame:
    """Typed valid records of ``source`` -> rows of ``silver.<source>`` (parent columns prefixed ``parent_``).

    The contract's PII columns are dropped first, so no derivation can carry them into silver.
    """
    public = df.drop(*landing.source(source).pii_columns)
    derived = SILVER[source].derive(public, rules)
    return derived.select(*[F.col(f.name).cast(f.dataType).alias(f.name) for f in schema(source).fields])
