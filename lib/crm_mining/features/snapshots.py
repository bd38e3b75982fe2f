"""Snapshot dates, date-window helpers and the customer base per snapshot.

All snapshots are built together: a small ``snapshots`` DataFrame (one row per snapshot date) is
cross-joined with each input and filtered by date, so one Spark job serves every snapshot.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from functools import reduce

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining import CrmMiningError
from crm_mining.config.features import FeatureSettings

log = logging.getLogger(__name__)


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def previous_month_end(day: dt.date) -> dt.date:
    return day.replace(day=1) - dt.timedelta(days=1)


def snapshot_dates(
    settings: FeatureSettings, first_day: dt.date | None, last_day: dt.date | None
) -> list[dt.date]:
    """The configured snapshot dates, or the last ``snapshot_count`` month ends within [first_day, last_day].

    A month end counts as "in the data" when it is on or before the last data day, so a partial last
    month is never snapshotted. Raises when there is no data and no explicit dates.
    """
    if settings.snapshot_dates:
        return sorted(set(settings.snapshot_dates))
    if first_day is None or last_day is None:
        raise CrmMiningError(
            "no transactions to derive snapshots from; set features.snapshot_dates or load data"
        )
    current = last_day if month_end(last_day) == last_day else previous_month_end(last_day)
    dates = []
    while len(dates) < settings.snapshot_count and current >= first_day:
        dates.append(current)
        current = previous_month_end(current)
    if not dates:
        raise CrmMiningError(
            f"the data ({first_day} to {last_day}) holds no complete month; set features.snapshot_dates"
        )
    return sorted(dates)


def snapshots_frame(spark: SparkSession, dates: list[dt.date]) -> DataFrame:
    """One row per snapshot date (bounded by config, so small: always broadcast)."""
    return F.broadcast(spark.createDataFrame([(d,) for d in dates], "snapshot_date date"))


def months_before(snapshot: Column, months: int) -> Column:
    """The date ``months`` calendar months before ``snapshot``; month ends map to month ends."""
    shifted = F.add_months(snapshot, -months)
    return F.when(snapshot == F.last_day(snapshot), F.last_day(shifted)).otherwise(shifted)


def months_after(snapshot: Column, months: int) -> Column:
    return months_before(snapshot, -months)


def balance_month(snapshot: Column) -> Column:
    """The latest month end on or before the snapshot (balances are month-end figures)."""
    return F.when(snapshot == F.last_day(snapshot), snapshot).otherwise(
        F.last_day(F.add_months(snapshot, -1))
    )


def in_last_days(day: Column, snapshot: Column, days: int) -> Column:
    """``day`` within the ``days`` days ending at the snapshot (inclusive)."""
    return (day <= snapshot) & (day > F.date_sub(snapshot, days))


def in_months(day: Column, snapshot: Column, start_months: int, end_months: int) -> Column:
    """``day`` in (snapshot - start_months, snapshot - end_months] in calendar months (start > end >= 0)."""
    return (day > months_before(snapshot, start_months)) & (day <= months_before(snapshot, end_months))


def customer_base(snapshots: DataFrame, first_seen: list[DataFrame]) -> DataFrame:
    """(customer_id, snapshot_date, first_seen) for customers seen on or before each snapshot.

    ``first_seen`` frames hold (customer_id, first_seen date) from each available input; the earliest wins.
    """
    union = reduce(DataFrame.unionByName, first_seen)
    earliest = (
        union.where(F.col("customer_id").isNotNull())
        .groupBy("customer_id")
        .agg(F.min("first_seen").alias("first_seen"))
    )
    return earliest.join(snapshots, F.col("first_seen") <= F.col("snapshot_date")).select(
        "customer_id", "snapshot_date", "first_seen"
    )
