"""Build a small lake and fingerprint its silver, ops and gold tables, to prove a refactor changed no content.

Run it on the commit before and the commit after a change, on the same lake path and seed, then compare:

    .venv/bin/python scripts/lake_fingerprint.py --lakehouse /tmp/fp_lake --out before.json
    ... (check out the change) ...
    .venv/bin/python scripts/lake_fingerprint.py --lakehouse /tmp/fp_lake --out after.json
    .venv/bin/python scripts/lake_fingerprint.py --compare before.json after.json

A table's fingerprint (``crm_mining.fingerprint``) is its row count, column names and types, and an
order-free hash of every row, without the columns that name a run (``*_at`` timestamps, ``run_id``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

STAGES = ("generate", "ingest", "features", "lifecycle")


def build_and_fingerprint(lakehouse: str, customers: int, months: int, snapshots: int) -> dict:
    from crm_mining.config import load_config
    from crm_mining.features import build_features
    from crm_mining.fingerprint import lake_fingerprints
    from crm_mining.generate import generate_lake
    from crm_mining.ingest import ingest_lake
    from crm_mining.lifecycle import build_lifecycle
    from crm_mining.session import get_spark
    from crm_mining.tables import Lake

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
    return lake_fingerprints(spark, Lake(config))


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
        from crm_mining.fingerprint import differences

        problems = differences(before, after)
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
