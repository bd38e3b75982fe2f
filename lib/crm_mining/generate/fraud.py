"""Fraud episodes planted among the transactions, so the `fraud` stage has something true to find.

Each active customer-month (activity factor > 0) holds an episode with probability
``fraud_rate`` x (the month's expected transaction count) / ``MEAN_EPISODE_SIZE``, so about
``generate.fraud_rate`` of all transactions are fraudulent. Three kinds, equally likely:

- ``card_testing``: 3-5 probing card payments of 0.50-3.00 EUR ONLINE at merchants the customer rarely
  uses (OTHER, ENTERTAINMENT), 3-25 minutes apart, between 00:00 and 05:00, then 5-90 minutes later one
  large ONLINE payment (RETAIL or TRAVEL, 600-3,000 EUR x the customer's spend level);
- ``account_takeover``: a small TRANSFER on a channel the customer's segment hardly uses (PHONE; MOBILE
  for senior savers), then 20-240 minutes later a large TRANSFER out on that channel (1,500-6,000 EUR x
  spend level);
- ``velocity_burst``: 6-10 card payments (POS or ONLINE, RETAIL or ELECTRONICS-like OTHER) 1-8 minutes
  apart, 40-400 EUR x spend level each.

All fraud is DEBIT, on the customer's card (CC) when it is open, else the current account (DDA), inside
the customer's active days. Transaction ids use sequence numbers from 90001, after the ordinary ones.
Truth: ``truth/fraud_episodes`` (episode_id, customer_id, fraud_kind, start_ts, txn_ids), written by
``generate`` for the fraud transactions that land (those replaced by a bad record are left out).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining.config.generate import GenerateSettings
from crm_mining.generate.randomness import uniform

KINDS = ("card_testing", "account_takeover", "velocity_burst")
# Mean transactions per episode: card testing 3-5 probes + 1, takeover 2, burst 6-10.
MEAN_EPISODE_SIZE = (5.0 + 2.0 + 8.0) / 3
FIRST_SEQ = 90001  # fraud txn ids follow the ordinary ones (whose sequence stays far below)


def episode_months(cm: DataFrame, expected: Column, settings: GenerateSettings) -> DataFrame:
    """Customer-month rows that hold an episode, with fraud_kind, episode_id, day and start second.

    ``cm``: customer-month rows (customer_months); ``expected``: the month's expected transaction count.
    """
    seed = settings.seed
    key = [F.col("cust_num"), F.col("month_idx")]
    chance = F.lit(settings.fraud_rate) * expected / F.lit(MEAN_EPISODE_SIZE)
    u_kind = uniform(seed, "fraud-kind", *key)
    kind = (
        F.when(u_kind < 1 / 3, F.lit(KINDS[0]))
        .when(u_kind < 2 / 3, F.lit(KINDS[1]))
        .otherwise(F.lit(KINDS[2]))
    )
    day = F.date_add(
        F.col("active_from"), (uniform(seed, "fraud-day", *key) * F.col("active_days")).cast("int")
    )
    # Card testing starts at night (00:00-05:00), the others in the day (08:00-18:00): no episode
    # crosses midnight, so it stays inside the customer's active day.
    start = F.when(kind == KINDS[0], uniform(seed, "fraud-start", *key) * 5 * 3600).otherwise(
        8 * 3600 + uniform(seed, "fraud-start", *key) * 10 * 3600
    )
    episode_id = F.concat(
        F.lit("F"), F.substring(F.col("customer_id"), 2, 8), F.lpad(F.col("month_idx").cast("string"), 3, "0")
    )
    return (
        cm.where((F.col("factor") > 0) & (uniform(seed, "fraud", *key) < chance))
        .withColumn("fraud_kind", kind)
        .withColumn("episode_id", episode_id)
        .withColumn("fraud_day", day)
        .withColumn("start_second", start.cast("int"))
    )


def fraud_transactions(cm: DataFrame, expected: Column, settings: GenerateSettings) -> DataFrame:
    """The planted fraud transactions: the ordinary transaction columns plus episode_id and fraud_kind."""
    seed = settings.seed
    episodes = episode_months(cm, expected, settings)
    ep_key = [F.col("cust_num"), F.col("month_idx")]
    size = (
        F.when(F.col("fraud_kind") == KINDS[0], 4 + (uniform(seed, "fraud-n", *ep_key) * 3).cast("int"))
        .when(F.col("fraud_kind") == KINDS[1], F.lit(2))
        .otherwise(6 + (uniform(seed, "fraud-n", *ep_key) * 5).cast("int"))
    )
    rows = episodes.withColumn("n", size).withColumn("step", F.explode(F.sequence(F.lit(1), F.col("n"))))
    key = [F.col("cust_num"), F.col("month_idx"), F.col("step")]

    def u(salt: str) -> Column:
        return uniform(seed, "fraud-" + salt, *key)

    card_testing, takeover = F.col("fraud_kind") == KINDS[0], F.col("fraud_kind") == KINDS[1]
    last = F.col("step") == F.col("n")
    # Minutes after the previous transaction of the episode (the first one starts the episode).
    gap_minutes = (
        F.when(F.col("step") == 1, F.lit(0.0))
        .when(card_testing & last, 5 + u("gap") * 85)
        .when(card_testing, 3 + u("gap") * 22)
        .when(takeover, 20 + u("gap") * 220)
        .otherwise(1 + u("gap") * 7)
    )
    takeover_channel = F.when(F.col("segment") == "senior_saver", "MOBILE").otherwise("PHONE")
    channel = (
        F.when(card_testing, F.lit("ONLINE"))
        .when(takeover, takeover_channel)
        .otherwise(F.when(u("channel") < 0.5, "POS").otherwise("ONLINE"))
    )
    category = (
        F.when(card_testing & last, F.when(u("mcc") < 0.6, "RETAIL").otherwise("TRAVEL"))
        .when(card_testing, F.when(u("mcc") < 0.6, "OTHER").otherwise("ENTERTAINMENT"))
        .when(takeover, F.lit("TRANSFER"))
        .otherwise(F.when(u("mcc") < 0.6, "RETAIL").otherwise("OTHER"))
    )
    level = F.col("spend_level")
    amount = (
        F.when(card_testing & last, (600 + u("amount") * 2400) * level)
        .when(card_testing, 0.5 + u("amount") * 2.5)
        .when(takeover & last, (1500 + u("amount") * 4500) * level)
        .when(takeover, (5 + u("amount") * 45) * level)
        .otherwise((40 + u("amount") * 360) * level)
    )
    upto = Window.partitionBy("episode_id").orderBy("step").rowsBetween(Window.unboundedPreceding, 0)
    offset = F.sum(gap_minutes * 60).over(upto)
    with_time = rows.withColumn("offset_seconds", offset.cast("int"))
    day_ts = F.unix_timestamp(F.col("fraud_day").cast("timestamp"))
    txn_ts = F.timestamp_seconds(day_ts + F.col("start_second") + F.col("offset_seconds"))
    txn_id = F.concat(
        F.lit("T"),
        F.substring(F.col("customer_id"), 2, 8),
        F.lpad(F.col("month_idx").cast("string"), 3, "0"),
        (F.lit(FIRST_SEQ - 1) + F.col("step")).cast("string"),
    )
    card = F.when(
        F.col("channel").isin("POS", "ONLINE") & (F.col("open_CC") <= F.col("txn_date")),
        F.concat(F.lit("A"), F.substring(F.col("customer_id"), 2, 8), F.lit("-CC")),
    )
    current = F.concat(F.lit("A"), F.substring(F.col("customer_id"), 2, 8), F.lit("-DDA"))
    return (
        with_time.withColumn("txn_ts", txn_ts)
        .withColumn("txn_date", F.to_date("txn_ts"))
        .withColumns({"channel": channel, "merchant_category": category})
        .withColumns(
            {
                "txn_id": txn_id,
                "amount": F.round(amount, 2),
                "currency": F.lit("EUR"),
                "direction": F.lit("DEBIT"),
                "account_id": F.coalesce(card, current),
            }
        )
    )
