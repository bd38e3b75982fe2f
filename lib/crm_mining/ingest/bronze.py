"""Landing files -> bronze: the raw records with ingestion metadata, nothing dropped.

CSV and JSON-lines files are read as text (one bronze row per line, header lines included), so a
corrupt line survives byte for byte. Parquet drops are read with every column they carry (all strings
by contract); a column the contract does not know is merged into bronze, which is schema-on-read.
Whether such drifted records reach silver is decided later (``ingest.allow_schema_merge``).
"""

from __future__ import annotations

import datetime as dt
import json

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812
from pyspark.sql.types import NullType, StringType

from crm_mining import CrmMiningError
from crm_mining.hadoop_fs import HadoopFs
from crm_mining.landing import Source, Stream
from crm_mining.tables import Lake

METADATA = ("source_file", "batch_id", "ingested_at", "record_id")


def landing_folder(lake: Lake, stream: Stream) -> str:
    return lake.landing(stream.folder)


def path_exists(spark: SparkSession, path: str) -> bool:
    """True when ``path`` exists on its filesystem (local, HDFS, cloud storage) per Hadoop's FileSystem."""
    return HadoopFs(spark, path).exists(path)


def landing_fs(spark: SparkSession, lake: Lake) -> HadoopFs:
    """The landing zone's file system, for the per-file checks of a stream's batches (each JVM class it
    uses is looked up once, not once per file)."""
    return HadoopFs(spark, lake.landing())


def planned_files(spark: SparkSession, lake: Lake, stream: Stream, batch_num: int) -> list[str]:
    """The files the stream's checkpoint planned for micro-batch ``batch_num`` (its ``sources`` log: one
    JSON line per file, in ``<n>`` or, every tenth batch, the compacted ``<n>.compact``), read on the
    driver: the list is bounded by ``ingest.max_files_per_batch``, the compacted one by the files landed."""
    folder = lake.checkpoint(f"ingest/{stream.name}") + "/sources/0"
    fs = HadoopFs(spark, folder)
    for name in (str(batch_num), f"{batch_num}.compact"):
        if fs.exists(f"{folder}/{name}"):
            entries = [json.loads(line) for line in fs.lines(f"{folder}/{name}") if line.startswith("{")]
            return [e["path"] for e in entries if e.get("batchId") == batch_num]
    return []


def check_landing(spark: SparkSession, lake: Lake, source: Source) -> list[Stream]:
    """The source's streams whose folder exists; raise naming the folder when none does.

    Transactions come as CSV and/or Parquet drops: one of the two folders may be absent.
    """
    root = lake.landing()
    if not path_exists(spark, root):
        raise CrmMiningError(
            f"landing folder {root} does not exist; run 'crm-mining generate' or point lake.landing at it"
        )
    present = [s for s in source.streams if path_exists(spark, landing_folder(lake, s))]
    if not present:
        folders = " or ".join(landing_folder(lake, s) for s in source.streams)
        raise CrmMiningError(f"landing folder for source '{source.name}' is missing: {folders}")
    return present


def read_landing_stream(
    spark: SparkSession, lake: Lake, source: Source, stream: Stream, max_files: int
) -> DataFrame:
    """Streaming read of a stream's new landing files, at most ``max_files`` per micro-batch.

    Text formats: ``value`` (the raw line) and ``source_file``. Parquet: only ``source_file``; the micro-batch
    tells which files are new and ``bronze_input`` reads them with their own (possibly drifted) schema.
    """
    path = f"{landing_folder(lake, stream)}/{stream.pattern}"
    source_file = F.col("_metadata.file_path").alias("source_file")
    reader = spark.readStream.option("maxFilesPerTrigger", max_files)
    if stream.fmt == "parquet":
        schema = ", ".join(f"`{c}` string" for c in source.columns)
        return reader.format("parquet").schema(schema).load(path).select(source_file)
    return reader.format("text").load(path).select("value", source_file)


def batch_files(df: DataFrame) -> list[str]:
    """The landing files a micro-batch's rows came from (``source_file``), sorted. The collect is bounded
    by ``ingest.max_files_per_batch``, not by rows."""
    return sorted(row.source_file for row in df.select("source_file").distinct().collect())


def decoded_lines(lines: DataFrame, encoding: str) -> DataFrame:
    """Text lines as characters, with ``invalid_utf8``. Spark's text source keeps a line's bytes as they
    are, so a Latin-1 line would be stored as invalid UTF-8 (other Delta readers then fail on the table)
    or garbled to U+FFFD. A source with a configured encoding is decoded with it; in a UTF-8 source, a line
    that is not valid UTF-8 is decoded byte for byte as ISO-8859-1 (every byte kept, readable anywhere)
    and flagged, and validation quarantines it as BAD_ENCODING."""
    raw_bytes = F.col("value").cast("binary")  # a string's bytes as landed, valid or not
    if encoding.upper() != "UTF-8":
        text, invalid = F.decode(raw_bytes, encoding), F.lit(False)
    else:
        invalid = ~F.is_valid_utf8("value")
        text = F.when(invalid, F.decode(raw_bytes, "ISO-8859-1")).otherwise(F.col("value"))
    columns = [c for c in lines.columns if c != "value"]
    return lines.select(text.alias("value"), *columns, invalid.alias("invalid_utf8"))


def typed_column_check(spark: SparkSession, stream: Stream, files: list[str]) -> None:
    """Raise naming the first file and column typed other than string: the contract types every Parquet
    column as string, and a typed one cannot be merged into bronze's string column (Delta would name the
    column but not the file, and a mixed batch fails naming a good file). One schema read per file, on
    the failure path only; files that cannot be read at all are left to Spark's own error."""
    for file in files:
        try:
            fields = spark.read.parquet(file).schema.fields
        except Exception:  # noqa: BLE001 (not a Parquet file: the caller reports Spark's error)
            continue
        for field in fields:
            if not isinstance(field.dataType, StringType | NullType):
                raise CrmMiningError(
                    f"Parquet landing file {file} of '{stream.name}': column '{field.name}' is "
                    f"{field.dataType.simpleString()}, but the landing contract types every column as string; "
                    f"re-deliver it under the same name with string columns, or skip it "
                    f"(crm-mining ingest --skip-file PATH --reason TEXT)"
                )


def bronze_input(
    spark: SparkSession,
    batch: DataFrame,
    stream: Stream,
    encoding: str = "UTF-8",
    files: list[str] | None = None,
) -> DataFrame:
    """The micro-batch's records as they landed, with ``source_file``.

    CSV and JSON: the lines decoded (``decoded_lines``). Parquet: every column of the batch's files
    (mergeSchema, so a new column is kept). ``files``: the batch's Parquet files still in landing, as
    its stream planned them; None finds them in the batch's rows (a scan of every file).
    """
    if stream.fmt != "parquet":
        return decoded_lines(batch, encoding)
    files = batch_files(batch) if files is None else sorted(files)
    if not files:  # the batch's only files were skipped (ingest.skip_file): nothing to read
        return batch
    try:
        frame = spark.read.format("parquet").option("mergeSchema", "true").load(files)
    except Exception as exc:  # Spark's own message names the file; keep its first line
        typed_column_check(spark, stream, files)  # two files typing one column differently
        batch_files(batch)  # the stream's own scan of the files fails naming one it cannot read
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CrmMiningError(
            f"cannot read the Parquet landing files of '{stream.name}' ({len(files)} files, "
            f"first {files[0]}): {first}"
        ) from None
    if any(not isinstance(f.dataType, StringType | NullType) for f in frame.schema.fields):
        typed_column_check(spark, stream, files)
    return frame.select("*", F.col("_metadata.file_path").alias("source_file"))


def with_ingest_metadata(df: DataFrame, batch_id: str, ingested_at: dt.datetime) -> DataFrame:
    """Add ``batch_id``, ``record_id`` (unique within the batch, stored, so later steps can point at one
    landed record even when two lines are identical), ``ingested_at`` (UTC) and ``ingest_date``
    (bronze.transactions' partition column)."""
    return df.select(
        "*",
        F.lit(batch_id).alias("batch_id"),
        F.monotonically_increasing_id().alias("record_id"),
        F.lit(ingested_at).cast("timestamp").alias("ingested_at"),
        F.lit(ingested_at.date()).alias("ingest_date"),
    )


def read_bronze_batch(spark: SparkSession, lake: Lake, source: Source, batch_id: str) -> DataFrame:
    """This batch's bronze rows, read back from Delta (file skipping on batch_id keeps it cheap)."""
    return lake.read(spark, f"bronze.{source.name}").where(F.col("batch_id") == batch_id)
