"""Interactions: complaints, service contacts and inquiries with free text over planted topics.

Each interaction has a true topic (``texts.TOPICS``), sentiment (negative / neutral / positive) and
language (English, or Chinese with probability ``generate.chinese_share``); its text is a template of
that (language, topic, sentiment) with a synonym, an optional opener and closer, and for English texts a
typo with probability ``generate.typo_rate``. ``interaction_truth`` is what ``truth/interactions`` holds.
Some texts carry what customers type: a phone number (20%), an email address (10%), the national id (5%),
the home address (5%) or a card number (3%); silver must mask them all.
Churners complain more, and more negatively, in their decline months.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining.config.generate import GenerateSettings
from crm_mining.generate.randomness import pick, uniform
from crm_mining.generate.texts import CLOSERS, OPENERS, SENTIMENTS, SYNONYMS, TEMPLATES, TOPICS
from crm_mining.landing import source

KINDS = ["COMPLAINT", "SERVICE", "INQUIRY"]
# Sentiment mix (negative, neutral, positive) by kind and whether the customer is a churner in decline.
SENTIMENT_MIX = {
    ("COMPLAINT", False): [0.7, 0.2, 0.1],
    ("COMPLAINT", True): [0.92, 0.07, 0.01],
    ("OTHER", False): [0.1, 0.6, 0.3],
    ("OTHER", True): [0.4, 0.55, 0.05],
}
# Declining churners complain about money and people more than about the app.
TOPIC_WEIGHTS = {False: [1.0] * len(TOPICS), True: [2.0, 1.0, 1.0, 1.5, 2.0, 1.0, 1.0]}
INTERACTION_COLUMNS = source("interactions").columns
TRUTH_COLUMNS = ["interaction_id", "customer_id", "kind", "topic", "sentiment", "language"]


def literal_lists(table: dict[str, list[str]]) -> Column:
    """A literal map<string, array<string>> column."""
    pairs = []
    for key, values in table.items():
        pairs += [F.lit(key), F.array(*[F.lit(v) for v in values])]
    return F.create_map(*pairs)


def chosen(table: dict[str, list[str]], key: Column, u: Column) -> Column:
    """One element, drawn with ``u`` in [0, 1), of the list that ``table`` holds under ``key``."""
    values = F.element_at(literal_lists(table), key)
    return F.element_at(values, (u * F.size(values)).cast("int") + 1)


def flat(nested: dict, depth: int) -> dict[str, list[str]]:
    """{"en": {"fees": [...]}} -> {"en|fees": [...]} for ``depth`` levels of keys."""
    if depth == 1:
        return nested
    return {f"{k}|{sub}": v for k, inner in nested.items() for sub, v in flat(inner, depth - 1).items()}


def with_typo(text: Column, u: Column) -> Column:
    """``text`` with the character at a drawn position dropped (a typing slip)."""
    at = (u * F.length(text)).cast("int") + 1
    return F.concat(F.substring(text, 1, at - 1), F.substring(text, at + 1, 100_000))


def typed_pii(seed: int) -> list[tuple[float, str, str, Column]]:
    """What customers type into their texts, with the share of texts and the English and Chinese lead-in:
    silver and quarantine must mask every kind (``crm_mining.pii``); Chinese glues it to the words."""
    card_digits = F.lpad(
        F.pmod(F.xxhash64(F.lit(seed), F.lit("card"), F.col("cust_num")), F.lit(10**15)).cast("string"),
        15,
        "0",
    )
    card = F.concat_ws(" ", *[F.substring(F.concat(F.lit("4"), card_digits), 1 + 4 * i, 4) for i in range(4)])
    return [
        (0.2, ". Call me back on ", "，请回电", F.col("phone")),
        (0.1, ". Please write to ", "，邮箱", F.col("email")),
        (0.05, ". My DNI is ", "，身份证号", F.col("national_id")),
        (0.05, ". I live at ", "，地址", F.col("address")),
        (0.03, ". The card charged was ", "，扣款卡号", card),
    ]


def interactions_frame(cm: DataFrame, settings: GenerateSettings) -> DataFrame:
    """Interactions exploded from customer-month rows (``transactions.customer_months``), with their truth
    columns (topic, sentiment, language) besides the landing columns."""
    seed = settings.seed
    cm_key = [F.col("cust_num"), F.col("month_idx")]
    declining = F.col("is_churner") & (F.col("factor") < 1.0)
    mean = F.lit(settings.interactions_per_customer_month) * F.when(declining, 3.0).otherwise(1.0)
    count = F.floor(
        mean * F.col("active_days") / F.col("days_in_month") + uniform(seed, "int-count", *cm_key)
    )
    rows = (
        cm.withColumn("n", count.cast("int"))
        .where(F.col("n") > 0)
        .withColumn("seq", F.explode(F.sequence(F.lit(1), F.col("n"))))
    )
    key = [F.col("cust_num"), F.col("month_idx"), F.col("seq")]

    def u(salt: str) -> Column:
        return uniform(seed, salt, *key)

    kind = F.when(declining, pick(u("kind"), KINDS, [0.6, 0.25, 0.15])).otherwise(
        pick(u("kind"), KINDS, [0.15, 0.5, 0.35])
    )
    topic = F.when(declining, pick(u("topic"), TOPICS, TOPIC_WEIGHTS[True])).otherwise(
        pick(u("topic"), TOPICS, TOPIC_WEIGHTS[False])
    )
    group = F.when(F.col("kind") == "COMPLAINT", "COMPLAINT").otherwise("OTHER")
    sentiment = None
    for (kind_group, decline), weights in SENTIMENT_MIX.items():
        when = (group == kind_group) & (declining if decline else ~declining)
        draw = pick(u("sentiment"), SENTIMENTS, weights)
        sentiment = F.when(when, draw) if sentiment is None else sentiment.when(when, draw)
    language = F.when(u("language") < settings.chinese_share, "zh").otherwise("en")

    lang, lang_topic = F.col("language"), F.concat_ws("|", "language", "topic")
    template = chosen(flat(TEMPLATES, 3), F.concat_ws("|", "language", "topic", "sentiment"), u("template"))
    core = F.replace(template, F.lit("{s}"), chosen(flat(SYNONYMS, 2), lang_topic, u("synonym")))
    core = F.when((lang == "en") & (u("typo") < settings.typo_rate), with_typo(core, u("typo-at"))).otherwise(
        core
    )
    lang_sentiment = F.concat_ws("|", "language", "sentiment")
    body = F.concat(
        chosen(flat(OPENERS, 2), lang_sentiment, u("opener")),
        core,
        chosen(flat(CLOSERS, 2), lang_sentiment, u("closer")),
    )
    english = lang == "en"
    contact, upto = F.when(F.lit(False), F.lit("")), 0.0
    for share, lead_en, lead_zh, value in typed_pii(seed):
        upto += share
        contact = contact.when(
            u("contact") < upto, F.concat(F.when(english, lead_en).otherwise(lead_zh), value)
        )
    contact = contact.otherwise(F.lit(""))
    span = F.datediff(F.col("active_to"), F.col("active_from")) + 1
    day = F.date_add(F.col("active_from"), (u("day") * span).cast("int"))
    seconds = (8 * 3600 + u("time") * 12 * 3600).cast("int")
    return (
        rows.withColumn("kind", kind)
        .withColumn("topic", topic)
        .withColumn("sentiment", sentiment)
        .withColumn("language", language)
        .withColumn("text", F.concat(body, contact))
        .withColumn(
            "channel", pick(u("channel"), ["PHONE", "BRANCH", "ONLINE", "MOBILE"], [0.4, 0.2, 0.2, 0.2])
        )
        .withColumn("interaction_ts", F.timestamp_seconds(F.unix_timestamp(day.cast("timestamp")) + seconds))
        .withColumn(
            "interaction_id",
            F.concat(
                F.lit("I"),
                F.substring(F.col("customer_id"), 2, 8),
                F.lpad(F.col("month_idx").cast("string"), 3, "0"),
                F.lpad(F.col("seq").cast("string"), 3, "0"),
            ),
        )
        .select(*INTERACTION_COLUMNS, "month_idx", "topic", "sentiment", "language")
    )


def interaction_truth(interactions: DataFrame) -> DataFrame:
    """interaction_id, customer_id, kind, topic, sentiment, language of every generated interaction."""
    return interactions.select(*TRUTH_COLUMNS)
