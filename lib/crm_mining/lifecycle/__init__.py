"""Stage `lifecycle`. Entry point: `build_lifecycle(spark, config) -> summary dict`.

Reads gold.customer_features (and transactions through ``crm_mining.inputs`` for customer value);
writes gold.lifecycle_stage, gold.lifecycle_history (SCD2), gold.lifecycle_transitions,
gold.lifecycle_actions and gold.customer_value. See docs/lifecycle.md.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)

from crm_mining import CrmMiningError
from crm_mining.config import Config
from crm_mining.inputs import load_transactions
from crm_mining.lifecycle.actions import with_actions
from crm_mining.lifecycle.backtest import lifecycle_backtest
from crm_mining.lifecycle.history import plan_history, update_history
from crm_mining.lifecycle.stages import FEATURE_COLUMNS, with_lifecycle_stage
from crm_mining.lifecycle.transitions import overall_transitions, stage_transitions
from crm_mining.lifecycle.value import customer_value
from crm_mining.lifecycle.value.alive import p_alive_by_snapshot
from crm_mining.lifecycle.value.backtest import method_choice, value_backtest
from crm_mining.tables import Lake

log = logging.getLogger(__name__)

FEATURES, STAGE = "gold.customer_features", "gold.lifecycle_stage"


def dates_sql(dates: list[dt.date]) -> str:
    return ", ".join(f"DATE'{d.isoformat()}'" for d in dates)


def batch_snapshots(spark: SparkSession, lake: Lake, config: Config) -> list[dt.date]:
    """The snapshots to stage: ``lifecycle.snapshot_dates`` or every snapshot in gold.customer_features."""
    # One row per snapshot date: bounded by the number of snapshots, not by customers.
    present = sorted(
        r.snapshot_date for r in lake.read(spark, FEATURES).select("snapshot_date").distinct().collect()
    )
    if not present:
        raise CrmMiningError(f"{FEATURES} is empty; run `crm-mining features` first")
    wanted = sorted(config.lifecycle.snapshot_dates) or present
    missing = [d.isoformat() for d in wanted if d not in set(present)]
    if missing:
        raise CrmMiningError(
            f"lifecycle.snapshot_dates {', '.join(missing)} not in {FEATURES} (it has {present[0]} .. {present[-1]})"
        )
    return wanted


def prior_stages(spark: SparkSession, lake: Lake, first: dt.date, months: int) -> DataFrame | None:
    """Stages already written for the ``months`` month ends before ``first`` (to see earlier dormancy)."""
    if not lake.exists(spark, STAGE):
        return None
    since = (F.add_months(F.lit(first), -months)).cast("date")
    return (
        lake.read(spark, STAGE)
        .where((F.col("snapshot_date") < F.lit(first)) & (F.col("snapshot_date") >= since))
        .select("customer_id", "snapshot_date", "stage")
    )


def stage_batch(spark: SparkSession, lake: Lake, config: Config, dates: list[dt.date]) -> DataFrame:
    """Stages (gold.lifecycle_stage rows) for ``dates``, from gold.customer_features."""
    features = lake.read(spark, FEATURES)
    absent = [c for c in FEATURE_COLUMNS if c not in features.columns]
    if absent:
        raise CrmMiningError(f"{FEATURES} lacks column(s) {', '.join(absent)} that lifecycle needs")
    batch = features.where(F.col("snapshot_date").isin(dates)).select(*FEATURE_COLUMNS)
    prior = prior_stages(spark, lake, dates[0], config.lifecycle.reactivated_months + 1)
    return with_lifecycle_stage(with_p_alive(spark, config, batch, dates), config.lifecycle, prior)


def with_p_alive(spark: SparkSession, config: Config, batch: DataFrame, dates: list[dt.date]) -> DataFrame:
    """``batch`` plus BG/NBD ``p_alive`` per customer and snapshot where account closures are unknown
    (transactions only) and ``lifecycle.exit_p_alive_below`` is on; unchanged otherwise."""
    if config.lifecycle.exit_p_alive_below <= 0:
        return batch
    if batch.where(F.col("all_accounts_closed").isNull()).limit(1).count() == 0:
        return batch
    alive = p_alive_by_snapshot(load_transactions(spark, config), dates, config.value)
    return batch.join(alive, ["customer_id", "snapshot_date"], "left")


def backtest_cutoff(as_of: dt.date, config: Config) -> dt.date:
    """The month end ``backtest.offset_months`` before ``as_of``."""
    month = as_of.year * 12 + as_of.month - 1 - config.backtest.offset_months
    first_of_next = dt.date(month // 12 + (month % 12 + 1) // 12, (month % 12 + 1) % 12 + 1, 1)
    return first_of_next - dt.timedelta(days=1)


def profiles(spark: SparkSession, lake: Lake) -> DataFrame | None:
    """gold.customer_features, which the gbt value method reads where it exists (not on BYOD input)."""
    return lake.read(spark, FEATURES) if lake.exists(spark, FEATURES) else None


def write_backtests(spark: SparkSession, lake: Lake, config: Config, transactions, as_of: dt.date) -> dict:
    """gold.value_backtest and gold.lifecycle_backtest at the configured cut-off; returns their summary
    (or what was skipped and why)."""
    settings = config.backtest
    cutoff = backtest_cutoff(as_of, config)
    summary: dict = {"cutoff": cutoff.isoformat(), "horizon_months": settings.horizon_months, "skipped": {}}
    try:
        rows, not_fitted = value_backtest(transactions, cutoff, config.value, settings, profiles(spark, lake))
        lake.write(rows, "gold.value_backtest")
        summary["skipped"].update(not_fitted)
    except CrmMiningError as exc:  # e.g. too little history before the cut-off to fit
        summary["skipped"]["gold.value_backtest"] = str(exc)
    stages = lake.read(spark, STAGE)
    if stages.where(F.col("snapshot_date") == F.lit(cutoff)).limit(1).count() == 0:
        summary["skipped"]["gold.lifecycle_backtest"] = f"no stages at the cut-off {cutoff} in {STAGE}"
    else:
        labels = lake.read(spark, "gold.labels") if lake.exists(spark, "gold.labels") else None
        rows = lifecycle_backtest(stages, transactions, labels, cutoff, settings.horizon_months)
        # mergeSchema: a lake written before the baseline columns existed gains them on the next run.
        lake.write(rows, "gold.lifecycle_backtest", merge_schema=True)
        # One row per stage: at most 7.
        summary["stages"] = {
            r.stage: {"customers": r.customers, "share_active_next": round(r.share_active_next, 3)}
            for r in lake.read(spark, "gold.lifecycle_backtest").collect()
        }
    return summary


def chosen_method(
    spark: SparkSession, lake: Lake, config: Config, backtests: dict, as_of: dt.date
) -> tuple[str, float | None, str]:
    """(method, penalizer or None for value.penalizer, why) for ``value.method``: see ``method_choice``."""
    has_backtest = (
        backtests
        and "gold.value_backtest" not in backtests.get("skipped", {})
        and lake.exists(spark, "gold.value_backtest")
    )
    # Rows per method x penalizer x target x group: bounded by config, not by customers.
    rows = lake.read(spark, "gold.value_backtest").collect() if has_backtest else None
    cutoff = dt.date.fromisoformat(backtests["cutoff"]) if has_backtest else None
    method, penalizer, why = method_choice(config.value, config.backtest, rows, cutoff, as_of)
    if why.startswith("value.method, although"):
        log.warning("customer value: %s", why)
    return method, penalizer, why


def write_customer_value(
    spark: SparkSession, lake: Lake, config: Config, transactions, as_of: dt.date, backtests: dict
) -> dict:
    """gold.customer_value as of ``as_of`` from the configured transactions; returns the fit summary."""
    method, penalizer, why = chosen_method(spark, lake, config, backtests, as_of)
    values, params = customer_value(
        transactions, as_of, config.value, method, penalizer, profiles(spark, lake)
    )
    lake.write(values, "gold.customer_value", replace_where=f"snapshot_date = DATE'{as_of.isoformat()}'")
    written = lake.read(spark, "gold.customer_value").where(F.col("snapshot_date") == F.lit(as_of))
    totals = written.agg(F.count(F.lit(1)).alias("n"), F.sum("expected_value").alias("v")).first()
    return {
        "as_of": as_of.isoformat(),
        "method": method,
        "chosen_by": why,
        "customers": totals.n,
        "expected_value_total": round(totals.v or 0.0, 2),
        "horizon_months": config.value.horizon_months,
        **params,
    }


def value_only(spark: SparkSession, config: Config) -> dict:
    """Re-fit customer value (and its backtests) at the latest staged snapshot, stages untouched."""
    started = time.monotonic()
    lake = Lake(config)
    if not lake.exists(spark, STAGE):
        raise CrmMiningError(f"lifecycle.value_only needs {STAGE}; run `crm-mining lifecycle` first")
    as_of = lake.read(spark, STAGE).agg(F.max("snapshot_date")).first()[0]
    transactions = load_transactions(spark, config)
    backtests = write_backtests(spark, lake, config, transactions, as_of) if config.backtest.enabled else {}
    value = write_customer_value(spark, lake, config, transactions, as_of, backtests)
    return {
        "value_only": True,
        "backtest": backtests,
        "value": value,
        "seconds": round(time.monotonic() - started, 1),
    }


def build_lifecycle(spark: SparkSession, config: Config) -> dict:
    """Stage customers, maintain the SCD2 history, count transitions, recommend actions, backtest, value customers."""
    if config.lifecycle.value_only:
        return value_only(spark, config)
    started = time.monotonic()
    lake = Lake(config)
    dates = batch_snapshots(spark, lake, config)
    stages = stage_batch(spark, lake, config, dates).cache()
    plan = plan_history(spark, lake, stages, dates)  # compares with the stored stages: before the write
    lake.write(stages, STAGE, replace_where=f"snapshot_date IN ({dates_sql(dates)})")
    history = update_history(spark, lake, stages, plan)

    all_stages = lake.read(spark, STAGE)
    transitions = stage_transitions(all_stages)
    lake.write(transitions, "gold.lifecycle_transitions")
    latest = all_stages.agg(F.max("snapshot_date")).first()[0]
    lake.write(
        with_actions(spark, all_stages.where(F.col("snapshot_date") == F.lit(latest)), config.lifecycle),
        "gold.lifecycle_actions",
    )
    by_stage = {
        r.stage: r.n
        for r in lake.read(spark, "gold.lifecycle_actions")
        .groupBy("stage")
        .agg(F.count(F.lit(1)).alias("n"))
        .collect()
    }  # at most 7 stages
    pooled = {
        f"{r.from_stage}->{r.to_stage}": round(r.rate, 4)
        for r in overall_transitions(lake.read(spark, "gold.lifecycle_transitions")).collect()
    }  # <= 49 rows
    stages.unpersist()
    transactions = load_transactions(spark, config)
    as_of = max(dates)
    backtests = write_backtests(spark, lake, config, transactions, as_of) if config.backtest.enabled else {}
    value = write_customer_value(spark, lake, config, transactions, as_of, backtests)
    return {
        "snapshots": [d.isoformat() for d in dates],
        "latest_snapshot": latest.isoformat(),
        "customers_by_stage": dict(sorted(by_stage.items())),
        "history": history,
        "transition_rates": pooled,
        "backtest": backtests,
        "value": value,
        "seconds": round(time.monotonic() - started, 1),
    }
