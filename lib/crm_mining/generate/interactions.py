"""Interactions: complaints, service contacts and inquiries with free text.

About 20% of texts carry a phone number and 10% an email address (silver must mask them).
Churners complain more in their decline months.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining.config.generate import GenerateSettings
from crm_mining.generate.customers import element
from crm_mining.generate.randomness import pick, uniform
from crm_mining.landing import source

TEXTS = {
    "COMPLAINT": [
        "The card fee was charged twice this month",
        "Nobody answered my call about a blocked card",
        "The app keeps logging me out and I could not pay",
        "Unexpected commission on my transfer",
        "I am unhappy with the interest rate on my loan",
    ],
    "SERVICE": [
        "Please update my postal address",
        "I need a new card, mine is damaged",
        "Request to raise the card limit",
        "Please send the annual statement",
    ],
    "INQUIRY": [
        "What is the rate for a time deposit",
        "How do I activate mobile banking",
        "Information about mortgages please",
        "Which funds do you recommend",
    ],
}
INTERACTION_COLUMNS = source("interactions").columns


def interactions_frame(cm: DataFrame, settings: GenerateSettings) -> DataFrame:
    """Interactions exploded from customer-month rows (``transactions.customer_months``)."""
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

    kind = F.when(
        declining, pick(u("kind"), ["COMPLAINT", "SERVICE", "INQUIRY"], [0.6, 0.25, 0.15])
    ).otherwise(pick(u("kind"), ["COMPLAINT", "SERVICE", "INQUIRY"], [0.15, 0.5, 0.35]))
    text = F.when(F.col("kind") == "COMPLAINT", element(TEXTS["COMPLAINT"], u("text")))
    text = text.when(F.col("kind") == "SERVICE", element(TEXTS["SERVICE"], u("text"))).otherwise(
        element(TEXTS["INQUIRY"], u("text"))
    )
    contact = (
        F.when(u("contact") < 0.2, F.concat(F.lit(". Call me back on "), F.col("phone")))
        .when(u("contact") < 0.3, F.concat(F.lit(". Please write to "), F.col("email")))
        .otherwise(F.lit(""))
    )
    span = F.datediff(F.col("active_to"), F.col("active_from")) + 1
    day = F.date_add(F.col("active_from"), (u("day") * span).cast("int"))
    seconds = (8 * 3600 + u("time") * 12 * 3600).cast("int")
    return (
        rows.withColumn("kind", kind)
        .withColumn("text", F.concat(text, contact))
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
        .withColumn("month_idx", F.col("month_idx"))
        .select(*INTERACTION_COLUMNS, "month_idx")
    )
