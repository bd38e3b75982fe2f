"""The segmentation pipeline (Imputer -> signed log1p -> VectorAssembler -> StandardScaler -> KMeans).

``preprocessing`` is fitted once per fit; ``fit_kmeans`` fits KMeans for one k on the scaled vectors;
``selection_rows`` scores each k of the range. Column names: ``<feature>__imputed``, ``<feature>__x``
(after the log1p), ``raw_vector``, ``scaled`` (standardised vector) and ``cluster`` (KMeans index).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

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
from crm_mining.layout import in_canonical_layout, partitions_for
from crm_mining.segment.rules import KCandidate, choose_k

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


def scaled_in_canonical_layout(
    prep: PipelineModel, target: DataFrame, customers: int, rows_per_partition: int
) -> DataFrame:
    """customer_id and the scaled vector of ``target``'s ``customers`` rows in the canonical layout
    (``crm_mining.layout``) of ceil(customers / rows_per_partition) partitions: KMeans|| and the
    silhouette sample draw rows per partition, and the same customers must give the same model and k."""
    partitions = partitions_for(target.sparkSession, customers, rows_per_partition)
    scaled = prep.transform(target).select("customer_id", SCALED)
    return in_canonical_layout(scaled, "customer_id", partitions=partitions)


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


def fitted_runs(scaled: DataFrame, settings: SegmentSettings, k: int, seeds: list[int]) -> list[KMeansModel]:
    """One KMeans fit per seed, up to ``parallel_fits`` at a time; ``scaled`` should be cached.

    On small data each KMeans iteration is a short Spark job whose time is mostly scheduling, so fits from
    parallel driver threads overlap well; each fit is still deterministic for its seed.
    """
    if settings.parallel_fits == 1 or len(seeds) == 1:
        return [kmeans(settings, k, seed).fit(scaled) for seed in seeds]
    with ThreadPoolExecutor(max_workers=settings.parallel_fits) as pool:
        return list(pool.map(lambda seed: kmeans(settings, k, seed).fit(scaled), seeds))


def lowest_cost(models: list[KMeansModel]) -> KMeansModel:
    return min(models, key=lambda m: m.summary.trainingCost)


def fit_kmeans(
    scaled: DataFrame,
    settings: SegmentSettings,
    k: int,
    first_seed: int | None = None,
    done: list | None = None,
) -> KMeansModel:
    """The lowest-cost of ``n_init`` KMeans runs, seeds first_seed (default ``seed``) .. + n_init - 1.

    ``done``: runs already fitted at this k with the first seeds (e.g. during the k search), reused.
    """
    start = settings.seed if first_seed is None else first_seed
    done = list(done or [])
    seeds = [start + i for i in range(len(done), settings.n_init)]
    return lowest_cost(done + fitted_runs(scaled, settings, k, seeds))


def smallest_share(model: KMeansModel) -> float:
    sizes = model.summary.clusterSizes  # k numbers
    return min(sizes) / sum(sizes)


def silhouette(model: KMeansModel, sample: DataFrame) -> float | None:
    """Silhouette (squared Euclidean, as ClusteringEvaluator) on ``sample``; None if it has < 2 clusters."""
    predicted = model.transform(sample).cache()
    try:
        if predicted.select(CLUSTER).distinct().limit(2).count() < 2:
            return None
        return ClusteringEvaluator(featuresCol=SCALED, predictionCol=CLUSTER).evaluate(predicted)
    finally:
        predicted.unpersist()


def bounded_sample(scaled: DataFrame, customers: int, settings: SegmentSettings) -> DataFrame:
    """About ``silhouette_sample`` rows (all of them when there are fewer)."""
    fraction = min(1.0, settings.silhouette_sample / max(customers, 1))
    return scaled if fraction >= 1.0 else scaled.sample(fraction=fraction, seed=settings.seed)


def candidate(model: KMeansModel, sample: DataFrame, k: int) -> KCandidate:
    return KCandidate(k, silhouette(model, sample), float(model.summary.trainingCost), smallest_share(model))


def k_range(settings: SegmentSettings) -> list[int]:
    return [settings.k] if settings.k else list(range(settings.k_min, settings.k_max + 1))


def search_runs(scaled: DataFrame, settings: SegmentSettings, ks: list[int]) -> dict[int, list[KMeansModel]]:
    """``selection_n_init`` runs (seeds seed ..) for every k of the search, all in one pool of threads."""
    jobs = [(k, settings.seed + i) for k in ks for i in range(settings.selection_n_init)]
    fit = lambda job: kmeans(settings, job[0], job[1]).fit(scaled)  # noqa: E731
    if settings.parallel_fits == 1:
        fitted = [fit(job) for job in jobs]
    else:
        with ThreadPoolExecutor(max_workers=settings.parallel_fits) as pool:
            fitted = list(pool.map(fit, jobs))
    runs: dict[int, list[KMeansModel]] = {k: [] for k in ks}
    for (k, _), model in zip(jobs, fitted, strict=True):
        runs[k].append(model)
    return runs


def fit_candidates(
    scaled: DataFrame, customers: int, settings: SegmentSettings
) -> tuple[list[KCandidate], KMeansModel, str]:
    """Choose k and fit its model: (every k's figures, the chosen k's best-of-``n_init`` model, the rule).

    With a k range, each k gets ``selection_n_init`` KMeans runs (its best is scored: silhouette, cost,
    smallest share) and k is chosen by the rule; only the chosen k then gets the rest of its ``n_init`` runs,
    and its row shows the final model's figures. A fixed k gets its ``n_init`` runs directly.
    """
    ks = [k for k in k_range(settings) if k < customers]
    if not ks:
        raise CrmMiningError(f"segment: {customers} customers are too few for k in {k_range(settings)}")
    sample = bounded_sample(scaled, customers, settings).cache()
    try:
        if len(ks) == 1:
            k, reason = ks[0], "k fixed by segment.k"
            chosen = fit_kmeans(scaled, settings, k)
            return [candidate(chosen, sample, k)], chosen, reason
        runs = search_runs(scaled, settings, ks)
        candidates = [candidate(lowest_cost(runs[k]), sample, k) for k in ks]
        k, reason = choose_k(candidates, settings.min_segment_share, settings.silhouette_tolerance)
        chosen = fit_kmeans(scaled, settings, k, done=runs[k])
        if chosen is not lowest_cost(runs[k]):
            candidates = [candidate(chosen, sample, k) if c.k == k else c for c in candidates]
        return candidates, chosen, reason
    finally:
        sample.unpersist()


def full_pipeline(prep: PipelineModel, model: KMeansModel) -> PipelineModel:
    return PipelineModel(stages=[*prep.stages, model])


def kmeans_stage(pipeline: PipelineModel) -> KMeansModel:
    return pipeline.stages[-1]
