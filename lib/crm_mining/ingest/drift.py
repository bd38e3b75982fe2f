"""Bronze rows -> the contract's columns as strings, flagging malformed lines and schema drift.

Output of every ``records_from_*`` function: the source's columns (strings), ``source_file``, ``batch_id``,
``ingested_at``, ``record_id``, ``raw`` (the record as it landed), ``malformed`` (boolean), ``drift`` (why a drifted
record is rejected, naming the column and file; null otherwise), ``drift_merged`` (the same text when
``ingest.allow_schema_merge`` let the record through; null otherwise) and ``invalid_utf8`` (a text line
that was not valid UTF-8: validation quarantines it as BAD_ENCODING).

Drift rules: a file with a column the contract does not know is merged or rejected per
``allow_schema_merge``; a CSV file missing a contract column is always rejected (nothing to merge).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F  # noqa: N812

from crm_mining.hadoop_fs import HadoopFs
from crm_mining.ingest.bronze import batch_files
from crm_mining.landing import Source

CORRUPT = "_corrupt_record"
BRONZE_ONLY = {"value", "source_file", "batch_id", "ingested_at", "ingest_date", "record_id"}
TEXT_COLUMNS = ("value", "source_file", "batch_id", "ingested_at", "record_id")


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


def text_lines(bronze: DataFrame) -> DataFrame:
    """The bronze columns the CSV and JSON parsers use, and ``invalid_utf8`` (bronze.decoded_lines)."""
    return bronze.select(*TEXT_COLUMNS, invalid_utf8(bronze).alias("invalid_utf8"))


def invalid_utf8(df: DataFrame) -> Column:
    """Lines written before decoded_lines flagged them, and Parquet rows, have no flag: not invalid."""
    return F.coalesce(F.col("invalid_utf8"), F.lit(False)) if "invalid_utf8" in df.columns else F.lit(False)


def output(
    df: DataFrame, source: Source, raw: Column, malformed: Column, drift: Column, merged: Column
) -> DataFrame:
    return df.select(
        *source.columns,
        "source_file",
        "batch_id",
        "ingested_at",
        "record_id",
        raw.alias("raw"),
        malformed.alias("malformed"),
        drift.alias("drift"),
        merged.alias("drift_merged"),
        invalid_utf8(df).alias("invalid_utf8"),
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
    """A header line: its first cell is a contract column name (a data row never has a column name as id).

    String functions only (no regex, no array): this runs on every line of every CSV drop."""
    first = F.lower(F.trim(F.translate(F.substring_index(F.col("value"), ",", 1), '\ufeff"', "")))
    return first.isin(source.columns)


def as_source_file(uri: str) -> str:
    """A stream log's file URI as ``_metadata.file_path`` (bronze's ``source_file``) spells it: both are
    URL-encoded, but Hadoop's Path drops the empty authority of ``file:///x`` to ``file:/x``."""
    return re.sub(r"^file:///", "file:/", uri)


def csv_layouts(
    bronze: DataFrame, source: Source, landing: HadoopFs, files: list[str] | None = None
) -> dict[str, list[str]]:
    """File -> its header's column names, from the first line of each landing file of the batch.

    One line per file, read on the driver, instead of scanning every line of the batch for headers.
    ``files``: the batch's files as its stream planned them (saves a scan of the batch for its files)."""
    layouts = {}
    for file in sorted(as_source_file(f) for f in files) if files else batch_files(bronze):
        line = (
            landing.first_line(file) if landing.uri_exists(file) else header_in_bronze(bronze, file, source)
        )
        if line is not None and header_cells(line)[0] in source.columns:
            layouts[file] = header_cells(line)
    return layouts


def header_in_bronze(bronze: DataFrame, file: str, source: Source) -> str | None:
    """The header line of a file that left the landing zone after bronze took its lines (a retention
    clean-up, or a file removed after a crash between the bronze and silver commits): bronze kept it.
    Only for such files: it scans the batch's lines."""
    lines = bronze.where((F.col("source_file") == file) & is_header(source))
    first = lines.orderBy("record_id").select("value").first()
    return None if first is None else first.value


def csv_drifts(layouts: dict[str, list[str]], source: Source) -> list[FileDrift]:
    expected = source.columns
    drifts = []
    for file, columns in sorted(layouts.items()):
        extra = tuple(c for c in columns if c not in expected)
        missing = tuple(c for c in expected if c not in columns)
        if extra or missing:
            drifts.append(FileDrift(file, extra, missing))
    return drifts


def parse_csv(value: Column, columns: list[str]) -> Column:
    """from_csv with a file's layout: a struct of ``columns`` plus ``_corrupt_record``."""
    schema = ", ".join(f"`{c}` string" for c in columns) + f", `{CORRUPT}` string"
    return F.from_csv(value, schema, {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT})


def records_from_csv(
    bronze: DataFrame,
    source: Source,
    allow_schema_merge: bool,
    landing: HadoopFs,
    files: list[str] | None = None,
) -> DataFrame:
    """CSV lines -> records. Header lines are not records; a row with the wrong cell count, or a blank line,
    is malformed.

    Each line is parsed once into ``_p`` (contract layout) and, for a drifted file whose new columns may be
    merged, once more by its own header into ``_p<i>``; fields are then taken from the matching struct.
    """
    bronze = text_lines(bronze)
    layouts = csv_layouts(bronze, source, landing, files)
    drifts = csv_drifts(layouts, source)
    merged = [d for d in drifts if d.mergeable(allow_schema_merge)]
    parsed = [parse_csv(F.col("value"), source.columns).alias("_p")]
    parsed += [
        F.when(F.col("source_file") == d.file, parse_csv(F.col("value"), layouts[d.file])).alias(f"_p{i}")
        for i, d in enumerate(merged)
    ]
    rows = bronze.where(~is_header(source)).select("*", *parsed)

    def cell(column: str) -> Column:
        result = F.col("_p")[column]
        for i, d in enumerate(merged):
            own = F.col(f"_p{i}")[column] if column in layouts[d.file] else F.lit(None).cast("string")
            result = F.when(F.col("source_file") == d.file, own).otherwise(result)
        return result

    rows = rows.select("*", *[cell(c).alias(c) for c in source.columns])
    return output(
        rows,
        source,
        raw=F.col("value"),
        # from_csv reads a blank line as a record of nulls, not as a corrupt one: it holds no cells at all
        malformed=cell(CORRUPT).isNotNull() | (F.col("value") == ""),
        drift=per_file(drifts, merged=False, allow=allow_schema_merge),
        merged=per_file(drifts, merged=True, allow=allow_schema_merge),
    )


# -- JSON lines ------------------------------------------------------------------------------------
def records_from_json(bronze: DataFrame, source: Source, allow_schema_merge: bool) -> DataFrame:
    """JSON lines -> records. A line that is not a JSON object is malformed; unknown keys are drift."""
    bronze = text_lines(bronze)
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
