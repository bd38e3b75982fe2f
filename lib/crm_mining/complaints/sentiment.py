"""Sentiment per text: a lexicon (no training) or a classifier trained on labelled texts.

- ``lexicon``: vaderSentiment's compound score (its lexicon ships inside the package) for texts without
  CJK characters, ``lexicon_zh.score_zh`` for texts with them; applied as a pandas UDF (no Spark built-in
  scores sentiment). Scores are in -1..1.
- ``classifier``: a multinomial ``LogisticRegression`` on the term counts of the text pipeline, trained
  on the rows whose label column holds negative / neutral / positive; score = P(positive) - P(negative).

``with_sentiment_label`` maps a score to negative / neutral / positive with the configured thresholds.
"""

from __future__ import annotations

import re

import pandas as pd
from pyspark.ml.classification import LogisticRegression, LogisticRegressionModel
from pyspark.ml.functions import vector_to_array
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F  # noqa: N812 (the project convention)
from pyspark.sql.types import DoubleType

from crm_mining.complaints.lexicon_zh import score_zh
from crm_mining.config.complaints import ComplaintSettings

LABELS = ("negative", "neutral", "positive")  # class index = position
CJK = re.compile(r"[\u4e00-\u9fff]")
_analyzer = None


def analyzer():
    """One VADER analyser per Python worker (loading its lexicon takes ~50 ms)."""
    global _analyzer
    if _analyzer is None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        _analyzer = SentimentIntensityAnalyzer()
    return _analyzer


def score_text(text: str | None) -> float | None:
    """Lexicon sentiment of one text in -1..1; None for a null text."""
    if text is None:
        return None
    if CJK.search(text):
        return score_zh(text)
    return float(analyzer().polarity_scores(text)["compound"])


@F.pandas_udf(DoubleType())
def lexicon_score(texts: pd.Series) -> pd.Series:
    return texts.map(score_text).astype("float64")


def sentiment_label(score: Column, settings: ComplaintSettings) -> Column:
    return (
        F.when(score.isNull(), F.lit(None).cast("string"))
        .when(score < settings.negative_below, "negative")
        .when(score > settings.positive_above, "positive")
        .otherwise("neutral")
    )


def with_lexicon_sentiment(df: DataFrame, settings: ComplaintSettings, text: str = "text") -> DataFrame:
    """Adds sentiment_score (double, -1..1) and sentiment_label from the lexicons."""
    scored = df.withColumn("sentiment_score", lexicon_score(F.col(text)))
    return scored.withColumn("sentiment_label", sentiment_label(F.col("sentiment_score"), settings))


def label_index(label: Column) -> Column:
    """negative -> 0, neutral -> 1, positive -> 2 (case-insensitive); anything else null."""
    value = F.lower(F.trim(label))
    expr = F.when(value == LABELS[0], 0.0)
    for i, name in enumerate(LABELS[1:], start=1):
        expr = expr.when(value == name, float(i))
    return expr


def fit_classifier(counted: DataFrame, label_column: str, seed: int) -> LogisticRegressionModel:
    """Multinomial logistic regression on ``terms`` (CountVectorizer output) of the labelled rows."""
    labelled = counted.withColumn("label", label_index(F.col(label_column))).where(F.col("label").isNotNull())
    return LogisticRegression(
        featuresCol="terms", labelCol="label", family="multinomial", regParam=0.01, maxIter=100
    ).fit(labelled)


def with_classifier_sentiment(
    counted: DataFrame, model: LogisticRegressionModel, settings: ComplaintSettings
) -> DataFrame:
    """Adds sentiment_score = P(positive) - P(negative) and sentiment_label = the likeliest class."""
    p = vector_to_array(F.col("sentiment_probability"))
    scored = model.setProbabilityCol("sentiment_probability").setPredictionCol("sentiment_class")
    scored = scored.setRawPredictionCol("sentiment_raw").transform(counted)
    names = F.array(*[F.lit(n) for n in LABELS])
    # F.get: null (then 0) when the labelled rows had fewer than three classes.
    positive, negative = F.coalesce(F.get(p, 2), F.lit(0.0)), F.coalesce(F.get(p, 0), F.lit(0.0))
    return (
        scored.withColumn("sentiment_score", positive - negative)
        .withColumn("sentiment_label", F.element_at(names, F.col("sentiment_class").cast("int") + 1))
        .drop("sentiment_probability", "sentiment_class", "sentiment_raw")
    )
