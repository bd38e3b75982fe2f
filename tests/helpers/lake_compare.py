"""Comparing the tables of two lakes that ingested the same landing files in different runs."""

from __future__ import annotations

from pathlib import Path

from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812
from pyspark.sql.types import StringType

# Wall-clock columns: no two runs share them.
VOLATILE = ("ingested_at", "ingest_date", "quarantined_at", "started_at", "finished_at", "run_id")


def comparable(df: DataFrame, lakehouse: Path) -> DataFrame:
    """The table without wall-clock columns, with file paths (in any text column) relative to the lake."""
    df = df.drop(*VOLATILE)
    text = [f.name for f in df.schema.fields if isinstance(f.dataType, StringType)]
    return df.withColumns({c: F.replace(c, F.lit(str(lakehouse)), F.lit("<lake>")) for c in text})
