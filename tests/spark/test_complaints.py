"""complaints: tokenisation of English and Chinese, LDA topics and sentiment on a crafted corpus, the
classifier route, the saved pipeline reloaded, and the stage end to end on the sample lake."""

from __future__ import annotations

import dataclasses
import datetime as dt

from pyspark.ml import Pipeline, PipelineModel
from pyspark.sql import functions as F  # noqa: N812 (the project convention)
from pyspark.testing import assertDataFrameEqual

from crm_mining.complaints import load_pipeline, mine_complaints
from crm_mining.complaints.sentiment import with_lexicon_sentiment
from crm_mining.complaints.text import tokenisation
from crm_mining.config import load_config
from crm_mining.config.complaints import ComplaintSettings
from crm_mining.tables import Lake

DAY = dt.datetime(2025, 3, 10, 9)


def test_tokens_are_english_words_and_chinese_character_bigrams(spark):
    texts = spark.createDataFrame(
        [
            ("E", "The card FEE was charged twice, call +34 600 [phone]!"),
            ("Z", "手续费太高了"),
            ("M", "App登录失败 a ok"),
        ],
        "id string, text string",
    )
    model = Pipeline(stages=tokenisation(ComplaintSettings())).fit(texts)
    got = model.transform(texts).select("id", "words")
    # English: lower case, stop words (the, was; phone, call from the config list) and 1-letter words out.
    # Chinese: overlapping bigrams of each run of characters; a lone character is dropped.
    expected = spark.createDataFrame(
        [
            ("E", ["card", "fee", "charged", "twice"]),
            ("Z", ["手续", "续费", "费太", "太高", "高了"]),
            ("M", ["app", "登录", "录失", "失败", "ok"]),
        ],
        "id string, words array<string>",
    )
    assertDataFrameEqual(got, expected)


def test_lexicon_sentiment_of_english_and_chinese_texts(spark):
    texts = spark.createDataFrame(
        [
            ("1", "The staff was rude and unhelpful, terrible service"),
            ("2", "Thanks, the new app works great"),
            ("3", "When will my transfer arrive"),
            ("4", "I am not happy with the fee"),
            ("5", "手续费太高了，非常不满意"),
            ("6", "客服非常热情，服务很好"),
            ("7", "汇款多久能到账"),
            ("8", "服务并不满意"),
        ],
        "id string, text string",
    )
    got = with_lexicon_sentiment(texts, ComplaintSettings()).select("id", "sentiment_label")
    expected = spark.createDataFrame(
        [
            ("1", "negative"),
            ("2", "positive"),
            ("3", "neutral"),
            ("4", "negative"),  # negation: "not happy"
            ("5", "negative"),
            ("6", "positive"),
            ("7", "neutral"),
            ("8", "negative"),  # negation: 并不 + 满意
        ],
        "id string, sentiment_label string",
    )
    assertDataFrameEqual(got, expected)


VOCAB = {
    "fees": ["fee", "commission", "charged", "overdraft", "charge", "annual"],
    "card": ["card", "blocked", "frozen", "pin", "unblock", "declined"],
    "app": ["app", "login", "password", "crash", "update", "screen"],
}


def crafted_corpus(spark, tmp_path):
    """60 texts, 20 per topic, each 6 words drawn (deterministically) from its topic's vocabulary; written as
    parquet, a bank's own (id, customer, timestamp, text) table with a labelled sentiment."""
    rows = []
    for t, (topic, words) in enumerate(VOCAB.items()):
        for i in range(20):
            text = " ".join(words[(i * j + t) % len(words)] for j in range(1, 7))
            rows.append((f"{topic}-{i}", f"C{i % 7}", DAY + dt.timedelta(days=i * 5), text, topic))
    df = spark.createDataFrame(rows, "id string, cust string, ts timestamp, body string, true_topic string")
    path = str(tmp_path / "texts")
    df.write.parquet(path)
    return df, path


def byod_config(config, path, **changes):
    small = {"topic_count": 3, "min_doc_freq": 1, "max_iter": 20, "subsampling_rate": 1.0}
    settings = dataclasses.replace(
        config.complaints,
        source="parquet",
        location=path,
        id_column="id",
        customer_column="cust",
        timestamp_column="ts",
        text_column="body",
        **{**small, **changes},
    )
    return dataclasses.replace(config, complaints=settings)


def test_lda_finds_the_crafted_topics_and_the_pipeline_reloads(spark, config, tmp_path):
    corpus, path = crafted_corpus(spark, tmp_path)
    config = byod_config(config, path)
    summary = mine_complaints(spark, config)
    assert summary["texts"] == 60 and summary["unusable_rows"] == 0
    lake = Lake(config)
    insights = lake.read(spark, "gold.interaction_insights")
    joined = insights.join(corpus.select(F.col("id").alias("interaction_id"), "true_topic"), "interaction_id")
    # Each planted topic's texts all land in one LDA topic, and the three LDA topics differ (purity 1).
    by_topic = {
        r.true_topic: r.topics
        for r in joined.groupBy("true_topic").agg(F.collect_set("topic").alias("topics")).collect()
    }
    assert all(len(found) == 1 for found in by_topic.values()), by_topic
    assert len({found[0] for found in by_topic.values()}) == 3
    # Each LDA topic's top three terms come from the planted vocabulary of the texts it holds.
    holds = {found[0]: VOCAB[true] for true, found in by_topic.items()}
    top = {r.topic: r.top_terms[:3] for r in lake.read(spark, "gold.complaint_topics").collect()}
    assert all(set(top[t]) <= set(words) for t, words in holds.items()), top
    assert insights.where(F.col("kind") != "COMPLAINT").count() == 0  # no kind column: all complaints

    # Trends: per month and topic, counted from the insights.
    trends = lake.read(spark, "gold.complaint_trends")
    assert trends.agg(F.sum("interactions")).first()[0] == 60
    assert trends.where("complaints != interactions").count() == 0

    # The saved pipeline, reloaded, gives the same topic distribution.
    reloaded = load_pipeline(config)
    assert isinstance(reloaded, PipelineModel)
    texts = corpus.select(F.col("body").alias("text"))
    fitted = reloaded.transform(texts).select("text", "topic_distribution")
    again = PipelineModel.load(f"{summary['model_dir']}/pipeline").transform(texts)
    assertDataFrameEqual(again.select("text", "topic_distribution"), fitted)


def test_classifier_sentiment_learns_the_labels(spark, config, tmp_path):
    rows = []
    words = {
        "negative": "terrible awful fee",
        "neutral": "when statement arrive",
        "positive": "thanks great help",
    }
    for i in range(30):
        label = ("negative", "neutral", "positive")[i % 3]
        rows.append((f"T{i}", f"C{i}", DAY, f"{words[label]} {['card', 'app', 'loan'][i % 2]}", label))
    path = str(tmp_path / "labelled")
    spark.createDataFrame(
        rows, "id string, cust string, ts timestamp, body string, mood string"
    ).write.parquet(path)
    config = byod_config(config, path, sentiment_method="classifier", label_column="mood", topic_count=2)
    summary = mine_complaints(spark, config)
    assert summary["sentiment_labels"] == {"negative": 10, "neutral": 10, "positive": 10}
    insights = Lake(config).read(spark, "gold.interaction_insights")
    got = insights.select("interaction_id", "sentiment_label")
    expected = spark.createDataFrame(
        [(r[0], r[4]) for r in rows], "interaction_id string, sentiment_label string"
    )
    assertDataFrameEqual(got, expected)
    positive = insights.where("sentiment_label = 'positive'").agg(F.min("sentiment_score")).first()[0]
    assert positive > 0.5  # P(positive) - P(negative)


def test_stage_writes_its_tables_on_the_sample_lake(spark, sample_lake, tmp_path):
    config = load_config(
        overrides=["spark.master=local[2]", f"complaints.model_dir={tmp_path / 'models'}"],
        lakehouse=sample_lake.lake.root,
    )
    summary = mine_complaints(spark, config)
    lake = Lake(config)
    silver = lake.read(spark, "silver.interactions")
    insights = lake.read(spark, "gold.interaction_insights")
    assert summary["texts"] == silver.count() == insights.count()
    assert insights.where(F.col("text_masked").rlike("@|\\d{6,}")).count() == 0  # PII stays masked
    assert insights.where("language = 'zh'").count() > 0
    assert set(summary["sentiment_labels"]) == {"negative", "neutral", "positive"}
    trends = lake.read(spark, "gold.complaint_trends")
    assert trends.agg(F.sum("interactions")).first()[0] == insights.count()
    assert lake.read(spark, "gold.complaint_topics").count() == config.complaints.topic_count
    assert (
        load_pipeline(config).transform(silver.select(F.col("text_masked").alias("text"))).count()
        == silver.count()
    )


def test_the_same_texts_in_another_layout_give_the_same_topics(spark, tmp_path):
    """LDA's online optimiser samples documents per partition: texts landed as one file or as three
    shuffled ones must get the same topics and weights (the stage fits on a canonical layout)."""
    corpus, _ = crafted_corpus(spark, tmp_path)
    layouts = {"one_file": corpus.coalesce(1), "shuffled": corpus.repartition(3).orderBy(F.rand(7))}
    topics = []
    for name, frame in layouts.items():
        path = str(tmp_path / name)
        frame.write.parquet(path)
        base = load_config(overrides=["spark.master=local[2]"], lakehouse=str(tmp_path / f"lake_{name}"))
        config = byod_config(base, path, max_iter=5)  # equality, not topic quality: few iterations
        mine_complaints(spark, config)
        insights = Lake(config).read(spark, "gold.interaction_insights")
        topics.append(insights.select("interaction_id", "topic", "topic_weight"))
    assertDataFrameEqual(topics[0], topics[1], rtol=1e-9)
