"""gold.lifecycle_history: SCD type 2 of each customer's stage.

Columns: customer_id, stage, valid_from (the snapshot that first showed the stage), valid_to (the
snapshot that replaced it, exclusive; null while current), is_current.

The first snapshots build the history in one write: the runs of equal stages per customer (``stage_runs``),
which equal applying them one at a time. Later new snapshots (later than every snapshot already applied) are
applied one at a time, in order, with
the staged-union Delta MERGE: a customer whose stage changed gets two staged rows, one keyed on its
id (closes the current row) and one with a null key (never matches, so it inserts the new current
row); an unchanged customer matches its current row and nothing happens, so re-applying a snapshot
is a no-op. A customer missing from a snapshot keeps its current row open.

Re-running a snapshot that is not newer than the last applied one: if its stages are unchanged the
history is left alone; if they changed, rows cannot be closed in order, so the history is rebuilt
from gold.lifecycle_stage (every staged snapshot, in order: gaps and islands). The result equals
applying every snapshot in order.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)
from pyspark.sql.types import BooleanType, DateType, StringType, StructField, StructType

from crm_mining.tables import Lake

TABLE, STAGE = "gold.lifecycle_history", "gold.lifecycle_stage"
# Table property holding the last snapshot applied, so a crash between writing stages and merging
# them is repaired by the next run (that snapshot is still "new").
THROUGH_PROPERTY = "crm_mining.history_through"

HISTORY_SCHEMA = StructType(
    [
        StructField("customer_id", StringType(), False),
        StructField("stage", StringType(), False),
        StructField("valid_from", DateType(), False),
        StructField("valid_to", DateType(), True),
        StructField("is_current", BooleanType(), False),
    ]
)


def stage_runs(stages: DataFrame) -> DataFrame:
    """SCD2 rows from stages (customer_id, snapshot_date, stage): one row per run of equal stages."""
    by_customer = Window.partitionBy("customer_id").orderBy("snapshot_date")
    starts = (
        stages.select("customer_id", "snapshot_date", "stage")
        .withColumn("previous", F.lag("stage").over(by_customer))
        .where(F.col("previous").isNull() | (F.col("previous") != F.col("stage")))
    )
    return starts.select(
        "customer_id",
        "stage",
        F.col("snapshot_date").alias("valid_from"),
        F.lead("snapshot_date").over(by_customer).alias("valid_to"),
        F.lead("snapshot_date").over(by_customer).isNull().alias("is_current"),
    )


def staged_changes(spark: SparkSession, lake: Lake, snapshot: DataFrame) -> DataFrame:
    """The MERGE source for one snapshot's stages (customer_id, snapshot_date, stage).

    Every customer once with ``merge_key`` = customer_id (matches the current row: closed if the stage
    changed) plus, for customers whose stage changed, once more with a null key (inserts the new row).
    Customers new to the history only need the keyed row: it does not match, so it is inserted.
    """
    rows = snapshot.select("customer_id", "stage", F.col("snapshot_date").alias("valid_from"))
    current = (
        lake.read(spark, TABLE)
        .where("is_current")
        .select(
            "customer_id", F.col("stage").alias("current_stage"), F.col("valid_from").alias("current_from")
        )
    )
    # Only a later snapshot may close a row (the caller applies snapshots in order; this guards it).
    changed = (
        rows.join(current, "customer_id")
        .where((F.col("current_stage") != F.col("stage")) & (F.col("current_from") < F.col("valid_from")))
        .drop("current_stage", "current_from")
    )
    return changed.select(F.lit(None).cast("string").alias("merge_key"), "*").unionByName(
        rows.select(F.col("customer_id").alias("merge_key"), "*")
    )


def merge_snapshot(spark: SparkSession, lake: Lake, snapshot: DataFrame) -> None:
    """Apply one snapshot's stages to gold.lifecycle_history (create it on first use). Idempotent."""
    lake.ensure_table(
        spark, TABLE, HISTORY_SCHEMA, not_null=["customer_id", "stage", "valid_from", "is_current"]
    )
    source = staged_changes(spark, lake, snapshot)
    (
        lake.delta(spark, TABLE)
        .alias("t")
        .merge(source.alias("s"), "t.customer_id = s.merge_key AND t.is_current")
        .whenMatchedUpdate(
            condition="t.stage <> s.stage AND t.valid_from < s.valid_from",
            set={"is_current": "false", "valid_to": "s.valid_from"},
        )
        .whenNotMatchedInsert(
            values={
                "customer_id": "s.customer_id",
                "stage": "s.stage",
                "valid_from": "s.valid_from",
                "valid_to": "CAST(NULL AS DATE)",
                "is_current": "true",
            },
        )
        .execute()
    )


def rebuild_history(spark: SparkSession, lake: Lake, stages: DataFrame) -> None:
    """Overwrite gold.lifecycle_history with the runs of ``stages`` (all staged snapshots)."""
    lake.ensure_table(
        spark, TABLE, HISTORY_SCHEMA, not_null=["customer_id", "stage", "valid_from", "is_current"]
    )
    lake.write(stage_runs(stages), TABLE, mode="overwrite")


def history_through(spark: SparkSession, lake: Lake) -> dt.date | None:
    """The last snapshot applied to the history (a table property), or None before the first."""
    if not lake.exists(spark, TABLE):
        return None
    value = lake.delta(spark, TABLE).detail().first().properties.get(THROUGH_PROPERTY)
    return dt.date.fromisoformat(value) if value else None


def mark_through(spark: SparkSession, lake: Lake, snapshot: dt.date) -> None:
    spark.sql(
        f"ALTER TABLE {lake.sql_name(TABLE)} SET TBLPROPERTIES ('{THROUGH_PROPERTY}' = '{snapshot.isoformat()}')"
    )


def plan_history(spark: SparkSession, lake: Lake, stages: DataFrame, dates: list[dt.date]) -> dict:
    """Decide how this batch's stages reach the history; call before the stages are written.

    - snapshots after the last applied one are ``new`` and are MERGEd in order;
    - a re-run of an applied snapshot whose stages are unchanged leaves the history as it is;
    - a re-run whose stages changed (or a history missing while stages exist) means ``rebuild``.
    """
    through = history_through(spark, lake)
    new = [d for d in dates if through is None or d > through]
    reruns = [d for d in dates if d not in new]
    rebuild = False
    if lake.exists(spark, STAGE):
        stored = lake.read(spark, STAGE).select("customer_id", "snapshot_date", "stage")
        if reruns:
            now = stages.where(F.col("snapshot_date").isin(reruns)).select(*stored.columns)
            before = stored.where(F.col("snapshot_date").isin(reruns))
            rebuild = bool(now.exceptAll(before).limit(1).count() or before.exceptAll(now).limit(1).count())
        if through is None:
            rebuild = bool(stored.where(~F.col("snapshot_date").isin(dates)).limit(1).count())
    return {"through": through, "new": new, "reruns": reruns, "rebuild": rebuild}


def update_history(spark: SparkSession, lake: Lake, stages: DataFrame, plan: dict) -> dict:
    """Apply ``plan`` (from ``plan_history``) once the batch's stages are in gold.lifecycle_stage."""
    if plan["rebuild"]:
        everything = lake.read(spark, STAGE)
        rebuild_history(spark, lake, everything)
        mark_through(spark, lake, everything.agg(F.max("snapshot_date")).first()[0])
        mode = "rebuild"
    elif plan["new"] and plan["through"] is None:
        # The first history: every snapshot is new, and the runs of equal stages equal merging them one
        # at a time (a test checks it), in one write and one property commit instead of two per snapshot.
        rebuild_history(spark, lake, stages.where(F.col("snapshot_date").isin(plan["new"])))
        mark_through(spark, lake, max(plan["new"]))
        mode = "build"
    elif plan["new"]:
        for snapshot in plan["new"]:
            merge_snapshot(spark, lake, stages.where(F.col("snapshot_date") == F.lit(snapshot)))
            mark_through(spark, lake, snapshot)
        mode = "merge"
    else:
        mode = "unchanged"
    counts = (
        lake.read(spark, TABLE)
        .agg(F.count(F.lit(1)).alias("rows"), F.sum(F.col("is_current").cast("int")).alias("current"))
        .first()
    )
    return {
        "mode": mode,
        "merged_snapshots": [d.isoformat() for d in plan["new"]] if mode in ("build", "merge") else [],
        "rows": counts.rows,
        "current_rows": counts.current or 0,
    }
