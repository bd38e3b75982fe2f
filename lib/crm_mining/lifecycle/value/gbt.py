"""The learned value method: gradient-boosted MLlib trees that correct the BG/NBD prediction (boosted
as in ``boosting``: every tree shrunk, unlike GBTRegressor's full-weight first tree).

Trained on an earlier cut-off: features as of ``as_of`` - H months (``history.HISTORY_FEATURES``, the
BG/NBD prediction and P(alive) fitted at that cut-off, and, where ``gold.customer_features`` exists, the
``value.gbt_customer_features`` columns at its latest snapshot on or before the cut-off); labels = purchase
days and spend in the H months up to ``as_of``. Applied at ``as_of`` to the same features, it predicts the
next H months.

The trees learn the ratio of what happened to what BG/NBD predicted (weighted by the prediction), not the
level: a level learned from the previous H months of a book whose activity drifts is carried into the
next H months unchanged, while BG/NBD re-estimates the level from the customer's own history at every
cut-off and the ratio (who declines, who leaves without warning) is what stays stable. Weighted squared
loss on the ratio is squared loss on the level with variance proportional to the prediction, as for
counts. Everything is distributed: no customer rows go to the driver except through the BG/NBD fit.
"""

from __future__ import annotations

import datetime as dt
import logging

from pyspark.ml import PipelineModel
from pyspark.ml.feature import VectorAssembler
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)
from pyspark.sql.types import BooleanType, NumericType

from crm_mining.config.lifecycle import ValueSettings
from crm_mining.layout import in_canonical_layout, partitions_for
from crm_mining.lifecycle.value.boosting import boosted_trees
from crm_mining.lifecycle.value.history import (
    DAYS_PER_MONTH,
    HISTORY_FEATURES,
    history_features,
    with_outcomes,
)

MODEL_FEATURES = (*HISTORY_FEATURES, "bgnbd_purchases", "p_alive")
TARGETS = {"purchases": "actual_purchases", "spend": "actual_spend"}
# A ratio label divides by at least this many purchase days (see with_ratio_labels).
MIN_BASE_PURCHASES = 0.5
MIN_WEIGHT = 1e-6
log = logging.getLogger(__name__)
NO_PROFILE = -1.0  # a customer without a row at the profile snapshot, or a null value there


def training_cutoff(as_of: dt.date, months: int) -> dt.date:
    """The earlier cut-off whose next ``months`` (30-day) months end at ``as_of``."""
    return as_of - dt.timedelta(days=DAYS_PER_MONTH * months)


def history_shortfall(as_of: dt.date, months: int, backtest_cutoff: dt.date, backtest_months: int) -> str:
    """Why gbt's backtest does not vouch for it at ``as_of`` over ``months``, or "" if it does.

    The backtest trained gbt at ``backtest_cutoff`` - ``backtest_months``; applied over ``months`` it
    trains at ``as_of`` - ``months``. An earlier training cut-off sees less of the customers' history
    than the backtest did (on a one-year book a 12-month horizon trains on its first days), so the
    backtest's verdict does not carry over."""
    trains_at, validated_at = (
        training_cutoff(as_of, months),
        training_cutoff(backtest_cutoff, backtest_months),
    )
    if trains_at >= validated_at:
        return ""
    longest = (as_of - validated_at).days // DAYS_PER_MONTH
    return (
        f"over value.horizon_months={months} it would train at {trains_at}, on less history than at the "
        f"backtest's training cut-off {validated_at} (value.horizon_months <= {longest} would keep it)"
    )


def with_bases(features: DataFrame) -> DataFrame:
    """``features`` plus base_purchases and base_spend: the BG/NBD predictions (purchases, and purchases x
    Gamma-Gamma spend per purchase) that the learned ratios multiply and that weight them in training."""
    purchases = F.greatest(F.col("bgnbd_purchases"), F.lit(MIN_WEIGHT))  # MLlib weights must be > 0
    spend = purchases * spend_per_purchase()
    return features.select(*features.columns, purchases.alias("base_purchases"), spend.alias("base_spend"))


def spend_per_purchase() -> Column:
    return F.greatest(F.col("bgnbd_avg_spend"), F.lit(0.01))  # a cent: no ratio divides by 0


def with_ratio_labels(training: DataFrame) -> DataFrame:
    """Training rows plus purchases_ratio and spend_ratio: what happened over the BG/NBD base, with the
    base taken as at least ``MIN_BASE_PURCHASES`` purchase days. A customer BG/NBD had given up on who came
    back has a large ratio, and a weight (the base) near 0, so that a few of them do not steer the trees."""
    days = F.greatest(F.col("bgnbd_purchases"), F.lit(MIN_BASE_PURCHASES))
    below = {"purchases": days, "spend": days * spend_per_purchase()}
    return training.select(
        *training.columns,
        *((F.col(f"actual_{target}") / below[target]).alias(f"{target}_ratio") for target in TARGETS),
    )


def fit_gbt(training: DataFrame, features: list[str], settings: ValueSettings) -> dict[str, PipelineModel]:
    """One fitted pipeline per target (purchases, spend) from rows with ``features``, bases and ratios:
    VectorAssembler + boosted trees of ``<target>_ratio`` weighted by ``base_<target>`` (prediction column
    ``<target>_ratio_predicted``)."""
    assembler = VectorAssembler(inputCols=features, outputCol="features", handleInvalid="keep")
    assembled = assembler.transform(training).cache()  # every boosting iteration reads it
    models = {}
    for target in TARGETS:
        trees = boosted_trees(
            assembled,
            label=f"{target}_ratio",
            weight=f"base_{target}",
            max_depth=settings.gbt_max_depth,
            iterations=settings.gbt_max_iter,
            step=settings.gbt_step_size,
            min_instances_per_node=settings.gbt_min_instances_per_node,
            seed=settings.seed,
        )
        models[target] = PipelineModel([assembler, trees.setPredictionCol(f"{target}_ratio_predicted")])
    assembled.unpersist()
    return models


def with_gbt_predictions(features: DataFrame, models: dict[str, PipelineModel]) -> DataFrame:
    """``features`` (with bases) plus predicted_purchases and predicted_spend (ratio x base, never below 0)."""
    scored = features
    for model in models.values():
        scored = model.transform(scored).drop("features")
    return scored.select(
        *features.columns,
        *(
            (F.greatest(F.col(f"{target}_ratio_predicted"), F.lit(0.0)) * F.col(f"base_{target}")).alias(
                f"predicted_{target}"
            )
            for target in TARGETS
        ),
    )


def profile_snapshot(dates: list[dt.date], cutoff: dt.date) -> dt.date | None:
    """The latest of the profile snapshot ``dates`` on or before ``cutoff``, if it is at most a month older."""
    latest = max((d for d in dates if d <= cutoff), default=None)
    return latest if latest is not None and (cutoff - latest).days <= DAYS_PER_MONTH + 1 else None


def profile_columns(
    profiles: DataFrame | None, settings: ValueSettings, cutoffs: tuple[dt.date, ...]
) -> tuple[list[str], list[dt.date], str]:
    """(the ``value.gbt_customer_features`` the profiles hold as numbers or flags, the snapshot used for
    each cut-off, why none are used)."""
    if profiles is None:
        return [], [], "no gold.customer_features"
    numeric = {f.name for f in profiles.schema.fields if isinstance(f.dataType, NumericType | BooleanType)}
    columns = [c for c in settings.gbt_customer_features if c in numeric]
    # One row per snapshot date (monthly snapshots: bounded by config, not by customers).
    dates = [r[0] for r in profiles.select("snapshot_date").distinct().collect()]
    snapshots = [profile_snapshot(dates, cutoff) for cutoff in cutoffs]
    if None in snapshots:
        days = ", ".join(c.isoformat() for c in cutoffs)
        return [], [], f"no gold.customer_features snapshot within a month before each of {days}"
    return columns, snapshots, "" if columns else "none of value.gbt_customer_features is a numeric column"


def with_profile(
    features: DataFrame, profiles: DataFrame, snapshot: dt.date, columns: list[str]
) -> DataFrame:
    """``features`` plus ``profile_<column>`` (double) from ``profiles`` at ``snapshot``; ``NO_PROFILE``
    where the customer has no row or the value is null."""
    at = profiles.where(F.col("snapshot_date") == F.lit(snapshot)).select(
        "customer_id", *(F.col(c).cast("double").alias(f"profile_{c}") for c in columns)
    )
    joined = features.join(at, "customer_id", "left")
    return joined.select(
        *features.columns,
        *(F.coalesce(F.col(f"profile_{c}"), F.lit(NO_PROFILE)).alias(f"profile_{c}") for c in columns),
    )


def learned_predictions(
    transactions: DataFrame,
    as_of: dt.date,
    months: int,
    settings: ValueSettings,
    bgnbd_features,
    profiles: DataFrame | None = None,
) -> tuple[DataFrame, dict]:
    """Train at ``as_of`` - months, predict the ``months`` after ``as_of`` for every customer with a
    purchase on or before ``as_of``. ``bgnbd_features(features, cutoff)`` adds bgnbd_purchases,
    bgnbd_avg_spend and p_alive; ``profiles``: gold.customer_features, when there is one.

    Returns (customer_id, the model's features, bases, predicted_purchases, predicted_spend) and a fit summary.
    """
    earlier = training_cutoff(as_of, months)
    columns, snapshots, why_none = profile_columns(profiles, settings, (earlier, as_of))
    if profiles is not None and not columns:  # e.g. features start less than a horizon before as_of
        log.warning("value gbt at %s: trained on the transaction history alone (%s)", as_of, why_none)

    def features_at(cutoff: dt.date, snapshot: dt.date | None) -> DataFrame:
        features = with_bases(bgnbd_features(history_features(transactions, cutoff), cutoff))
        return with_profile(features, profiles, snapshot, columns) if columns else features

    labelled = with_outcomes(
        features_at(earlier, snapshots[0] if columns else None), transactions, earlier, months
    )
    # The trees' split candidates and sums follow the row layout: the canonical one makes the fit repeatable.
    # Its partition count follows the customers, counted once from a cache of the rows; fit_gbt caches
    # the laid-out vectors the boosting iterations read, so the layout itself is not cached too.
    rows = with_ratio_labels(labelled).cache()
    trained_on = rows.count()
    partitions = partitions_for(rows.sparkSession, trained_on, settings.gbt_rows_per_partition)
    training = in_canonical_layout(rows, "customer_id", partitions=partitions)
    features = [*MODEL_FEATURES, *(f"profile_{c}" for c in columns)]
    models = fit_gbt(training, features, settings)
    rows.unpersist()
    current = features_at(as_of, snapshots[1] if columns else None)
    summary = {
        "trained_at": earlier.isoformat(),
        "trained_on_customers": trained_on,
        "months": months,
        "max_depth": settings.gbt_max_depth,
        "max_iter": settings.gbt_max_iter,
        "customer_features": columns,
        **(
            {"profile_snapshots": [d.isoformat() for d in snapshots]}
            if columns
            else {"no_customer_features": why_none}
        ),
    }
    return with_gbt_predictions(current, models), summary
