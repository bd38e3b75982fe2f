"""Injected bad records: each one has exactly one fault and one reason code, recorded as truth.

Dimension sources (customers, accounts) get *extra* faulty rows with fresh keys (so no good
record is lost and nothing cascades into orphans); fact sources (transactions, balances,
repayments, interactions) have the selected record *replaced* by its faulty version. DUPLICATE
(exact copy) and NEAR_DUPLICATE (new txn id, same account and amount, 1-58 s later) are always
added next to the original. A share ``bad_record_rate`` of each source's records is selected by
hash, and the ``len(reasons)`` records with the smallest draw are forced to one reason each, so
every reason appears even in a tiny lake.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F  # noqa: N812 (the project convention)
from pyspark.sql.types import DataType, DateType, DoubleType, StringType, TimestampType

from crm_mining.generate.randomness import uniform

ADDED = ("DUPLICATE", "NEAR_DUPLICATE")
ABSURD_AMOUNT = 987654321.0
FUTURE_YEAR = "2096"  # a leap year, so 29 February stays a valid date


@dataclass(frozen=True)
class SourceSpec:
    """How one landing source is serialised and which faults it receives.

    roles: column per fault role: number, date, id (MISSING_ID), orphan, amount, code, timestamp.
    """

    name: str
    kind: str  # csv | json | parquet
    columns: list[str]
    key: list[str]
    reasons: list[str]
    extra_rows: bool = False
    roles: dict[str, str] = field(default_factory=dict)
    unknown_code: str = "UNKNOWN"


def as_text(col: Column, kind: DataType) -> Column:
    """A value as its landing text: dates yyyy-MM-dd, timestamps yyyy-MM-dd HH:mm:ss, money 2 decimals."""
    if isinstance(kind, TimestampType):
        return F.date_format(col, "yyyy-MM-dd HH:mm:ss")
    if isinstance(kind, DateType):
        return F.date_format(col, "yyyy-MM-dd")
    if isinstance(kind, DoubleType):
        return F.when(col.isNotNull(), F.format_string("%.2f", col))
    return col.cast("string")


def as_strings(df: DataFrame, columns: list[str]) -> dict[str, Column]:
    """Each column of ``df`` as its landing text (``as_text``)."""
    types = {f.name: f.dataType for f in df.schema.fields}
    return {name: as_text(F.col(name), types[name]) for name in columns}


@dataclass(frozen=True)
class Value:
    """One landing column of a record: its value and type (for JSON), and its landing text."""

    col: Column
    kind: DataType
    text: Column


def typed(col: Column, kind: DataType) -> Value:
    return Value(col, kind, as_text(col, kind))


def text_value(col: Column) -> Value:
    """A value a fault turned into text: it lands as that text, quoted in JSON."""
    return Value(col, StringType(), col)


def line_of(values: dict[str, Value], spec: SourceSpec) -> Column:
    """The record as one CSV or JSON line (Parquet's raw form: the row as JSON of its texts)."""
    if spec.kind == "csv":
        return F.concat_ws(",", *[F.coalesce(values[c].text, F.lit("")) for c in spec.columns])
    if spec.kind == "parquet":  # every Parquet column is a string; its raw form is that row as JSON
        fields = [values[c].text.alias(c) for c in spec.columns]
    else:  # json: numbers stay numbers, dates and timestamps as text
        fields = [
            (values[c].text if isinstance(values[c].kind, DateType | TimestampType) else values[c].col).alias(
                c
            )
            for c in spec.columns
        ]
    return F.to_json(F.struct(*fields), {"ignoreNullFields": "false"})


def record_key_of(values: dict[str, Value], spec: SourceSpec, line: Column) -> Column:
    """The key columns' texts joined by ``|``; the whole line when a key column is missing."""
    key_parts = [values[c].text for c in spec.key]
    any_null = F.lit(False)
    for part in key_parts:
        any_null = any_null | part.isNull()
    return F.when(any_null, line).otherwise(F.concat_ws("|", *key_parts))


def serialise(df: DataFrame, spec: SourceSpec) -> DataFrame:
    """Add ``line`` (CSV or JSON text of the landing columns) and ``record_key`` to ``df``."""
    types = {f.name: f.dataType for f in df.schema.fields}
    values = {c: typed(F.col(c), types[c]) for c in spec.columns}
    line = line_of(values, spec)
    return df.withColumn("line", line).withColumn("record_key", record_key_of(values, spec, line))


def faulted(values: dict[str, Value], spec: SourceSpec, reason: str, seed: int) -> dict[str, Value]:
    """The record's landing columns with the single fault ``reason`` applied (``values``: as it was)."""
    roles, key = spec.roles, spec.key[0]
    out = dict(values)
    if spec.extra_rows and reason not in ("DUPLICATE", "MISSING_ID"):  # a new record nobody references
        out[key] = text_value(F.concat(values[key].col.cast("string"), F.lit("X")))
    if reason == "BAD_NUMBER":
        col = roles["number"]
        out[col] = text_value(F.concat(F.format_string("%.2f", values[col].col), F.lit("EUR")))
    elif reason == "BAD_DATE":
        col = roles["date"]
        out[col] = text_value(F.date_format(values[col].col, "dd/MM/yyyy"))
    elif reason in ("FUTURE_DATE", "DATE_TOO_OLD"):
        col = roles["date"]
        year = FUTURE_YEAR if reason == "FUTURE_DATE" else "1800"
        out[col] = text_value(F.concat(F.lit(year), F.substring(values[col].text, 5, 100)))
    elif reason == "MISSING_ID":
        out[roles["id"]] = text_value(F.lit(None).cast("string"))
    elif reason == "ORPHAN":
        col = roles["orphan"]
        out[col] = text_value(F.concat(F.lit("X"), values[col].col))
    elif reason == "NEGATIVE_AMOUNT":
        col = roles["amount"]
        out[col] = typed(-F.abs(values[col].col) - F.lit(0.01), values[col].kind)
    elif reason == "ABSURD_AMOUNT":
        out[roles["amount"]] = typed(F.lit(ABSURD_AMOUNT), DoubleType())
    elif reason == "UNKNOWN_CODE":
        out[roles["code"]] = text_value(F.lit(spec.unknown_code))
    elif reason == "NEAR_DUPLICATE":
        ts = roles["timestamp"]
        out[key] = text_value(F.concat(out[key].col, F.lit("N")))
        u = uniform(seed, "fault-" + reason, out[key].col)  # the new record's own key draws its delay
        shifted = F.timestamp_seconds(F.unix_timestamp(values[ts].col) + 1 + (u * 58).cast("int"))
        out[ts] = typed(shifted, TimestampType())
    elif reason not in ("DUPLICATE", "MALFORMED_ROW"):
        raise ValueError(f"no fault for reason {reason}")
    return out


def malformed(line: Column, kind: str, u: Column) -> Column:
    """A line with the wrong field count (CSV: one extra or one missing field) or cut JSON."""
    if kind == "csv":
        return F.when(u < 0.5, F.concat(line, F.lit(",EXTRA"))).otherwise(
            F.regexp_replace(line, ",[^,]*$", "")
        )
    return line.substr(F.lit(1), F.length(line) - 1)  # JSON without its closing brace


def natural_key(spec: SourceSpec) -> Column:
    return F.concat_ws("|", *[F.col(c).cast("string") for c in spec.key])


def bad_draw(spec: SourceSpec, seed: int) -> Column:
    return uniform(seed, "bad-" + spec.name, natural_key(spec))


def forced_keys(sources: dict[str, tuple[DataFrame, SourceSpec]], seed: int) -> dict[str, list[str]]:
    """Per source, the keys of the ``len(reasons)`` records with the smallest bad-record draw.

    One Spark job over all sources, pre-filtered to small draws; a source with too few candidates
    falls back to a job of its own. The driver reads at most sum(len(reasons)) rows.
    """
    cutoff = 0.05
    parts = [
        df.select(
            F.lit(name).alias("source"), natural_key(spec).alias("key"), bad_draw(spec, seed).alias("u")
        )
        for name, (df, spec) in sources.items()
    ]
    union = parts[0]
    for part in parts[1:]:
        union = union.unionByName(part)
    rank = F.row_number().over(Window.partitionBy("source").orderBy("u", "key"))
    rows = union.where(F.col("u") < cutoff).withColumn("rank", rank).where(F.col("rank") <= 11).collect()
    found: dict[str, list[tuple[float, str]]] = {name: [] for name in sources}
    for row in rows:
        found[row["source"]].append((row["u"], row["key"]))
    forced = {}
    for name, (df, spec) in sources.items():
        k = len(spec.reasons)
        candidates = sorted(found[name])
        if len(candidates) < k:
            draws = df.select(natural_key(spec).alias("key"), bad_draw(spec, seed).alias("u"))
            candidates = [(r["u"], r["key"]) for r in draws.orderBy("u", "key").limit(k).collect()]
        forced[name] = [key for _, key in candidates[:k]]
    return forced


def with_reasons(
    records: DataFrame, spec: SourceSpec, seed: int, rate: float, forced: list[str]
) -> DataFrame:
    """Add ``reason`` (null = stays good): hashed selection plus the forced records, one per reason."""
    draws = records.withColumn("_key", natural_key(spec)).withColumn("_u", bad_draw(spec, seed))
    reason_at = F.element_at(
        F.array(*[F.lit(r) for r in spec.reasons]),
        (uniform(seed, "bad-reason-" + spec.name, F.col("_key")) * len(spec.reasons)).cast("int") + 1,
    )
    reason = None
    for i, key in enumerate(forced):
        hit = F.col("_key") == key
        reason = (
            F.when(hit, F.lit(spec.reasons[i]))
            if reason is None
            else reason.when(hit, F.lit(spec.reasons[i]))
        )
    chosen = F.when(F.col("_u") < rate, reason_at)
    reason = chosen if reason is None else reason.otherwise(chosen)
    return draws.withColumn("reason", reason).drop("_u", "_key")


def inject(
    records: DataFrame, spec: SourceSpec, seed: int, rate: float, forced: list[str]
) -> tuple[DataFrame, DataFrame, DataFrame, DataFrame]:
    """Split ``records`` (typed landing columns + ``file``) into what lands and the truth.

    Returns (good rows that land unchanged, bad rows: file, reason, record_key, line and the landing
    columns as text, truth rows, the cached selection to unpersist when done). The selection is small
    (rate x records + len(reasons)); it is cached while the faults apply.
    """
    flagged = with_reasons(records, spec, seed, rate, forced)
    keep = F.col("reason").isNull() | F.col("reason").isin(*ADDED) | F.lit(spec.extra_rows)
    good = flagged.where(keep).drop("reason")
    selected = flagged.where(F.col("reason").isNotNull()).persist()
    bad = selected.select(*faulted_columns(selected, spec, seed))
    truth = bad.select(
        F.lit(spec.name).alias("source"), "record_key", "file", "reason", F.col("line").alias("raw")
    )
    return good, bad, truth, selected


def faulted_columns(selected: DataFrame, spec: SourceSpec, seed: int) -> list[Column]:
    """file, reason, record_key, line and the landing columns as text, each record with its own fault.

    One projection whose columns choose by ``reason`` (a branch of the plan per reason made the plan,
    its planning and its generated code grow with the reasons).
    """
    types = {f.name: f.dataType for f in selected.schema.fields}
    values = {c: typed(F.col(c), types[c]) for c in spec.columns}
    cases: dict[str, Column | None] = dict.fromkeys(["record_key", "line", *spec.columns])
    for reason in spec.reasons:
        out = faulted(values, spec, reason, seed)
        line = line_of(out, spec)
        record_key = record_key_of(out, spec, line)
        if reason == "MALFORMED_ROW":
            line = malformed(line, spec.kind, uniform(seed, "malformed", record_key))
        chosen = {"record_key": record_key, "line": line, **{c: out[c].text for c in spec.columns}}
        hit = F.col("reason") == reason
        for name, value in chosen.items():
            cases[name] = F.when(hit, value) if cases[name] is None else cases[name].when(hit, value)
    return [F.col("file"), F.col("reason"), *[case.alias(name) for name, case in cases.items()]]
