"""Sequential patterns before known fraud: Spark MLlib PrefixSpan, then each pattern's confidence.

A transaction's sequence is the customer's events in the lookback before it, then its own event
(``events.with_events``). PrefixSpan mines the frequent patterns of the sequences that end at known fraud.
A pattern *ends at* a transaction when its last event is the transaction's event and the rest is a
subsequence (in order, gaps allowed) of the events before it. Over the history, its confidence is the
share of the transactions it ends at that were fraud, and its lift that share over the fraud rate.
"""

from __future__ import annotations

from pyspark.ml.fpm import PrefixSpan
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining.config.fraud import FraudSettings

PATTERN_COLUMNS = (
    "pattern",
    "pattern_text",
    "length",
    "fraud_sequences",
    "support",
    "matches",
    "fraud_matches",
    "confidence",
    "lift",
    "used",
)
ARROW = " > "


def fraud_sequences(events: DataFrame, fraud: DataFrame) -> DataFrame:
    """sequence (array<array<string>>: one event per itemset) of each event that is known fraud.

    ``events``: EVENT_COLUMNS rows; ``fraud``: txn_id of known fraud.
    """
    known = events.join(fraud.select("txn_id").distinct(), "txn_id", "left_semi")
    whole = F.concat(F.col("prev_events"), F.array(F.col("event")))
    return known.select(F.transform(whole, lambda e: F.array(e)).alias("sequence"))


def mine_patterns(sequences: DataFrame, settings: FraudSettings) -> DataFrame:
    """pattern (array<string>), fraud_sequences (how many sequences hold it), support (their share).

    Keeps at most ``pattern_max_patterns``, the most frequent (then the longest, then by text).
    """
    total = F.lit(sequences.count())
    mined = PrefixSpan(
        minSupport=settings.pattern_min_support,
        maxPatternLength=settings.pattern_max_length,
        sequenceCol="sequence",
    ).findFrequentSequentialPatterns(sequences)
    # Our itemsets hold one event each, so every pattern itemset does too.
    flat = mined.select(F.transform("sequence", lambda s: s[0]).alias("pattern"), F.col("freq"))
    text = F.array_join("pattern", ARROW)
    return (
        flat.orderBy(F.desc("freq"), F.desc(F.size("pattern")), text)
        .limit(settings.pattern_max_patterns)
        .select(
            "pattern",
            F.col("freq").cast("long").alias("fraud_sequences"),
            (F.col("freq") / total).cast("double").alias("support"),
        )
    )


def is_subsequence(prefix: Column, events: Column) -> Column:
    """True when ``prefix`` occurs in ``events`` in order (gaps allowed): a greedy left-to-right scan."""
    matched = F.aggregate(
        events,
        F.lit(0),
        lambda i, e: F.when((i < F.size(prefix)) & (e == F.try_element_at(prefix, i + 1)), i + 1).otherwise(
            i
        ),
    )
    return matched == F.size(prefix)


def pattern_matches(events: DataFrame, patterns: DataFrame) -> DataFrame:
    """txn_id plus the pattern columns, for every (transaction, pattern) where the pattern ends at it.

    Joins on the pattern's last event first (an equi-join), then checks the rest in order.
    """
    keyed = patterns.withColumn("last_event", F.element_at("pattern", -1)).withColumn(
        "prefix", F.slice("pattern", 1, F.size("pattern") - 1)
    )
    joined = events.join(F.broadcast(keyed), F.col("event") == F.col("last_event"))
    return joined.where(is_subsequence(F.col("prefix"), F.col("prev_events"))).drop("last_event", "prefix")


def pattern_statistics(
    patterns: DataFrame, history: DataFrame, fraud: DataFrame, settings: FraudSettings
) -> DataFrame:
    """PATTERN_COLUMNS: each mined pattern with its matches and fraud matches over ``history`` events.

    used: confidence >= pattern_min_confidence and fraud_matches >= pattern_min_matches.
    """
    labelled = history.join(
        fraud.select("txn_id").distinct().withColumn("is_fraud", F.lit(1)), "txn_id", "left"
    ).withColumn("is_fraud", F.coalesce("is_fraud", F.lit(0)))
    rate = labelled.agg((F.sum("is_fraud") / F.count("*")).alias("rate"))
    counts = (
        pattern_matches(labelled, patterns)
        .groupBy("pattern")
        .agg(F.count("*").alias("matches"), F.sum("is_fraud").alias("fraud_matches"))
    )
    confidence = F.col("fraud_matches") / F.col("matches")
    return (
        patterns.join(counts, "pattern", "left")
        .crossJoin(rate)
        .fillna(0, ["matches", "fraud_matches"])
        .withColumn("confidence", F.when(F.col("matches") > 0, confidence).otherwise(F.lit(0.0)))
        .select(
            "pattern",
            F.array_join("pattern", ARROW).alias("pattern_text"),
            F.size("pattern").alias("length"),
            "fraud_sequences",
            "support",
            F.col("matches").cast("long").alias("matches"),
            F.col("fraud_matches").cast("long").alias("fraud_matches"),
            F.col("confidence").cast("double").alias("confidence"),
            F.when(F.col("rate") > 0, F.col("confidence") / F.col("rate")).cast("double").alias("lift"),
            (
                (F.col("confidence") >= settings.pattern_min_confidence)
                & (F.col("fraud_matches") >= settings.pattern_min_matches)
            ).alias("used"),
        )
    )


def best_pattern(events: DataFrame, used: DataFrame) -> DataFrame:
    """txn_id, pattern_matched (text), pattern_confidence: the most confident used pattern ending at it."""
    matched = pattern_matches(events.select("txn_id", "event", "prev_events"), used)
    return matched.groupBy("txn_id").agg(
        F.max_by("pattern_text", F.struct("confidence", "length", "pattern_text")).alias("pattern_matched"),
        F.max("confidence").alias("pattern_confidence"),
    )
