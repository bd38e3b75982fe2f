"""The generated time window: months start_date .. start_date + months (UTC dates)."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining.config.generate import GenerateSettings


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` (a 1st of month) moved by whole months."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def window_end(settings: GenerateSettings) -> dt.date:
    """Last generated day (the last day of the last month)."""
    return add_months(settings.start_date, settings.months) - dt.timedelta(days=1)


def month_ends(settings: GenerateSettings) -> list[dt.date]:
    """Month-end dates of the window (bounded by config: at most 120)."""
    return [add_months(settings.start_date, j + 1) - dt.timedelta(days=1) for j in range(settings.months)]


def months_frame(spark: SparkSession, settings: GenerateSettings) -> DataFrame:
    """One row per generated month: month_idx int, month_start date, month_end date, days_in_month int."""
    start = F.lit(settings.start_date)
    return (
        spark.range(settings.months, numPartitions=1)
        .select(F.col("id").cast("int").alias("month_idx"))
        .withColumn("month_start", F.add_months(start, F.col("month_idx")))
        .withColumn("month_end", F.last_day(F.col("month_start")))
        .withColumn("days_in_month", F.dayofmonth(F.col("month_end")))
        .select("month_idx", "month_start", "month_end", "days_in_month")
    )


def days_frame(spark: SparkSession, settings: GenerateSettings) -> DataFrame:
    """One row per generated day (the daily transaction drops): day date, fmt ('csv' or 'parquet')."""
    from crm_mining.generate.randomness import uniform

    ndays = (window_end(settings) - settings.start_date).days + 1
    days = spark.range(ndays, numPartitions=1).select(
        F.date_add(F.lit(settings.start_date), F.col("id").cast("int")).alias("day")
    )
    fmt = F.when(uniform(settings.seed, "drop-format", F.col("day")) < settings.csv_share, "csv").otherwise(
        "parquet"
    )
    return days.select("day", fmt.alias("fmt"))
