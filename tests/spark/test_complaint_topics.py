"""gold.complaint_topics from the fitted topics and the assigned texts (``complaints.topic_summary``)."""

from __future__ import annotations

from pyspark.testing import assertDataFrameEqual

from crm_mining.complaints import topic_summary

TOPICS = [
    {"topic": 0, "top_terms": ["fee", "charge"], "term_weights": [0.5, 0.25]},
    {"topic": 1, "top_terms": ["card", "blocked"], "term_weights": [0.4, 0.3]},
    {"topic": 2, "top_terms": ["app", "login"], "term_weights": [0.6, 0.1]},
]


def test_each_topic_has_its_share_of_the_texts_with_a_topic_and_an_unused_topic_has_none(spark):
    insights = spark.createDataFrame(
        [(0, 0.5), (0, -0.25), (1, -1.0), (None, 0.0)],  # the last text matched no topic's terms
        "topic int, sentiment_score double",
    )

    got = topic_summary(spark, TOPICS, insights)

    expected = spark.createDataFrame(
        [
            (0, ["fee", "charge"], [0.5, 0.25], 2, 2 / 3, 0.125),
            (1, ["card", "blocked"], [0.4, 0.3], 1, 1 / 3, -1.0),
            (2, ["app", "login"], [0.6, 0.1], 0, 0.0, None),
        ],
        "topic int, top_terms array<string>, term_weights array<double>, interactions long, share double, "
        "mean_sentiment double",
    )
    assertDataFrameEqual(got, expected, checkRowOrder=False)
