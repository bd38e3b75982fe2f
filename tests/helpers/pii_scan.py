"""The scan a data-protection officer would run: every PII value that landed, looked for beyond bronze, in
every table and in every text file a run leaves (summaries, the report, Delta logs with their statistics)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F  # noqa: N812
from pyspark.sql.types import ArrayType, StringType

from crm_mining.landing import source as landing_source
from crm_mining.tables import TABLES, Lake

# Text files a run writes; Parquet data files are compressed, so their tables are scanned through Spark.
# Emails, phone and card numbers as people type them into free text (national ids and addresses typed
# there are the customer's own, already among the customer file's values). ASCII, and digits bounded by
# non-digits rather than \b: Chinese glues them to words (邮箱a@b.c is a@b.c, 卡号4111 ... is 4111 ...).
TYPED_PII = (
    r"[A-Za-z0-9._+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|\+\d[\d ]{8,}\d|(?<!\d)\d{4}(?: \d{4}){3}(?!\d)"
)
TEXT_FILES = ("*.json", "*.html", "*.txt", "*.log", "*.md", "*.csv", "*.yaml")


def landed_pii_values(landing: Path) -> set[str]:
    """Every PII field value of the landed customer files, read with Python's csv module (not by ingest),
    plus the emails, phone and card numbers typed into the landed interaction texts."""
    values: set[str] = set()
    pii = landing_source("customers").pii_columns
    for path in Path(landing, "customers").glob("*.csv"):
        with path.open(newline="") as f:
            for row in csv.DictReader(f):
                values |= {row[c].strip() for c in pii if row.get(c) and row[c].strip()}
    for text in landed_texts(landing):
        values |= set(re.findall(TYPED_PII, text))
    return values


def landed_texts(landing: Path) -> list[str]:
    """The free text of every landed interaction record (the whole line where it is not JSON)."""
    return [
        interaction_text(line)
        for path in Path(landing, "interactions").glob("*.json")
        for line in path.read_text(errors="replace").splitlines()
    ]


def interaction_text(line: str) -> str:
    """The record's text; the whole line when it is not JSON (the generator's malformed lines)."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return line
    return record.get("text") or "" if isinstance(record, dict) else line


def pii_pattern(values: set[str]) -> str:
    """One regex for all values (Java's and Python's): short values (first names) as whole words, so "Ann"
    does not match "Annual"; the rest as substrings. Longest first, so no value hides a longer one."""
    ordered = sorted(values, key=lambda v: (-len(v), v))
    return "|".join(rf"\b{re.escape(v)}\b" if len(v) < 5 else re.escape(v) for v in ordered)


def pii_in_tables(
    spark: SparkSession, lake: Lake, values: set[str], tables: list[str] | None = None
) -> list[tuple[str, str, str]]:
    """(table, column, value) for up to 3 hits per table, over every string and string-array column of
    ``tables`` (default: every silver, gold and ops table the lake holds); one Spark job per table."""
    pattern, found = pii_pattern(values), []
    if tables is None:
        tables = [t for t in TABLES if not t.startswith("bronze.") and lake.exists(spark, t)]
    for name in tables:
        df = lake.read(spark, name)
        texts = {
            f.name: F.col(f.name) if isinstance(f.dataType, StringType) else F.array_join(f.name, " | ")
            for f in df.schema.fields
            if isinstance(f.dataType, StringType)
            or (isinstance(f.dataType, ArrayType) and isinstance(f.dataType.elementType, StringType))
        }
        if not texts:
            continue
        hits = df.select([F.when(text.rlike(pattern), text).alias(c) for c, text in texts.items()])
        for row in hits.where(F.coalesce(*hits.columns).isNotNull()).limit(3).collect():
            found += [(name, c, v) for c, v in row.asDict().items() if v is not None]
    return found


def pii_in_text(text: str, values: set[str]) -> list[str]:
    """The PII values found in ``text`` (a log, a console output)."""
    return sorted(set(re.findall(pii_pattern(values), text)))


def pii_in_files(
    root: Path, values: set[str], skip: tuple[str, ...] = ("landing", "bronze")
) -> list[tuple[str, str]]:
    """(file, value) for every text file under ``root`` (but not under ``skip``) that holds a PII value."""
    pattern, found = re.compile(pii_pattern(values)), []
    for glob in TEXT_FILES:
        for path in root.rglob(glob):
            if path.relative_to(root).parts[0] in skip:
                continue
            match = pattern.search(path.read_text(errors="replace"))
            if match:
                found.append((str(path.relative_to(root)), match.group(0)))
    return found
