"""Table fingerprints: proof that a rerun, a resume or a refactor left a table's content as it was.

A fingerprint is the row count, the column names and types, and an order-free hash of every row (the
sum of xxhash64 over the columns), computed in Spark: one number per table reaches the driver. Columns
that name a run rather than a result are left out, since two runs never share them: wall-clock
timestamps (``*_at``), ``ingest_date``, ``run_id``.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import MapType, StructField, TimestampType

from crm_mining.tables import TABLES, Lake

VOLATILE = {"ingest_date", "run_id"}


def volatile(field: StructField) -> bool:
    return field.name in VOLATILE or (
        field.name.endswith("_at") and isinstance(field.dataType, TimestampType)
    )


def hashable(field: StructField) -> Column:
    """Spark refuses to hash maps (equal maps may hash differently): a map is hashed as its sorted entries."""
    column = F.col(field.name)
    return F.to_json(F.array_sort(F.map_entries(column))) if isinstance(field.dataType, MapType) else column


def fingerprint(df: DataFrame) -> dict:
    kept = [f for f in df.schema.fields if not volatile(f)]
    result = (
        df.select(F.xxhash64(*[hashable(f) for f in kept]).cast("decimal(38,0)").alias("h"))
        .agg(F.count(F.lit(1)).alias("rows"), F.sum("h").alias("hash"))
        .first()
    )
    return {
        "rows": result["rows"],
        "hash": str(result["hash"]),
        "columns": [f"{f.name} {f.dataType.simpleString()}" for f in kept],
    }


def lake_fingerprints(
    spark: SparkSession, lake: Lake, prefixes: tuple[str, ...] = ("silver.", "gold.", "ops.")
) -> dict:
    """Fingerprints of every existing table whose name starts with one of ``prefixes``."""
    names = [n for n in sorted(TABLES) if n.startswith(prefixes) and lake.exists(spark, n)]
    return {name: fingerprint(lake.read(spark, name)) for name in names}


def differences(before: dict, after: dict) -> list[str]:
    problems = [f"{name}: missing after" for name in before if name not in after]
    problems += [f"{name}: not there before" for name in after if name not in before]
    for name, fp in before.items():
        if name in after and after[name] != fp:
            problems.append(f"{name}: before {fp['rows']} rows hash {fp['hash']}, after {after[name]}")
    return problems
