"""Build a small lake and fingerprint its silver, ops and gold tables, to prove a refactor changed no content.

Run it on the commit before and the commit after a change, on the same lake path and seed, then compare:

    .venv/bin/python scripts/lake_fingerprint.py --lakehouse /tmp/fp_lake --out before.json
    ... (check out the change) ...
    .venv/bin/python scripts/lake_fingerprint.py --lakehouse /tmp/fp_lake --out after.json
    .venv/bin/python scripts/lake_fingerprint.py --compare before.json after.json

A table's fingerprint is its row count, its column names and types, and an order-free hash of every row
(the sum of xxhash64 over all columns). Columns that hold the wall-clock time of a run (``*_at``
timestamps, ``ingest_date``, ``run_id``) are left out, since two runs never share them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

VOLATILE = {"ingest_date", "run_id"}
STAGES = ("generate", "ingest", "features", "lifecycle")


def volatile(field) -> bool:
    return field.name in VOLATILE or (
        field.name.endswith("_at") and "Timestamp" in type(field.dataType).__name__
    )


def hashable(field):
    """Spark refuses to hash maps (equal maps may hash differently): a map is hashed as its sorted entries."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import MapType

    column = F.col(field.name)
    return F.to_json(F.array_sort(F.map_entries(column))) if isinstance(field.dataType, MapType) else column


def fingerprint(df) -> dict:
    from pyspark.sql import functions as F

    kept = [f for f in df.schema.fields if not volatile(f)]
    row = df.select(F.xxhash64(*[hashable(f) for f in kept]).cast("decimal(38,0)").alias("h")).agg(
        F.count("*").alias("rows"), F.sum("h").alias("hash")
    )
    result = row.first()
    return {
        "rows": result["rows"],
        "hash": str(result["hash"]),
        "columns": [f"{f.name} {f.dataType.simpleString()}" for f in kept],
    }


def build_and_fingerprint(lakehouse: str, customers: int, months: int, snapshots: int) -> dict:
    from crm_mining.config import load_config
    from crm_mining.features import build_features
    from crm_mining.generate import generate_lake
    from crm_mining.ingest import ingest_lake
    from crm_mining.lifecycle import build_lifecycle
    from crm_mining.session import get_spark
    from crm_mining.tables import TABLES, Lake

    shutil.rmtree(lakehouse, ignore_errors=True)
    config = load_config(
        overrides=[
            "spark.master=local[2]",
            f"generate.customers={customers}",
            f"generate.months={months}",
            f"features.snapshot_count={snapshots}",
        ],
        lakehouse=lakehouse,
    )
    spark = get_spark(config)
    for stage in (generate_lake, ingest_lake, build_features, build_lifecycle):
        stage(spark, config)
    lake = Lake(config)
    names = [n for n in sorted(TABLES) if not n.startswith("bronze.") and lake.exists(spark, n)]
    return {name: fingerprint(lake.read(spark, name)) for name in names}


def compare(before: dict, after: dict) -> list[str]:
    problems = [f"{name}: missing after" for name in before if name not in after]
    for name, fp in before.items():
        if name in after and after[name] != fp:
            problems.append(f"{name}: before {fp['rows']} rows hash {fp['hash']}, after {after[name]}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lakehouse", default="/tmp/crm_fingerprint_lake")
    parser.add_argument("--out")
    parser.add_argument("--customers", type=int, default=150)
    parser.add_argument("--months", type=int, default=8)
    parser.add_argument("--snapshots", type=int, default=3)
    parser.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"))
    args = parser.parse_args()
    if args.compare:
        before, after = (json.loads(Path(p).read_text()) for p in args.compare)
        problems = compare(before, after)
        for line in problems:
            print(line)
        print(f"{len(before)} tables compared, {len(problems)} differ")
        return 1 if problems else 0
    result = build_and_fingerprint(args.lakehouse, args.customers, args.months, args.snapshots)
    text = json.dumps(result, indent=2, sort_keys=True)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
