"""Hypothesis-generated hostile landing files (#12): whatever bytes, encodings, field sizes, types, nulls
and dates land, ingest finishes, every landed record ends in silver or in quarantine, no replacement
character is written, and every table stays readable by another Delta reader (delta-rs).

An ingest costs minutes, so hypothesis does not drive one ingest per example. It draws EXAMPLES hostile
landings (derandomised, so every run lands the same files), each a transactions CSV, an interactions
JSON-lines file and an all-string Parquet drop; all of them land beside the base landing zone's
transactions, interactions and their parents, one ingest reads them, and the properties are checked
file by file. A failure names the file; hypothesis' shrinking is what this gives up.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from deltalake import DeltaTable
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pyspark.sql import functions as F  # noqa: N812
from pyspark.sql.types import StringType

from crm_mining.ingest import ingest_lake
from crm_mining.tables import Lake
from helpers.landing_files import (
    TRANSACTIONS_INTERACTIONS_AND_PARENTS,
    TXN_COLUMNS,
    file_records,
    land_base_sources,
    txn,
    write_parquet,
)

# Fields a record can carry: a good value for its column, or one of these.
DATES = [
    "0001-01-01",
    "1800-01-02 10:00:00",
    "9999-12-31 23:59:59",
    "2025-02-29",
    "2025-01-02T10:00:00Z",
    "1e9",
]
NUMBERS = ["NaN", "-Infinity", "1e309", "-0", "1,5", "0x1F", "12.5.1", "９９", "1" * 60]
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\ufffd"), max_size=30)
LATIN1 = st.text(st.characters(min_codepoint=0xA0, max_codepoint=0xFF), min_size=1, max_size=20).map(
    lambda t: t.encode("latin-1")  # not valid UTF-8
)
RAW_BYTES = st.binary(max_size=30).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))
HOSTILE = st.one_of(
    st.sampled_from(DATES + NUMBERS + ["", "NULL", "null", '"', '""', "a,b", "\t", "\x00"]).map(str.encode),
    TEXT.map(str.encode),
    LATIN1,
    RAW_BYTES,
    st.integers(10_000, 100_000).map(lambda n: b"x" * n),  # field sizes up to 100 KB
)


@st.composite
def csv_line(draw) -> bytes:
    """A transactions CSV line: each field good or hostile, sometimes too few or too many fields."""
    good = [c.encode() for c in txn(f"H{draw(st.integers(0, 10**6))}")]
    fields = [draw(st.one_of(st.just(g), HOSTILE)) for g in good]
    cut = draw(st.sampled_from([len(fields)] * 6 + [0, 3, len(fields) + 2]))
    fields = (fields + [b"extra", b"more"])[:cut]
    return b",".join(fields)


JSON_VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), TEXT, st.lists(st.integers(), max_size=3),
    st.dictionaries(st.sampled_from(["a", "b"]), st.integers(), max_size=2),
)  # fmt: skip
INTERACTION = {
    "interaction_id": st.one_of(TEXT, st.just("I9")),
    "customer_id": st.sampled_from(["C1", "C2", "C404", ""]),
    "interaction_ts": st.sampled_from(["2025-01-05 08:00:00", *DATES]),
    "kind": st.sampled_from(["complaint", "INQUIRY", "??"]),
    "channel": st.sampled_from(["PHONE", "ONLINE", ""]),
    "text": TEXT,
}


@st.composite
def json_line(draw) -> bytes:
    """An interactions line: a record whose values may have any JSON type, or hostile bytes."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.one_of(LATIN1, RAW_BYTES, TEXT.map(str.encode)))
    record = {k: draw(st.one_of(v, JSON_VALUE)) for k, v in INTERACTION.items()}
    return json.dumps(record, ensure_ascii=draw(st.booleans())).encode()


PARQUET_ROW = st.fixed_dictionaries(
    {c: st.one_of(st.none(), TEXT, st.sampled_from(DATES + NUMBERS)) for c in TXN_COLUMNS}
)
HOSTILE_LANDING = st.fixed_dictionaries(
    {
        "csv": st.lists(csv_line(), min_size=1, max_size=25),
        "json": st.lists(json_line(), min_size=1, max_size=25),
        "parquet": st.lists(PARQUET_ROW, min_size=1, max_size=10),
    }
)


EXAMPLES = 24
DROP = "drop_date=2025-01-09"


def hostile_landings() -> list[dict]:
    drawn: list[dict] = []

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(HOSTILE_LANDING)
    def draw(example: dict) -> None:
        drawn.append(example)

    draw()
    return drawn


# The hostile files' sources and the parents their validation reads.
LANDED = TRANSACTIONS_INTERACTIONS_AND_PARENTS


def land(lakehouse: Path, examples: list[dict], scratch: Path) -> None:
    land_base_sources(lakehouse, LANDED, scratch)
    landing = lakehouse / "landing"
    for i, example in enumerate(examples):
        csv_file = landing / f"transactions/csv/{DROP}/hostile-{i:02}.csv"
        csv_file.parent.mkdir(parents=True, exist_ok=True)
        csv_file.write_bytes(b"\n".join([",".join(TXN_COLUMNS).encode(), *example["csv"]]) + b"\n")
        (landing / f"interactions/hostile-{i:02}.json").write_bytes(b"\n".join(example["json"]) + b"\n")
        write_parquet(landing / f"transactions/parquet/{DROP}/hostile-{i:02}.parquet", example["parquet"])


def records_per_file(lake: Lake, spark, table: str) -> dict[str, int]:
    """Rows per landing file (its path under the landing folder) of a silver or quarantine table."""
    landing = str(Path(lake.landing()))
    counts = lake.read(spark, table).groupBy("source_file").count().collect()
    return {r.source_file.split(landing, 1)[-1].lstrip("/"): r[1] for r in counts}


def test_every_hostile_record_is_accounted_for_and_every_table_stays_readable(spark, config, tmp_path):
    examples = hostile_landings()
    assert len(examples) == EXAMPLES
    config = replace(config, ingest=replace(config.ingest, optimize=False))  # files, not records
    lake = Lake(config)
    landing = Path(lake.landing())
    land(Path(config.lake.root), examples, tmp_path / "every_source")

    ingest_lake(spark, config)  # no bad record stops it

    quarantined = records_per_file(lake, spark, "ops.quarantine")
    kept = records_per_file(lake, spark, "silver.transactions") | records_per_file(
        lake, spark, "silver.interactions"
    )
    for path in sorted(landing.rglob("hostile-*")):
        name = str(path.relative_to(landing))
        accounted = kept.get(name, 0) + quarantined.get(name, 0)
        assert accounted == file_records(path), (name, kept.get(name), quarantined.get(name))
    blank = lake.read(spark, "ops.quarantine").where(F.col("raw") == "").groupBy("reason").count().collect()
    assert {r.reason for r in blank} == {"MALFORMED_ROW"}, blank  # the examples hold blank lines
    root = Path(config.lake.root)
    for layer in ("bronze", "silver", "ops"):
        for folder in sorted((root / layer).iterdir()):
            DeltaTable(str(folder)).to_pyarrow_table()  # raises on invalid UTF-8 or out-of-range dates
            df = lake.read(spark, f"{layer}.{folder.name}")
            for column in (f.name for f in df.schema.fields if isinstance(f.dataType, StringType)):
                assert df.where(F.col(column).contains("\ufffd")).isEmpty(), f"{layer}.{folder.name}.{column}"
