"""Stage `complaints`: topics (LDA) and sentiment of interaction texts. Entry point:
``mine_complaints(spark, config) -> summary``.

Flow: silver.interactions (or your own texts, ``complaints.source``) -> the text pipeline of
``text.py`` fitted on every usable text and saved under ``<lake>/models/complaints/pipeline`` -> topic
and topic weight per text -> sentiment (``sentiment.py``: lexicons, or a classifier saved under
``.../sentiment``) -> gold.interaction_insights, then gold.complaint_trends (topic x month) and
gold.complaint_topics (top terms per topic) from it. See docs/complaints.md.
"""

from __future__ import annotations

import logging
import time

from pyspark.ml import PipelineModel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining import CrmMiningError
from crm_mining.complaints.sentiment import fit_classifier, with_classifier_sentiment, with_lexicon_sentiment
from crm_mining.complaints.source import canonical_texts, read_raw, source_name, usable
from crm_mining.complaints.text import HAN, text_pipeline, topic_terms, with_topic
from crm_mining.config import Config
from crm_mining.layout import in_canonical_layout
from crm_mining.tables import Lake, absolute

__all__ = ["mine_complaints"]

log = logging.getLogger(__name__)
INSIGHTS = "gold.interaction_insights"


def model_dir(config: Config) -> str:
    return (
        absolute(config.complaints.model_dir) or f"{absolute(config.lake.root).rstrip('/')}/models/complaints"
    )


def mine_complaints(spark: SparkSession, config: Config) -> dict:
    """Fit and save the text pipeline, write the three gold tables; return a JSON-able summary."""
    started = time.monotonic()
    settings = config.complaints
    lake = Lake(config)
    texts = canonical_texts(read_raw(spark, config), settings)
    # LDA's online optimiser samples documents per partition: the canonical layout makes a refit on the same
    # texts give the same topics.
    rows = in_canonical_layout(texts.where(usable()), "interaction_id").persist()
    counts = rows.agg(F.count("*").alias("usable")).first()
    unusable = texts.where(~usable()).count()
    if unusable:
        log.warning(
            "%d rows of %s lack an id, customer, timestamp or text: left out", unusable, source_name(settings)
        )
    if not counts["usable"]:
        raise CrmMiningError(f"{source_name(settings)} has no usable texts to mine")

    model = text_pipeline(settings).fit(rows)
    directory = model_dir(config)
    model.write().overwrite().save(f"{directory}/pipeline")
    scored = model.transform(rows).transform(with_topic)
    if settings.sentiment_method == "classifier":
        classifier = fit_classifier(scored, "label", settings.seed)
        classifier.write().overwrite().save(f"{directory}/sentiment")
        scored = with_classifier_sentiment(scored, classifier, settings)
    else:
        scored = with_lexicon_sentiment(scored, settings)

    lake.write(scored.transform(insight_columns), INSIGHTS)
    insights = lake.read(spark, INSIGHTS)
    lake.write(complaint_trends(insights), "gold.complaint_trends")
    topics = topic_terms(model, settings.top_terms)
    lake.write(topic_summary(spark, topics, insights), "gold.complaint_topics")
    rows.unpersist()
    # Bounded driver read: one row per sentiment label (negative, neutral, positive).
    labels = {r["sentiment_label"]: r["count"] for r in insights.groupBy("sentiment_label").count().collect()}
    return {
        "source": source_name(settings),
        "texts": counts["usable"],
        "unusable_rows": unusable,
        "sentiment_method": settings.sentiment_method,
        "sentiment_labels": labels,
        "topics": {t["topic"]: t["top_terms"] for t in topics},
        "model_dir": directory,
        "seconds": round(time.monotonic() - started, 1),
    }


def load_pipeline(config: Config) -> PipelineModel:
    """The saved text pipeline (for scoring new texts with the same topics)."""
    return PipelineModel.load(f"{model_dir(config)}/pipeline")


def insight_columns(df: DataFrame) -> DataFrame:
    """gold.interaction_insights: one row per text (docs/data_contract.md)."""
    return df.select(
        "interaction_id",
        "customer_id",
        "interaction_ts",
        "interaction_date",
        F.trunc("interaction_date", "month").alias("interaction_month"),
        "kind",
        F.when(F.col("text").rlike(f"[{HAN}]"), "zh").otherwise("en").alias("language"),
        F.col("text").alias("text_masked"),
        F.col("topic").cast("int").alias("topic"),
        F.col("topic_weight").cast("double").alias("topic_weight"),
        F.col("sentiment_score").cast("double").alias("sentiment_score"),
        F.col("sentiment_label").cast("string").alias("sentiment_label"),
    )


def complaint_trends(insights: DataFrame) -> DataFrame:
    """gold.complaint_trends: per month and topic, texts, complaints, negative ones and mean sentiment."""
    complaint = F.col("kind") == "COMPLAINT"
    negative = F.col("sentiment_label") == "negative"
    return (
        insights.groupBy("interaction_month", "topic")
        .agg(
            F.count("*").alias("interactions"),
            F.count(F.when(complaint, 1)).alias("complaints"),
            F.count(F.when(negative, 1)).alias("negative"),
            F.count(F.when(complaint & negative, 1)).alias("negative_complaints"),
            F.avg("sentiment_score").alias("mean_sentiment"),
        )
        .select(
            F.col("interaction_month").alias("month"),
            "topic",
            F.col("interactions").cast("long"),
            F.col("complaints").cast("long"),
            F.col("negative").cast("long"),
            F.col("negative_complaints").cast("long"),
            (F.col("negative") / F.col("interactions")).alias("negative_share"),
            F.col("mean_sentiment").cast("double"),
        )
    )


def topic_summary(spark: SparkSession, topics: list[dict], insights: DataFrame) -> DataFrame:
    """gold.complaint_topics: per topic its top terms and weights, texts assigned and their mean sentiment."""
    terms = spark.createDataFrame(topics, "topic int, top_terms array<string>, term_weights array<double>")
    assigned = insights.groupBy("topic").agg(
        F.count("*").alias("interactions"), F.avg("sentiment_score").alias("mean_sentiment")
    )
    per_topic = terms.join(assigned, "topic", "left").withColumn(
        "interactions", F.coalesce("interactions", F.lit(0))
    )
    # The k topic rows joined to their one-row total (a window over no partition says the same, with
    # Spark's warning about moving all data to one partition on every run).
    total = F.col("_total")
    return per_topic.crossJoin(per_topic.agg(F.sum("interactions").alias("_total"))).select(
        "topic",
        "top_terms",
        "term_weights",
        F.col("interactions").cast("long"),
        (F.col("interactions") / total).alias("share"),
        F.col("mean_sentiment").cast("double"),
    )
