"""Records (strings) -> typed, conformed records with a reason code for each one that fails.

Rules run in a fixed priority; a record gets the first reason that applies (``reason`` null = valid):
SCHEMA_DRIFT (a drifted file's rows would also look malformed), BAD_ENCODING, MALFORMED_ROW, MISSING_ID, BAD_NUMBER, BAD_DATE, UNKNOWN_CODE, NEGATIVE_AMOUNT,
ABSURD_AMOUNT, FUTURE_DATE, then DUPLICATE (key seen earlier in the batch or already in silver),
NEAR_DUPLICATE (transactions only) and ORPHAN (unknown parent account or customer).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F  # noqa: N812

from crm_mining.landing import REASON_PRECEDENCE, Field, Source
from crm_mining.pii import mask_values

DATE_FORMAT = "yyyy-MM-dd"
TIMESTAMP_FORMAT = "yyyy-MM-dd HH:mm:ss"
FLAGS = {"true": True, "false": False, "1": True, "0": False, "y": True, "n": False, "yes": True, "no": False}


@dataclass(frozen=True)
class Rules:
    """Thresholds from ``ingest`` config, fixed for one batch."""

    fx_rates: dict[str, float]
    max_amount: float  # base currency
    future_cutoff: dt.datetime  # records dated after this are FUTURE_DATE
    min_date: dt.date  # records dated before this are DATE_TOO_OLD
    near_duplicate_seconds: int


@dataclass(frozen=True)
class Check:
    reason: str
    failed: Column
    detail: Column


def typed(f: Field, raw: Column, rules: Rules) -> Column:
    """The field's typed, conformed value (null when empty or unparsable)."""
    text = F.nullif(F.trim(raw), F.lit(""))
    if f.kind in ("code", "currency"):
        return F.upper(text)
    if f.kind == "date":
        return F.to_date(F.try_to_timestamp(text, F.lit(DATE_FORMAT)))
    if f.kind == "timestamp":
        return F.try_to_timestamp(text, F.lit(TIMESTAMP_FORMAT))
    if f.kind in ("amount", "money", "number"):
        number = text.try_cast("double")
        return F.when(~F.isnan(number) & (F.abs(number) != F.lit(float("inf"))), number)
    if f.kind == "count":
        return text.try_cast("int")
    if f.kind == "flag":
        mapping = F.create_map(*[F.lit(x) for kv in FLAGS.items() for x in kv])
        return F.element_at(mapping, F.lower(text))
    return text


DETAIL_VALUE_CHARS = 200  # the whole record is in ``raw`` already: a detail quotes only the start of a value


def start_of(value: Column) -> Column:
    """``value`` cut to its first ``DETAIL_VALUE_CHARS`` characters, with "…" where it was cut."""
    cut = F.concat(F.substring(value, 1, DETAIL_VALUE_CHARS), F.lit("…"))
    return F.when(F.length(value) > DETAIL_VALUE_CHARS, cut).otherwise(value)


def bad(name: str, what: str, raw: Column) -> Column:
    return F.concat(F.lit(f"{name} {what}: '"), start_of(F.coalesce(raw, F.lit(""))), F.lit("'"))


def field_checks(f: Field, raw: Column, value: Column, rules: Rules, currency: Column) -> list[Check]:
    """The checks one field contributes; ``raw`` is the landed string, ``value`` the typed one."""
    given = F.nullif(F.trim(raw), F.lit("")).isNotNull()
    unparsed = given & value.isNull()
    absent = value.isNull() & F.lit(f.required)
    checks: list[Check] = []
    if f.kind == "id":
        checks.append(Check("MISSING_ID", value.isNull(), F.lit(f"{f.name} is empty")))
    elif f.kind in ("amount", "money", "number", "count"):
        checks.append(Check("BAD_NUMBER", unparsed | absent, bad(f.name, "is not a number", raw)))
        if f.kind == "count":
            checks.append(Check("BAD_NUMBER", value < 0, bad(f.name, "is negative", raw)))
    elif f.kind in ("date", "timestamp"):
        checks.append(Check("BAD_DATE", unparsed | absent, bad(f.name, "is not a valid date", raw)))
        cutoff = F.lit(rules.future_cutoff).cast("timestamp")
        checks.append(
            Check("FUTURE_DATE", value.cast("timestamp") > cutoff, bad(f.name, "is in the future", raw))
        )
        too_old = value.cast("date") < F.lit(rules.min_date)
        checks.append(
            Check("DATE_TOO_OLD", too_old, bad(f.name, f"is before ingest.min_date {rules.min_date}", raw))
        )
    elif f.kind == "code" and f.codes:
        checks.append(
            Check(
                "UNKNOWN_CODE",
                (value.isNotNull() & ~value.isin(*f.codes)) | absent,
                bad(f.name, "is not a known code", raw),
            )
        )
    elif f.kind == "currency":
        known = value.isin(*rules.fx_rates)
        checks.append(
            Check(
                "UNKNOWN_CODE",
                (value.isNotNull() & ~known) | absent,
                bad(f.name, "has no rate in ingest.fx_rates", raw),
            )
        )
    elif f.kind == "flag":
        checks.append(Check("UNKNOWN_CODE", unparsed, bad(f.name, "is not true/false", raw)))
    if f.kind in ("amount", "money"):
        base = value * fx_rate(rules, currency)
        # An amount must stay positive in base currency too (silver's CHECK on amount_base): a tiny
        # positive value times a rate below 1 can underflow to 0.
        too_low = (value <= 0) | (base <= 0) if f.kind == "amount" else value < 0
        checks.append(
            Check(
                "NEGATIVE_AMOUNT",
                too_low,
                bad(f.name, "is not positive" if f.kind == "amount" else "is negative", raw),
            )
        )
        checks.append(
            Check(
                "ABSURD_AMOUNT",
                base > F.lit(rules.max_amount),
                bad(f.name, f"exceeds ingest.max_amount {rules.max_amount:g}", raw),
            )
        )
    return checks


def fx_map(rules: Rules) -> Column:
    return F.create_map(*[F.lit(x) for kv in rules.fx_rates.items() for x in kv])


def fx_rate(rules: Rules, currency: Column) -> Column:
    """Units of base currency per unit of ``currency`` (null: no rate in ingest.fx_rates)."""
    return F.element_at(fx_map(rules), currency)


def first_failure(checks: list[Check]) -> Column:
    """struct(reason, detail) of the first failing check in ``REASON_PRECEDENCE`` order, or null."""
    ordered = sorted(checks, key=lambda c: REASON_PRECEDENCE.index(c.reason))
    result = F.lit(None).cast("struct<reason:string,detail:string>")
    for check in reversed(ordered):
        hit = F.struct(F.lit(check.reason).alias("reason"), check.detail.alias("detail"))
        result = F.when(F.coalesce(check.failed, F.lit(False)), hit).otherwise(result)
    return result


def with_row_checks(
    records: DataFrame, source: Source, rules: Rules, currency: str | None = None
) -> DataFrame:
    """Type every field (same names, PII dropped) and set ``reason``/``detail`` from the row-level rules.

    ``currency``: the column holding the record's currency (money fields are checked in base currency);
    defaults to the source's own ``currency`` field. Keeps ``raw``, ``source_file``, ``batch_id``,
    ``ingested_at``, ``drift_merged`` and any other non-field column (e.g. joined parent columns).
    """
    fields = [f for f in source.fields if f.kind != "pii"]
    if source.pii_columns:  # the PII fields leave here, so their values leave the raw record here too
        records = records.withColumn("raw", mask_values(F.col("raw"), [F.col(c) for c in source.pii_columns]))
    records = records.withColumn("row_ref", row_ref(source))
    flags = ("malformed", "drift", "invalid_utf8")
    others = [c for c in records.columns if c not in source.columns and c not in flags]
    # Typed values first, in their own columns: the checks then refer to them instead of parsing each
    # value again in every branch of the reason's CASE WHEN (that made this step about 8x slower).
    staged = records.select("*", *[typed(f, F.col(f.name), rules).alias(typed_name(f)) for f in fields])
    parent_currency_checks = []
    if currency:
        currency_col = F.upper(F.trim(F.col(currency)))
        # The parent's currency was checked when the parent landed, against the rates of that day: a rate
        # removed from ingest.fx_rates since would leave this row's base amounts null (silver's CHECKs).
        parent_currency_checks.append(
            Check(
                "UNKNOWN_CODE",
                currency_col.isNotNull() & fx_rate(rules, currency_col).isNull(),
                F.concat(F.lit(f"{currency} '"), currency_col, F.lit("' has no rate in ingest.fx_rates")),
            )
        )
    elif "currency" in source.columns:
        currency_col = F.col(typed_name(source.field("currency")))
    else:
        currency_col = F.lit(None)
    checks = [
        Check("SCHEMA_DRIFT", F.col("drift").isNotNull(), F.col("drift")),
        Check(
            "BAD_ENCODING",
            F.col("invalid_utf8"),
            F.lit(
                f"line is not valid UTF-8 (raw holds its bytes read as ISO-8859-1); if '{source.name}' files "
                f"come in another encoding, set ingest.encodings.{source.name}"
            ),
        ),
        Check("MALFORMED_ROW", F.col("malformed"), F.lit("line does not parse as a record of this source")),
        *parent_currency_checks,
    ]
    for f in fields:
        checks += field_checks(f, F.col(f.name), F.col(typed_name(f)), rules, currency_col)
    staged = staged.withColumn("_failure", first_failure(checks))
    return staged.select(
        *[F.col(typed_name(f)).alias(f.name) for f in fields],
        *others,
        F.col("_failure.reason").alias("reason"),
        F.col("_failure.detail").alias("detail"),
    )


def typed_name(f: Field) -> str:
    return f"_typed_{f.name}"


def row_ref(source: Source) -> Column:
    """The record's natural key as landed ('|'-joined), or the start of its raw text when a key part is
    empty (the whole record is in ``raw`` already: a 10 MB keyless line is not kept twice)."""
    parts = [F.nullif(F.trim(F.col(k)), F.lit("")) for k in source.key]
    complete = F.lit(True)
    for part in parts:
        complete = complete & part.isNotNull()
    return F.when(complete, F.concat_ws("|", *parts)).otherwise(start_of(F.col("raw")))


def mark(df: DataFrame, reason: str | Column, condition: Column, detail: Column) -> DataFrame:
    """Set ``reason`` (a code or a column holding one) on still-valid rows where ``condition`` holds."""
    hit = F.col("reason").isNull() & F.coalesce(condition, F.lit(False))
    code = F.lit(reason) if isinstance(reason, str) else reason
    return df.withColumn("detail", F.when(hit, detail).otherwise(F.col("detail"))).withColumn(
        "reason", F.when(hit, code).otherwise(F.col("reason"))
    )


def duplicate_flags(checked: DataFrame, source: Source, existing_keys: DataFrame, rules: Rules) -> DataFrame:
    """``record_id``, ``reason``, ``detail`` of the records that are DUPLICATE or NEAR_DUPLICATE.

    DUPLICATE: a record valid so far whose key is already in silver (``existing_keys``: the silver table's
    key columns) or appeared earlier in this batch; the first by (source_file, record_id), i.e. landing
    order, is kept, so a rerun picks the same survivor. NEAR_DUPLICATE (transactions): a valid transaction
    on the same account, direction, amount and currency as the previous valid one, within
    ``near_duplicate_seconds`` of it; the earlier one is kept.
    The windows run over the few columns these rules need, so the shuffles move keys, not whole records;
    the result is small (one row per flagged record).
    """
    keys = list(source.key)
    near = (
        ["account_id", "direction", "amount", "currency", "txn_ts", "txn_id"]
        if source.name == "transactions"
        else []
    )
    columns = list(dict.fromkeys(["record_id", "source_file", *keys, *near]))
    narrow = checked.where(F.col("reason").isNull()).select(*columns)
    known = existing_keys.select(*keys).distinct().withColumn("_in_silver", F.lit(True))
    narrow = narrow.join(known, on=keys, how="left")
    first = Window.partitionBy(*keys).orderBy("source_file", "record_id")
    key_text = F.concat_ws("|", *[F.col(k).cast("string") for k in keys])
    flagged = narrow.select(
        *columns,
        F.when(F.col("_in_silver"), F.concat(F.lit("key already in silver: "), key_text))
        .when(F.row_number().over(first) > 1, F.concat(F.lit("key repeated in this batch: "), key_text))
        .alias("detail"),
    ).withColumn("reason", F.when(F.col("detail").isNotNull(), F.lit("DUPLICATE")))
    if near:
        flagged = with_near_duplicates(flagged, rules)
    return flagged.where(F.col("reason").isNotNull()).select("record_id", "reason", "detail")


def with_near_duplicates(df: DataFrame, rules: Rules) -> DataFrame:
    """Mark NEAR_DUPLICATE among the rows whose ``reason`` is still null (see ``duplicate_flags``)."""
    window = Window.partitionBy(F.col("reason").isNull(), "account_id", "direction", "amount", "currency")
    window = window.orderBy("txn_ts", "txn_id")
    previous_ts = F.lag("txn_ts").over(window)
    previous_id = F.lag("txn_id").over(window)
    gap = F.col("txn_ts").cast("long") - previous_ts.cast("long")
    near = gap <= rules.near_duplicate_seconds
    detail = F.concat(
        F.lit("same account, direction and amount as "),
        previous_id,
        F.lit(" within "),
        gap.cast("string"),
        F.lit("s"),
    )
    return mark(
        df.withColumn("_near", near).withColumn("_near_detail", detail),
        "NEAR_DUPLICATE",
        F.col("_near"),
        F.col("_near_detail"),
    ).drop("_near", "_near_detail")


def with_flags(df: DataFrame, flags: DataFrame) -> DataFrame:
    """Apply ``duplicate_flags`` to the records: a broadcast join on ``record_id`` (flags are few)."""
    hits = flags.select(
        "record_id", F.col("reason").alias("_flag_reason"), F.col("detail").alias("_flag_detail")
    )
    joined = df.join(F.broadcast(hits), on="record_id", how="left")
    flagged = mark(joined, F.col("_flag_reason"), F.col("_flag_reason").isNotNull(), F.col("_flag_detail"))
    return flagged.drop("_flag_reason", "_flag_detail")


def with_orphans(df: DataFrame, source: Source) -> DataFrame:
    """ORPHAN: a valid record whose parent (``Source.parent``) is not in silver; needs ``_has_parent``."""
    if source.parent is None:
        return df
    table, column = source.parent
    detail = F.concat(F.lit(f"{column} not in {table}: "), F.col(column))
    return mark(df, "ORPHAN", ~F.col("_has_parent"), detail).drop("_has_parent")
