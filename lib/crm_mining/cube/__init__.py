"""Stage `cube`. Entry point: `build_cube(spark, config) -> summary dict`.

Reads gold.customer_features, gold.labels, gold.customer_segments and gold.lifecycle_stage; writes
gold.crm_cube, an OLAP cube for BI tools (month x region x segment x lifecycle stage x product; see
``cube.build`` and docs/report.md). Segments and stages are optional: without them every customer is
'unsegmented' or 'unstaged', and the summary says so.
"""

from __future__ import annotations

import time

from pyspark.sql import SparkSession
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)

from crm_mining.config import Config
from crm_mining.cube.build import DIMENSIONS, crm_cube, cube_facts
from crm_mining.tables import Lake

CUBE = "gold.crm_cube"
OPTIONAL = {"gold.customer_segments": "segment_name", "gold.lifecycle_stage": "stage"}


def build_cube(spark: SparkSession, config: Config) -> dict:
    """Write gold.crm_cube from the gold tables (overwritten whole: it is small and derived)."""
    started = time.monotonic()
    lake = Lake(config)
    keys = "customer_id string, snapshot_date date"
    missing = [name for name in OPTIONAL if not lake.exists(spark, name)]
    segments, stages = (
        lake.read(spark, name)
        if name not in missing
        else spark.createDataFrame([], f"{keys}, {column} string")
        for name, column in OPTIONAL.items()
    )
    features = lake.read(spark, "gold.customer_features")
    if config.cube.months:
        # One row per snapshot date: bounded by the number of snapshots.
        # one row per snapshot (features.snapshot_count), not per customer
        dates = sorted(r[0] for r in features.select("snapshot_date").distinct().collect())
        features = features.where(F.col("snapshot_date").isin(dates[-config.cube.months :]))
    facts = cube_facts(features, lake.read(spark, "gold.labels"), segments, stages)
    lake.write(crm_cube(facts), CUBE)
    written = lake.read(spark, CUBE)
    # One row per month: bounded by the number of snapshots.
    # the grand total per month: one row per cube month
    totals = written.where(F.col("grouping_id") == 15).orderBy("month").collect()
    return {
        "table": CUBE,
        "dimensions": list(DIMENSIONS),
        "rows": written.count(),
        "months": len(totals),
        "latest_month": totals[-1].month.isoformat() if totals else None,
        "latest_customers": totals[-1].customers if totals else 0,
        "missing_inputs": missing,
        "seconds": round(time.monotonic() - started, 1),
    }
