"""The segmentation pipeline (Imputer -> signed log1p -> VectorAssembler -> StandardScaler -> KMeans).

``preprocessing`` is fitted once per fit; ``fit_kmeans`` fits KMeans for one k on the scaled vectors;
``selection_rows`` scores each k of the range. Column names: ``<feature>__imputed``, ``<feature>__x``
(after the log1p), ``raw_vector``, ``scaled`` (standardised vector) and ``cluster`` (KMeans index).
"""

from __future__ import annotations

from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.clustering import KMeans, KMeansModel
from pyspark.ml.evaluation import ClusteringEvaluator
from pyspark.ml.feature import (
    Imputer,
    OneHotEncoder,
    SQLTransformer,
    StandardScaler,
    StringIndexer,
    VectorAssembler,
)
from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)

from crm_mining import CrmMiningError
from crm_mining.config.segment import SegmentSettings
from crm_mining.segment.rules import KCandidate

SCALED, CLUSTER = "scaled", "cluster"


def transformed_column(feature: str, log1p: bool) -> str:
    source = f"`{feature}__imputed`"
    value = f"sign({source}) * log1p(abs({source}))" if log1p else source
    return f"{value} AS `{feature}__x`"


def preprocessing(settings: SegmentSettings) -> Pipeline:
    """Median imputation, sign(x)*log1p(|x|) on ``log1p_columns``, one-hot categoricals, assembly, scaling."""
    features, categorical = settings.features, settings.categorical_features
    log1p = set(settings.log1p_columns)
    stages = []
    if features:
        expressions = ", ".join(transformed_column(c, c in log1p) for c in features)
        stages += [
            Imputer(inputCols=features, outputCols=[f"{c}__imputed" for c in features], strategy="median"),
            SQLTransformer(statement=f"SELECT *, {expressions} FROM __THIS__"),
        ]
    if categorical:
        indexed = [f"{c}__index" for c in categorical]
        stages += [
            StringIndexer(
                inputCols=categorical, outputCols=indexed, handleInvalid="keep", stringOrderType="alphabetAsc"
            ),
            OneHotEncoder(
                inputCols=indexed,
                outputCols=[f"{c}__x" for c in categorical],
                dropLast=False,
                handleInvalid="keep",
            ),
        ]
    assembled = [f"{c}__x" for c in [*features, *categorical]]
    return Pipeline(
        stages=[
            *stages,
            VectorAssembler(inputCols=assembled, outputCol="raw_vector"),
            StandardScaler(inputCol="raw_vector", outputCol=SCALED, withMean=True, withStd=True),
        ]
    )


def kmeans(settings: SegmentSettings, k: int, seed: int) -> KMeans:
    return KMeans(
        featuresCol=SCALED,
        predictionCol=CLUSTER,
        k=k,
        initMode="k-means||",
        initSteps=settings.init_steps,
        maxIter=settings.max_iter,
        tol=settings.tol,
        seed=seed,
    )


def check_features_not_all_null(frame: DataFrame, settings: SegmentSettings, source: str) -> None:
    """The Imputer cannot fill a column that has no value at all: name it instead of Spark's trace."""
    if not settings.features:
        return
    counts = frame.agg(*[F.count(c).alias(c) for c in settings.features]).first()  # one row
    empty = [c for c in settings.features if counts[c] == 0]
    if empty:
        raise CrmMiningError(
            f"{source}: feature column(s) {', '.join(empty)} have no values; drop them from segment.features"
        )


def fit_kmeans(scaled: DataFrame, settings: SegmentSettings, k: int) -> KMeansModel:
    """The lowest-cost of ``n_init`` KMeans runs (seeds seed .. seed + n_init - 1); ``scaled`` should be cached."""
    runs = [kmeans(settings, k, settings.seed + i).fit(scaled) for i in range(settings.n_init)]
    return min(runs, key=lambda m: m.summary.trainingCost)


def smallest_share(model: KMeansModel) -> float:
    sizes = model.summary.clusterSizes  # k numbers
    return min(sizes) / sum(sizes)


def silhouette(model: KMeansModel, sample: DataFrame) -> float | None:
    """Silhouette (squared Euclidean, as ClusteringEvaluator) on ``sample``; None if it has < 2 clusters."""
    predicted = model.transform(sample)
    if predicted.select(CLUSTER).distinct().limit(2).count() < 2:
        return None
    return ClusteringEvaluator(featuresCol=SCALED, predictionCol=CLUSTER).evaluate(predicted)


def bounded_sample(scaled: DataFrame, customers: int, settings: SegmentSettings) -> DataFrame:
    """About ``silhouette_sample`` rows (all of them when there are fewer)."""
    fraction = min(1.0, settings.silhouette_sample / max(customers, 1))
    return scaled if fraction >= 1.0 else scaled.sample(fraction=fraction, seed=settings.seed)


def candidate(model: KMeansModel, sample: DataFrame, k: int) -> KCandidate:
    return KCandidate(k, silhouette(model, sample), float(model.summary.trainingCost), smallest_share(model))


def k_range(settings: SegmentSettings) -> list[int]:
    return [settings.k] if settings.k else list(range(settings.k_min, settings.k_max + 1))


def fit_candidates(
    scaled: DataFrame, customers: int, settings: SegmentSettings
) -> tuple[list[KCandidate], dict[int, KMeansModel]]:
    """KMeans for every k in the range (or the fixed k) with its silhouette, cost and smallest share."""
    ks = [k for k in k_range(settings) if k < customers]
    if not ks:
        raise CrmMiningError(f"segment: {customers} customers are too few for k in {k_range(settings)}")
    sample = bounded_sample(scaled, customers, settings).cache()
    models = {k: fit_kmeans(scaled, settings, k) for k in ks}
    candidates = [candidate(models[k], sample, k) for k in ks]
    sample.unpersist()
    return candidates, models


def full_pipeline(prep: PipelineModel, model: KMeansModel) -> PipelineModel:
    return PipelineModel(stages=[*prep.stages, model])


def kmeans_stage(pipeline: PipelineModel) -> KMeansModel:
    return pipeline.stages[-1]
