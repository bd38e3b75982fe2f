"""The text pipeline: normalise -> tokens (English words, Chinese character bigrams) -> stop words ->
term counts -> LDA topics. Built-in Spark ML stages only, so the fitted pipeline saves and reloads.

Tokenisation: Chinese has no spaces, so a ``SQLTransformer`` lower-cases the text and rewrites each run
of CJK characters as its overlapping character bigrams ("手续费" -> "手续 续费 费"); a ``RegexTokenizer``
then keeps Latin words of at least ``min_token_length`` letters and CJK bigrams (a lone CJK character is
dropped: single characters carry little topic). Character bigrams are the usual segmenter-free baseline
for Chinese retrieval and need no dictionary.
"""

from __future__ import annotations

from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.clustering import LDA, LDAModel
from pyspark.ml.feature import (
    CountVectorizer,
    CountVectorizerModel,
    RegexTokenizer,
    SQLTransformer,
    StopWordsRemover,
)
from pyspark.ml.functions import vector_to_array
from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining.config.complaints import ComplaintSettings

HAN = "一-鿿"  # CJK Unified Ideographs U+4E00..U+9FFF, as a regex character range
# Each CJK character followed by another becomes the pair and a space ($1$2 + " ").
NORMALISE = (
    f"SELECT *, regexp_replace(lower(text), '([{HAN}])(?=([{HAN}]))', '$1$2 ') AS text_normalised "
    "FROM __THIS__"
)


def token_pattern(min_length: int) -> str:
    return f"[a-zà-ÿ]{{{min_length},}}|[{HAN}]{{2}}"


def tokenisation(settings: ComplaintSettings) -> list:
    """Stages text -> tokens -> words (stop words removed)."""
    stop_words = sorted(set(StopWordsRemover.loadDefaultStopWords("english")) | set(settings.stop_words))
    return [
        SQLTransformer(statement=NORMALISE),
        RegexTokenizer(
            inputCol="text_normalised",
            outputCol="tokens",
            pattern=token_pattern(settings.min_token_length),
            gaps=False,
            toLowercase=False,
            minTokenLength=1,
        ),
        StopWordsRemover(inputCol="tokens", outputCol="words", stopWords=stop_words),
    ]


def text_pipeline(settings: ComplaintSettings) -> Pipeline:
    """Tokenisation, CountVectorizer (``terms``) and LDA (``topic_distribution``)."""
    return Pipeline(
        stages=[
            *tokenisation(settings),
            CountVectorizer(
                inputCol="words",
                outputCol="terms",
                vocabSize=settings.vocab_size,
                minDF=float(settings.min_doc_freq),
            ),
            LDA(
                featuresCol="terms",
                topicDistributionCol="topic_distribution",
                k=settings.topic_count,
                maxIter=settings.max_iter,
                seed=settings.seed,
                optimizer="online",
                subsamplingRate=settings.subsampling_rate,
            ),
        ]
    )


def with_topic(df: DataFrame) -> DataFrame:
    """Adds topic (int, 0-based index of the largest topic weight; null for a text with no known term)
    and topic_weight (double, that weight)."""
    weights = vector_to_array(F.col("topic_distribution"))
    weight = F.array_max(weights)
    has_terms = F.size(F.col("words")) > 0
    return df.withColumn("topic_weight", F.when(has_terms, weight)).withColumn(
        "topic", F.when(has_terms, (F.array_position(weights, weight) - 1).cast("int"))
    )


def vocabulary(model: PipelineModel) -> list[str]:
    return next(s for s in model.stages if isinstance(s, CountVectorizerModel)).vocabulary


def lda_model(model: PipelineModel) -> LDAModel:
    return next(s for s in model.stages if isinstance(s, LDAModel))


def topic_terms(model: PipelineModel, top: int) -> list[dict]:
    """Per topic: its index, top terms and their weights (a k x top driver read, bounded by config)."""
    vocab = vocabulary(model)
    rows = lda_model(model).describeTopics(top).collect()
    return [
        {
            "topic": int(r["topic"]),
            "top_terms": [vocab[i] for i in r["termIndices"]],
            "term_weights": [float(w) for w in r["termWeights"]],
        }
        for r in sorted(rows, key=lambda r: r["topic"])
    ]
