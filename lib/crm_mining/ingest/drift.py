"""Bronze rows -> the contract's columns as strings, flagging malformed lines and schema drift.

Output of every ``records_from_*`` function: the source's columns (strings), ``source_file``, ``batch_id``,
``ingested_at``, ``raw`` (the record as it landed), ``malformed`` (boolean), ``drift`` (why a drifted
record is rejected, naming the column and file; null otherwise) and ``drift_merged`` (the same text when
``ingest.allow_schema_merge`` let the record through; null otherwise).

Drift rules: a file with a column the contract does not know is merged or rejected per
``allow_schema_merge``; a CSV file missing a contract column is always rejected (nothing to merge).
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F  # noqa: N812

from crm_mining.ingest.sources import Source

CORRUPT = "_corrupt_record"
BRONZE_ONLY = {"value", "source_file", "batch_id", "ingested_at", "ingest_date"}
TEXT_COLUMNS = ("value", "source_file", "batch_id", "ingested_at")


@dataclass(frozen=True)
class FileDrift:
    """How one file's columns differ from the contract."""

    file: str
    extra: tuple[str, ...]
    missing: tuple[str, ...] = ()

    def message(self) -> str:
        parts = []
        if self.extra:
            parts.append("unexpected column(s) " + ", ".join(f"'{c}'" for c in self.extra))
        if self.missing:
            parts.append("missing column(s) " + ", ".join(f"'{c}'" for c in self.missing))
        return f"{' and '.join(parts)} in file {self.file}"

    def mergeable(self, allow_schema_merge: bool) -> bool:
        return allow_schema_merge and not self.missing


def output(
    df: DataFrame, source: Source, raw: Column, malformed: Column, drift: Column, merged: Column
) -> DataFrame:
    return df.select(
        *source.columns,
        "source_file",
        "batch_id",
        "ingested_at",
        raw.alias("raw"),
        malformed.alias("malformed"),
        drift.alias("drift"),
        merged.alias("drift_merged"),
    )


def per_file(drifts: list[FileDrift], merged: bool, allow: bool) -> Column:
    """Column holding each drifted file's message (for rejected or merged files); null elsewhere."""
    result = F.lit(None).cast("string")
    for d in drifts:
        if d.mergeable(allow) == merged:
            result = F.when(F.col("source_file") == d.file, F.lit(d.message())).otherwise(result)
    return result


# -- CSV -------------------------------------------------------------------------------------------
def header_cells(line: str) -> list[str]:
    return [cell.strip().strip('"').strip().lower() for cell in line.lstrip("\ufeff").split(",")]


def is_header(source: Source) -> Column:
    """A header line: its first cell is a contract column name (a data row never has a column name as id)."""
    first = F.lower(F.trim(F.regexp_replace(F.split(F.col("value"), ",").getItem(0), '[\\x{FEFF}"]', "")))
    return first.isin(source.columns)


def csv_layouts(bronze: DataFrame, source: Source) -> dict[str, list[str]]:
    """File -> its header's column names. Collects one line per file (bounded by the number of files)."""
    rows = bronze.where(is_header(source)).select("source_file", "value").distinct().collect()
    return {row.source_file: header_cells(row.value) for row in rows}


def csv_drifts(layouts: dict[str, list[str]], source: Source) -> list[FileDrift]:
    expected = source.columns
    drifts = []
    for file, columns in sorted(layouts.items()):
        extra = tuple(c for c in columns if c not in expected)
        missing = tuple(c for c in expected if c not in columns)
        if extra or missing:
            drifts.append(FileDrift(file, extra, missing))
    return drifts


def parse_csv(value: Column, columns: list[str], source: Source) -> Column:
    """from_csv with the file's layout; returns a struct of the contract's columns plus ``_corrupt_record``."""
    schema = ", ".join(f"`{c}` string" for c in columns) + f", `{CORRUPT}` string"
    parsed = F.from_csv(value, schema, {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT})
    fields = [(parsed[c] if c in columns else F.lit(None).cast("string")).alias(c) for c in source.columns]
    return F.struct(*fields, parsed[CORRUPT].alias(CORRUPT))


def records_from_csv(bronze: DataFrame, source: Source, allow_schema_merge: bool) -> DataFrame:
    """CSV lines -> records. Header lines are not records; a row with the wrong cell count is malformed."""
    bronze = bronze.select(*TEXT_COLUMNS)
    layouts = csv_layouts(bronze, source)
    drifts = csv_drifts(layouts, source)
    parsed = parse_csv(F.col("value"), source.columns, source)
    for d in drifts:
        if d.mergeable(allow_schema_merge):  # parse the file by its own header, keep the contract's columns
            own = parse_csv(F.col("value"), layouts[d.file], source)
            parsed = F.when(F.col("source_file") == d.file, own).otherwise(parsed)
    rows = bronze.where(~is_header(source)).withColumn("_p", parsed)
    rows = rows.select("*", *[F.col("_p")[c].alias(c) for c in source.columns])
    records = output(
        rows,
        source,
        raw=F.col("value"),
        malformed=F.col("_p")[CORRUPT].isNotNull(),
        drift=per_file(drifts, merged=False, allow=allow_schema_merge),
        merged=per_file(drifts, merged=True, allow=allow_schema_merge),
    )
    return records


# -- JSON lines ------------------------------------------------------------------------------------
def records_from_json(bronze: DataFrame, source: Source, allow_schema_merge: bool) -> DataFrame:
    """JSON lines -> records. A line that is not a JSON object is malformed; unknown keys are drift."""
    bronze = bronze.select(*TEXT_COLUMNS)
    schema = ", ".join(f"`{c}` string" for c in source.columns) + f", `{CORRUPT}` string"
    parsed = F.from_json("value", schema, {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT})
    keys = F.json_object_keys("value")
    extra = F.array_except(keys, F.array(*[F.lit(c) for c in source.columns]))
    message = F.concat(
        F.lit("unexpected column(s) "),
        F.concat_ws(", ", F.transform(extra, lambda c: F.concat(F.lit("'"), c, F.lit("'")))),
        F.lit(" in file "),
        F.col("source_file"),
    )
    drifted = F.coalesce(F.size(extra) > 0, F.lit(False))
    rows = bronze.withColumn("_p", parsed).select("*", *[json_field(c, source) for c in source.columns])
    return output(
        rows,
        source,
        raw=F.col("value"),
        malformed=F.col("_p")[CORRUPT].isNotNull() | keys.isNull(),
        drift=F.when(drifted & F.lit(not allow_schema_merge), message),
        merged=F.when(drifted & F.lit(allow_schema_merge), message),
    )


def json_field(column: str, source: Source) -> Column:
    """A parsed JSON field; for a key field of a line that does not parse, the key as found in the text
    (so the quarantine's row_ref still names the record)."""
    if column not in source.key:
        return F.col("_p")[column].alias(column)
    found = F.nullif(F.regexp_extract("value", f'"{column}"\\s*:\\s*"([^"]*)"', 1), F.lit(""))
    return F.when(F.col("_p")[CORRUPT].isNull(), F.col("_p")[column]).otherwise(found).alias(column)


def drift_messages(classified: DataFrame) -> list[str]:
    """Distinct drift messages (rejected: the SCHEMA_DRIFT detail; merged: ``drift_merged``) of a classified
    batch; bounded by files x columns."""
    message = F.when(F.col("reason") == "SCHEMA_DRIFT", F.col("detail")).otherwise(F.col("drift_merged"))
    rows = classified.select(message.alias("m")).where(F.col("m").isNotNull()).distinct().collect()
    return sorted(row.m for row in rows)


# -- Parquet ---------------------------------------------------------------------------------------
def records_from_parquet(bronze: DataFrame, source: Source, allow_schema_merge: bool) -> DataFrame:
    """Parquet rows (string columns) -> records. A non-null value in a column the contract lacks is drift."""
    extras = [c for c in bronze.columns if c not in source.columns and c not in BRONZE_ONLY]
    missing = [c for c in source.columns if c not in bronze.columns]
    rows = bronze.select(*bronze.columns, *[F.lit(None).cast("string").alias(c) for c in missing])
    present = F.array_compact(
        F.array(*[F.when(F.col(f"`{c}`").isNotNull(), F.lit(f"'{c}'")) for c in extras])
    )
    drifted = F.size(present) > 0 if extras else F.lit(False)
    message = F.concat(
        F.lit("unexpected column(s) "), F.concat_ws(", ", present), F.lit(" in file "), F.col("source_file")
    )
    raw_columns = [F.col(f"`{c}`") for c in source.columns + extras]
    return output(
        rows,
        source,
        raw=F.to_json(F.struct(*raw_columns)),
        malformed=F.lit(False),
        drift=F.when(drifted & F.lit(not allow_schema_merge), message),
        merged=F.when(drifted & F.lit(allow_schema_merge), message),
    )
