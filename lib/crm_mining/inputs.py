"""The one canonical transaction input for the mining stages (features, RFM, lifecycle, customer value).

``load_transactions(spark, config)`` returns transactions in one shape whatever the source:

- ``input.source: lake`` (default) reads ``silver.transactions``;
- ``delta_table`` / ``delta_path`` / ``parquet`` / ``csv`` read a user's own data at ``input.location``,
  renaming the user's columns through ``input.columns`` (logical name -> user's column; a logical name
  left out is looked up under its own name).

Output columns (``TRANSACTION_SCHEMA``):

- ``customer_id`` string, ``txn_ts`` timestamp (UTC), ``txn_date`` date,
- ``amount_base`` double, > 0 (the absolute value of the source amount; base currency in the lake,
  the user's own currency otherwise); 0 only with ``input.keep_zero_amounts: true``,
- ``direction`` string, DEBIT (money out, spend) or CREDIT (money in). Rules: a direction column wins
  (DEBIT/D/DR/OUT/WITHDRAWAL -> DEBIT, CREDIT/C/CR/IN/DEPOSIT -> CREDIT, case-insensitive); without one (or
  where it is null), ``input.signed_amounts: true`` maps a negative amount to DEBIT and a positive one to
  CREDIT, and the default (``false``) makes every row DEBIT (a spend-only extract),
- plus ``txn_id``, ``account_id``, ``channel``, ``merchant_category``, ``product_code`` (strings) only when the source
  has them: ``optional_columns(df)`` / ``available_inputs(...)`` say which are there.

Rows that cannot be used (no customer id, unparsable timestamp or amount, zero amount unless
``input.keep_zero_amounts``, unknown direction)
are never dropped silently: ``load_transactions`` leaves them out, ``rejected_transactions`` returns them
with a ``reason`` (MISSING_ID, BAD_DATE, BAD_NUMBER, UNKNOWN_CODE) so jobs can count and log them.
"""

from __future__ import annotations

import logging

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 (the project convention)
from pyspark.sql.types import DateType, NumericType, StringType, TimestampNTZType, TimestampType

from crm_mining import CrmMiningError
from crm_mining.config import Config
from crm_mining.config.features import OPTIONAL_INPUT_COLUMNS, REQUIRED_INPUT_COLUMNS
from crm_mining.tables import Lake

log = logging.getLogger(__name__)

CORE_COLUMNS = ("customer_id", "txn_ts", "txn_date", "amount_base", "direction")
# Optional output columns, in output order (``direction`` is always present in the output).
OPTIONAL_COLUMNS = ("txn_id", "account_id", "channel", "merchant_category", "product_code")
# Lake tables the mining stages use when they exist; each one missing only removes the features needing it.
LAKE_INPUTS = (
    "silver.customers",
    "silver.accounts",
    "silver.balances",
    "silver.repayments",
    "silver.interactions",
    "gold.interaction_insights",
)

DEBIT_WORDS = ("DEBIT", "D", "DR", "DEB", "OUT", "WITHDRAWAL", "SPEND")
CREDIT_WORDS = ("CREDIT", "C", "CR", "CRED", "IN", "DEPOSIT")


class InputError(CrmMiningError):
    """The configured transaction input cannot be read or lacks a required column."""


def load_transactions(spark: SparkSession, config: Config) -> DataFrame:
    """Usable transactions in the canonical shape (see the module docstring); invalid rows left out."""
    typed = typed_transactions(spark, config)
    keep = [c for c in typed.columns if c != "reject_reason"]
    return typed.where(F.col("reject_reason").isNull()).select(*keep)


def rejected_transactions(spark: SparkSession, config: Config) -> DataFrame:
    """Source rows ``load_transactions`` leaves out, with ``reject_reason`` (MISSING_ID, BAD_DATE, ...)."""
    return typed_transactions(spark, config).where(F.col("reject_reason").isNotNull())


def optional_columns(transactions: DataFrame) -> list[str]:
    """The optional columns (txn_id, account_id, channel, merchant_category, product_code) present in ``transactions``."""
    return [c for c in OPTIONAL_COLUMNS if c in transactions.columns]


def available_inputs(
    spark: SparkSession, config: Config, transactions: DataFrame | None = None
) -> dict[str, bool]:
    """Which optional inputs exist: each optional transaction column and each lake table in ``LAKE_INPUTS``.

    Reads only schemas and Delta logs (no Spark job over the data).
    """
    transactions = transactions if transactions is not None else load_transactions(spark, config)
    present = set(optional_columns(transactions))
    available = {column: column in present for column in OPTIONAL_COLUMNS}
    lake = Lake(config)
    available.update({table: lake.exists(spark, table) for table in LAKE_INPUTS})
    return available


def log_missing_inputs(available: dict[str, bool], needs: dict[str, list[str]]) -> list[str]:
    """Log each missing input and the features left out because of it; return the missing input names.

    ``needs`` maps an input name (a key of ``available``) to the feature groups that need it.
    """
    missing = [name for name, ok in available.items() if not ok]
    for name in missing:
        left_out = ", ".join(needs.get(name, [])) or "nothing"
        log.warning("input '%s' is not available: leaving out %s", name, left_out)
    return missing


# -- reading and typing ------------------------------------------------------------------------------------
def typed_transactions(spark: SparkSession, config: Config) -> DataFrame:
    """All source rows in the canonical shape plus ``reject_reason`` (null for usable rows)."""
    settings = config.input
    if settings.source == "lake":
        return lake_transactions(spark, config)
    raw = read_source(spark, config)
    return map_columns(raw, config)


def lake_transactions(spark: SparkSession, config: Config) -> DataFrame:
    """silver.transactions is already validated by ingest: only select and normalise."""
    silver = Lake(config).read(spark, "silver.transactions")
    optional = [F.col(c).cast("string").alias(c) for c in OPTIONAL_COLUMNS if c in silver.columns]
    return silver.select(
        F.col("customer_id").cast("string").alias("customer_id"),
        F.col("txn_ts").cast("timestamp").alias("txn_ts"),
        F.col("txn_date").cast("date").alias("txn_date"),
        F.col("amount_base").cast("double").alias("amount_base"),
        F.coalesce(normalised_direction(F.col("direction")), F.lit("DEBIT")).alias("direction"),
        *optional,
        F.lit(None).cast("string").alias("reject_reason"),
    )


def source_name(config: Config) -> str:
    settings = config.input
    return f"input.source={settings.source} at {settings.location}"


def read_source(spark: SparkSession, config: Config) -> DataFrame:
    """Read the user's table or files as configured by ``input.source`` and ``input.location``."""
    settings = config.input
    if not settings.location:
        raise InputError(f"input.location is required when input.source is {settings.source!r}")
    return read_user_data(
        spark,
        settings.source,
        settings.location,
        settings.csv_options,
        f"transactions ({source_name(config)})",
    )


def read_user_data(
    spark: SparkSession, source: str, location: str, csv_options: dict[str, str], what: str
) -> DataFrame:
    """A user's table or files: ``source`` delta_table / delta_path / parquet / csv at ``location``.

    Raises InputError "cannot read <what>: <Spark's first line>" when Spark cannot read it.
    """
    try:
        if source == "delta_table":
            return spark.read.table(location)
        if source == "delta_path":
            return spark.read.format("delta").load(location)
        if source == "parquet":
            return spark.read.parquet(location)
        if source == "csv":
            return spark.read.options(**csv_options).csv(location)
    except Exception as exc:  # Spark's AnalysisException text names the path; keep the first line only
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot read {what}: {first_line}") from None
    raise InputError(f"unsupported source {source!r} for {what}")


def resolve_columns(raw: DataFrame, config: Config) -> dict[str, str]:
    """Logical name -> the source column that holds it; raises naming any missing required column."""
    mapping = config.input.columns
    by_lower = {c.lower(): c for c in raw.columns}
    resolved: dict[str, str] = {}
    for logical in (*REQUIRED_INPUT_COLUMNS, *OPTIONAL_INPUT_COLUMNS):
        wanted = mapping.get(logical, logical)
        actual = by_lower.get(wanted.lower())
        if actual is not None:
            resolved[logical] = actual
        elif logical in REQUIRED_INPUT_COLUMNS:
            how = (
                f"mapped by input.columns.{logical}" if logical in mapping else f"set input.columns.{logical}"
            )
            raise InputError(
                f"required column '{wanted}' (logical '{logical}', {how}) is missing from {source_name(config)}; "
                f"source columns: {', '.join(raw.columns)}"
            )
        elif logical in mapping:
            # An explicitly mapped optional column that is absent is a config mistake worth a loud warning.
            log.warning(
                "input.columns.%s = '%s' is not a column of %s; treating it as missing",
                logical,
                wanted,
                source_name(config),
            )
    return resolved


def map_columns(raw: DataFrame, config: Config) -> DataFrame:
    """Rename, type and validate the user's columns into the canonical shape (with ``reject_reason``)."""
    resolved = resolve_columns(raw, config)
    fields = {f.name: f.dataType for f in raw.schema.fields}
    source_ts = resolved["txn_ts"]
    ts = parse_timestamp(F.col(f"`{source_ts}`"), fields[source_ts], config.input.timestamp_format)
    source_amount = resolved["amount"]
    amount = parse_amount(F.col(f"`{source_amount}`"), fields[source_amount])
    customer = F.trim(F.col(f"`{resolved['customer_id']}`").cast("string"))
    customer = F.when(customer == "", None).otherwise(customer)

    given = normalised_direction(F.col(f"`{resolved['direction']}`")) if "direction" in resolved else None
    keep_zero = config.input.keep_zero_amounts
    # A kept zero amount is a purchase (DEBIT) whatever its sign convention.
    by_sign = (
        F.when((amount < 0) | (F.lit(keep_zero) & (amount == 0)), "DEBIT").otherwise("CREDIT")
        if config.input.signed_amounts
        else F.lit("DEBIT")
    )
    direction = F.coalesce(given, by_sign) if given is not None else by_sign
    unknown_direction = F.lit(False)
    if given is not None:
        raw_direction = F.col(f"`{resolved['direction']}`")
        unknown_direction = (
            raw_direction.isNotNull() & (F.trim(raw_direction.cast("string")) != "") & given.isNull()
        )

    reason = (
        F.when(customer.isNull(), "MISSING_ID")
        .when(ts.isNull(), "BAD_DATE")
        .when(amount.isNull() | (~F.lit(keep_zero) & (amount == 0)), "BAD_NUMBER")
        .when(unknown_direction, "UNKNOWN_CODE")
    )
    optional = [F.col(f"`{resolved[c]}`").cast("string").alias(c) for c in OPTIONAL_COLUMNS if c in resolved]
    return raw.select(
        customer.alias("customer_id"),
        ts.alias("txn_ts"),
        F.to_date(ts).alias("txn_date"),
        F.abs(amount).alias("amount_base"),
        direction.alias("direction"),
        *optional,
        reason.alias("reject_reason"),
    )


def parse_timestamp(column: Column, data_type, pattern: str | None) -> Column:
    """A timestamp from a timestamp, date or string column; null when unparsable (never an error)."""
    if isinstance(data_type, TimestampType | TimestampNTZType | DateType):
        return column.cast("timestamp")
    text = F.trim(column.cast("string"))
    if pattern:
        return F.try_to_timestamp(text, F.lit(pattern))
    return F.try_to_timestamp(text)


def parse_amount(column: Column, data_type) -> Column:
    """A double from a numeric or string column; null when unparsable."""
    if isinstance(data_type, NumericType):
        return column.cast("double")
    if isinstance(data_type, StringType):
        return F.trim(column).try_cast("double")
    return column.try_cast("double")


def normalised_direction(column: Column) -> Column:
    """DEBIT / CREDIT from the common spellings; null for anything else (including null)."""
    word = F.upper(F.trim(column.cast("string")))
    return F.when(word.isin(*DEBIT_WORDS), "DEBIT").when(word.isin(*CREDIT_WORDS), "CREDIT")
