"""The learned value method: MLlib gradient-boosted trees on the customer's own history.

Trained on an earlier cut-off: features as of ``as_of`` - H months (``history.HISTORY_FEATURES`` plus
the BG/NBD prediction and P(alive) fitted at that cut-off, so the trees learn a correction of the
model rather than start from nothing), labels = purchase days and spend in the H months up to
``as_of``. Applied at ``as_of`` to the same features, it predicts the next H months. Squared loss, so
the predictions are conditional means (totals stay unbiased when the next period behaves like the
last one). Everything is distributed: no customer rows go to the driver except through the BG/NBD fit.
"""

from __future__ import annotations

import datetime as dt

from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.feature import VectorAssembler
from pyspark.ml.regression import GBTRegressor
from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)

from crm_mining.config.lifecycle import ValueSettings
from crm_mining.lifecycle.value.history import (
    DAYS_PER_MONTH,
    HISTORY_FEATURES,
    history_features,
    with_outcomes,
)

MODEL_FEATURES = (*HISTORY_FEATURES, "bgnbd_purchases", "p_alive")
TARGETS = {"purchases": "actual_purchases", "spend": "actual_spend"}


def gbt_pipeline(label: str, settings: ValueSettings) -> Pipeline:
    """VectorAssembler over ``MODEL_FEATURES`` + GBTRegressor on ``label`` (prediction column ``predicted_<target>``)."""
    target = next(t for t, column in TARGETS.items() if column == label)
    return Pipeline(
        stages=[
            VectorAssembler(inputCols=list(MODEL_FEATURES), outputCol="features", handleInvalid="keep"),
            GBTRegressor(
                featuresCol="features",
                labelCol=label,
                predictionCol=f"raw_{target}",
                maxDepth=settings.gbt_max_depth,
                maxIter=settings.gbt_max_iter,
                stepSize=settings.gbt_step_size,
                minInstancesPerNode=settings.gbt_min_instances_per_node,
                seed=settings.seed,
            ),
        ]
    )


def training_cutoff(as_of: dt.date, months: int) -> dt.date:
    """The earlier cut-off whose next ``months`` (30-day) months end at ``as_of``."""
    return as_of - dt.timedelta(days=DAYS_PER_MONTH * months)


def fit_gbt(training: DataFrame, settings: ValueSettings) -> dict[str, PipelineModel]:
    """One fitted pipeline per target (purchases, spend) from rows with ``MODEL_FEATURES`` and the labels."""
    return {target: gbt_pipeline(label, settings).fit(training) for target, label in TARGETS.items()}


def with_gbt_predictions(features: DataFrame, models: dict[str, PipelineModel]) -> DataFrame:
    """``features`` plus predicted_purchases and predicted_spend (never below 0)."""
    scored = features
    for model in models.values():
        scored = model.transform(scored).drop("features")
    return scored.select(
        *features.columns,
        F.greatest(F.col("raw_purchases"), F.lit(0.0)).alias("predicted_purchases"),
        F.greatest(F.col("raw_spend"), F.lit(0.0)).alias("predicted_spend"),
    )


def learned_predictions(
    transactions: DataFrame, as_of: dt.date, months: int, settings: ValueSettings, bgnbd_features
) -> tuple[DataFrame, dict]:
    """Train at ``as_of`` - months, predict the ``months`` after ``as_of`` for every customer with a
    purchase on or before ``as_of``. ``bgnbd_features(features, cutoff)`` adds bgnbd_purchases and p_alive.

    Returns (customer_id, ``MODEL_FEATURES``, predicted_purchases, predicted_spend) and a fit summary.
    """
    earlier = training_cutoff(as_of, months)
    training = with_outcomes(
        bgnbd_features(history_features(transactions, earlier), earlier), transactions, earlier, months
    ).cache()
    trained_on = training.count()
    models = fit_gbt(training, settings)
    training.unpersist()
    current = bgnbd_features(history_features(transactions, as_of), as_of)
    summary = {
        "trained_at": earlier.isoformat(),
        "trained_on_customers": trained_on,
        "months": months,
        "max_depth": settings.gbt_max_depth,
        "max_iter": settings.gbt_max_iter,
    }
    return with_gbt_predictions(current, models), summary
