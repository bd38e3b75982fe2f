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
from pyspark.sql.types import DateType, DoubleType, TimestampType

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


def as_strings(df: DataFrame, columns: list[str]) -> dict[str, Column]:
    """Each column as its landing text: dates yyyy-MM-dd, timestamps yyyy-MM-dd HH:mm:ss, money 2 decimals."""
    types = {f.name: f.dataType for f in df.schema.fields}
    out = {}
    for name in columns:
        col, kind = F.col(name), types[name]
        if isinstance(kind, TimestampType):
            out[name] = F.date_format(col, "yyyy-MM-dd HH:mm:ss")
        elif isinstance(kind, DateType):
            out[name] = F.date_format(col, "yyyy-MM-dd")
        elif isinstance(kind, DoubleType):
            out[name] = F.when(col.isNotNull(), F.format_string("%.2f", col))
        else:
            out[name] = col.cast("string")
    return out


def serialise(df: DataFrame, spec: SourceSpec) -> DataFrame:
    """Add ``line`` (CSV or JSON text of the landing columns) and ``record_key`` to ``df``."""
    text = as_strings(df, spec.columns)
    if spec.kind == "csv":
        line = F.concat_ws(",", *[F.coalesce(text[c], F.lit("")) for c in spec.columns])
    elif spec.kind == "parquet":  # every Parquet column is a string; its raw form is that row as JSON
        line = F.to_json(F.struct(*[text[c].alias(c) for c in spec.columns]), {"ignoreNullFields": "false"})
    else:  # json: numbers stay numbers, dates and timestamps as text
        types = {f.name: f.dataType for f in df.schema.fields}
        fields = [
            (text[c] if isinstance(types[c], DateType | TimestampType) else F.col(c)).alias(c)
            for c in spec.columns
        ]
        line = F.to_json(F.struct(*fields), {"ignoreNullFields": "false"})
    key_parts = [text[c] for c in spec.key]
    any_null = F.lit(False)
    for part in key_parts:
        any_null = any_null | part.isNull()
    record_key = F.when(any_null, line).otherwise(F.concat_ws("|", *key_parts))
    return df.withColumn("line", line).withColumn("record_key", record_key)


def apply_fault(df: DataFrame, spec: SourceSpec, reason: str, seed: int) -> DataFrame:
    """Apply the single fault ``reason`` to every row of ``df`` (typed landing columns)."""
    roles = spec.roles
    key = spec.key[0]
    fresh = spec.extra_rows and reason not in ("DUPLICATE", "MISSING_ID")
    if fresh:  # a new record with a key nobody references
        df = df.withColumn(key, F.concat(F.col(key).cast("string"), F.lit("X")))
    u = uniform(seed, "fault-" + reason, F.col(key).cast("string"))
    if reason == "BAD_NUMBER":
        col = roles["number"]
        df = df.withColumn(col, F.concat(F.format_string("%.2f", F.col(col)), F.lit("EUR")))
    elif reason == "BAD_DATE":
        col = roles["date"]
        df = df.withColumn(col, F.date_format(F.col(col), "dd/MM/yyyy"))
    elif reason == "FUTURE_DATE":
        col = roles["date"]
        pattern = (
            "yyyy-MM-dd HH:mm:ss" if isinstance(df.schema[col].dataType, TimestampType) else "yyyy-MM-dd"
        )
        df = df.withColumn(
            col, F.concat(F.lit(FUTURE_YEAR), F.substring(F.date_format(F.col(col), pattern), 5, 100))
        )
    elif reason == "DATE_TOO_OLD":
        col = roles["date"]
        pattern = (
            "yyyy-MM-dd HH:mm:ss" if isinstance(df.schema[col].dataType, TimestampType) else "yyyy-MM-dd"
        )
        df = df.withColumn(
            col, F.concat(F.lit("1800"), F.substring(F.date_format(F.col(col), pattern), 5, 100))
        )
    elif reason == "MISSING_ID":
        col = roles["id"]
        df = df.withColumn(col, F.lit(None).cast("string"))
    elif reason == "ORPHAN":
        col = roles["orphan"]
        df = df.withColumn(col, F.concat(F.lit("X"), F.col(col)))
    elif reason == "NEGATIVE_AMOUNT":
        col = roles["amount"]
        df = df.withColumn(col, -F.abs(F.col(col)) - F.lit(0.01))
    elif reason == "ABSURD_AMOUNT":
        df = df.withColumn(roles["amount"], F.lit(ABSURD_AMOUNT))
    elif reason == "UNKNOWN_CODE":
        df = df.withColumn(roles["code"], F.lit(spec.unknown_code))
    elif reason == "NEAR_DUPLICATE":
        ts = roles["timestamp"]
        df = df.withColumn(key, F.concat(F.col(key), F.lit("N"))).withColumn(
            ts, F.timestamp_seconds(F.unix_timestamp(F.col(ts)) + 1 + (u * 58).cast("int"))
        )
    elif reason not in ("DUPLICATE", "MALFORMED_ROW"):
        raise ValueError(f"no fault for reason {reason}")
    return df


def malformed(line: Column, kind: str, u: Column) -> Column:
    """A line with the wrong field count (CSV: one extra or one missing field) or cut JSON."""
    if kind == "csv":
        return F.when(u < 0.5, F.concat(line, F.lit(",EXTRA"))).otherwise(
            F.regexp_replace(line, ",[^,]*$", "")
        )
    return F.expr("substring(line, 1, length(line) - 1)")  # JSON without its closing brace


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
    bad_parts = []
    for reason in spec.reasons:
        part = apply_fault(selected.where(F.col("reason") == reason), spec, reason, seed)
        text = as_strings(part, spec.columns)
        part = serialise(part, spec)
        if reason == "MALFORMED_ROW":
            u = uniform(seed, "malformed", F.col("record_key"))
            part = part.withColumn("line", malformed(F.col("line"), spec.kind, u))
        bad_parts.append(
            part.select("file", "reason", "record_key", "line", *[text[c].alias(c) for c in spec.columns])
        )
    bad = bad_parts[0]
    for part in bad_parts[1:]:
        bad = bad.unionByName(part)
    truth = bad.select(
        F.lit(spec.name).alias("source"), "record_key", "file", "reason", F.col("line").alias("raw")
    )
    return good, bad, truth, selected
