"""The customers to segment: gold.customer_features, or a customer-level table of your own (BYOD).

``customer_frame`` returns customer_id (string), snapshot_date (date), the model features and the
available profile columns (double), ``products`` (array<string>, null when the source has none) and
``set_apart`` (the name of the first ``segment.set_apart`` rule the customer meets, else null).
"""

from __future__ import annotations

import datetime as dt
import logging

from pyspark.errors import AnalysisException, ParseException
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)

from crm_mining import CrmMiningError
from crm_mining.config import Config
from crm_mining.config.segment import SegmentSettings
from crm_mining.inputs import read_user_data
from crm_mining.tables import Lake

FEATURES = "gold.customer_features"
SET_APART = "set_apart"

log = logging.getLogger(__name__)


def source_name(settings: SegmentSettings) -> str:
    return (
        FEATURES if settings.source == "lake" else f"segment.source={settings.source} at {settings.location}"
    )


def read_customers(spark: SparkSession, config: Config) -> DataFrame:
    """The raw source table (lake features or the configured own table)."""
    settings = config.segment
    if settings.source == "lake":
        return Lake(config).read(spark, FEATURES)
    what = f"customers ({source_name(settings)})"
    return read_user_data(spark, settings.source, settings.location, settings.csv_options, what)


def profile_columns(settings: SegmentSettings, available: list[str]) -> list[str]:
    """Model features then the configured profile columns the source has (no repeats)."""
    model = {*settings.features, *settings.categorical_features}
    extra = [c for c in settings.profile_columns if c in available and c not in model]
    return [*settings.features, *extra]


def first_line(error: Exception) -> str:
    return next((line.strip() for line in str(error).splitlines() if line.strip()), type(error).__name__)


def set_apart_name(raw: DataFrame, settings: SegmentSettings) -> Column:
    """The name of the first set-apart rule that holds (null = KMeans segments the customer).

    A rule whose condition does not resolve on ``raw`` (e.g. the default leavers rule on your own table
    without ``all_accounts_closed``) is skipped with a warning naming it; one that is not SQL stops the run.
    """
    name = F.lit(None).cast("string")
    for rule in reversed(settings.set_apart):
        try:
            raw.select(F.expr(rule.when))  # analysis only, no job
        except ParseException as error:
            raise CrmMiningError(
                f"segment.set_apart {rule.name!r}: {rule.when!r} is not a Spark SQL condition "
                f"({first_line(error)})"
            ) from None
        except AnalysisException as error:
            reason = first_line(error)
            log.warning(
                "segment.set_apart %r (%s) skipped on %s: %s",
                rule.name,
                rule.when,
                source_name(settings),
                reason,
            )
            continue
        name = F.when(
            F.coalesce(F.expr(rule.when).cast("boolean"), F.lit(False)), F.lit(rule.name)
        ).otherwise(name)
    return name


def to_cluster(frame: DataFrame) -> DataFrame:
    """The customers KMeans segments: those no set-apart rule took (all, for a frame without the column)."""
    return frame.where(F.col(SET_APART).isNull()) if SET_APART in frame.columns else frame


def customer_frame(raw: DataFrame, settings: SegmentSettings) -> DataFrame:
    """customer_id, snapshot_date, features and profile columns as double, products (or null)."""
    lake = settings.source == "lake"
    id_column = "customer_id" if lake else settings.id_column
    snapshot_column = "snapshot_date" if lake else settings.snapshot_column
    needed = [id_column, *settings.features, *settings.categorical_features] + (
        [snapshot_column] if snapshot_column else []
    )
    missing = [c for c in needed if c not in raw.columns]
    if missing:
        raise CrmMiningError(
            f"{source_name(settings)} lacks column(s) {', '.join(missing)} that segment needs"
        )
    snapshot = (
        F.to_date(F.col(snapshot_column))
        if snapshot_column
        else F.lit(settings.snapshot_date or dt.date.today())
    )
    products = F.col("products") if "products" in raw.columns else F.lit(None).cast("array<string>")
    columns = profile_columns(settings, raw.columns)
    return raw.select(
        F.col(id_column).cast("string").alias("customer_id"),
        snapshot.alias("snapshot_date"),
        *[F.col(c).cast("double").alias(c) for c in columns],
        *[F.col(c).cast("string").alias(c) for c in settings.categorical_features],
        products.alias("products"),
        set_apart_name(raw, settings).alias(SET_APART),
    )


def snapshots_to_score(frame: DataFrame, settings: SegmentSettings) -> list[dt.date]:
    """The target snapshot (configured or latest) and up to ``history_snapshots`` before it, oldest first."""
    # One row per snapshot date: bounded by the number of snapshots, not by customers.
    present = sorted(r.snapshot_date for r in frame.select("snapshot_date").distinct().collect())
    if not present:
        raise CrmMiningError(f"{source_name(settings)} has no customers to segment")
    target = settings.snapshot_date or present[-1]
    if target not in present:
        raise CrmMiningError(
            f"segment.snapshot_date {target} not in {source_name(settings)} (it has {present[0]} .. {present[-1]})"
        )
    earlier = (
        [d for d in present if d < target][-settings.history_snapshots :]
        if settings.history_snapshots
        else []
    )
    return [*earlier, target]
