"""Transactions: customer x month rows, exploded into individual transactions (no driver loops).

Counts per customer-month are Poisson-like around ``txns_per_customer_month`` x the customer's
activity (segment and a lognormal personal level) x ``activity_factor`` (churn decay, dormancy) x
the share of the month the customer is active. Amounts are lognormal per merchant category;
a third of the spend falls in the payday/month-end days (25th to month end); salary CREDITs land
between the 25th and month end.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining.config.generate import GenerateSettings
from crm_mining.generate import segments as S  # noqa: N812 (short name for design tables)
from crm_mining.generate.accounts import activity_factor
from crm_mining.generate.fraud import fraud_transactions
from crm_mining.generate.randomness import by_key, lognormal, normal, pick, uniform
from crm_mining.generate.window import days_frame
from crm_mining.landing import source

TXN_COLUMNS = source("transactions").columns


def customer_months(customers: DataFrame, months: DataFrame) -> DataFrame:
    """Customer x month rows with the active day range [active_from, active_to] (may be empty)."""
    churn_eve = F.date_sub(F.col("churn_date"), 1)
    return (
        customers.crossJoin(F.broadcast(months))
        .where(F.col("join_date") <= F.col("month_end"))
        .withColumn("active_from", F.greatest(F.col("month_start"), F.col("join_date")))
        .withColumn("active_to", F.least(F.col("month_end"), F.coalesce(churn_eve, F.col("month_end"))))
        .withColumn("active_days", F.datediff(F.col("active_to"), F.col("active_from")) + 1)
        .where(F.col("active_days") > 0)
        .withColumn("factor", activity_factor(F.col("month_idx")))
    )


def account_for(code: str, day: Column) -> Column:
    """The customer's account of product ``code`` if open on ``day``, else null."""
    return F.when(
        F.col(f"open_{code}") <= day,
        F.concat(F.lit("A"), F.substring(F.col("customer_id"), 2, 8), F.lit(f"-{code}")),
    )


def pick_day(
    seed: int, salt: str, key: list[Column], low: Column, high: Column, payday_share: float
) -> Column:
    """A day in [low, high]; ``payday_share`` of draws fall on the 25th..high (month-end seasonality)."""
    payday_low = F.greatest(low, F.make_date(F.year(high), F.month(high), F.lit(25)))
    payday_low = F.when(payday_low > high, low).otherwise(payday_low)
    in_payday = uniform(seed, salt + "-payday", *key) < payday_share
    start = F.when(in_payday, payday_low).otherwise(low)
    span = F.datediff(high, start) + 1
    return F.date_add(start, (uniform(seed, salt, *key) * span).cast("int"))


def expected_count(settings: GenerateSettings) -> Column:
    """The customer-month's expected number of spend transactions (before the Poisson-like draw)."""
    return (
        F.lit(settings.txns_per_customer_month)
        * F.col("activity")
        * F.col("factor")
        * F.col("active_days")
        / F.col("days_in_month")
    )


def spend_transactions(cm: DataFrame, settings: GenerateSettings) -> DataFrame:
    """Card, cash and transfer transactions exploded from customer-month rows."""
    seed = settings.seed
    cm_key = [F.col("cust_num"), F.col("month_idx")]
    mean = expected_count(settings)
    count = F.floor(
        mean + F.sqrt(mean) * normal(seed, "count", *cm_key) + uniform(seed, "count-dither", *cm_key)
    )
    rows = (
        cm.withColumn("n", count.cast("int"))
        .where(F.col("n") > 0)
        .withColumn("seq", F.explode(F.sequence(F.lit(1), F.col("n"))))
    )
    key = [F.col("cust_num"), F.col("month_idx"), F.col("seq")]

    def u(salt: str) -> Column:
        return uniform(seed, salt, *key)

    channel = None
    for segment, weights in S.CHANNEL_MIX.items():
        choice = pick(u("channel"), S.CHANNELS, weights)
        channel = (
            F.when(F.col("segment") == segment, choice)
            if channel is None
            else channel.when(F.col("segment") == segment, choice)
        )
    channel = channel.otherwise(F.lit("POS"))
    card_category = pick(u("mcc"), S.CARD_CATEGORIES, S.CARD_CATEGORY_WEIGHTS)
    category = (
        F.when(F.col("channel") == "ATM", F.lit("CASH"))
        .when(F.col("channel") == "BRANCH", pick(u("mcc"), ["CASH", "TRANSFER"], [0.5, 0.5]))
        .when(F.col("channel") == "PHONE", pick(u("mcc"), ["TRANSFER", "UTILITIES"], [0.6, 0.4]))
        .when(F.col("channel").isin("ONLINE", "MOBILE") & (u("xfer") < 0.15), F.lit("TRANSFER"))
        .otherwise(card_category)
    )
    direction = F.when((F.col("merchant_category") == "TRANSFER") & (u("dir") < 0.35), "CREDIT").otherwise(
        "DEBIT"
    )
    median = by_key(F.col("merchant_category"), S.CATEGORY_MEDIAN, 30.0) * F.col("spend_level")
    amount = F.greatest(F.lit(0.5), F.round(median * lognormal(seed, "amount", 0.0, S.AMOUNT_SIGMA, *key), 2))
    foreign = F.when(F.col("merchant_category") == "TRAVEL", u("ccy") < 0.5).otherwise(u("ccy") < 0.01)
    currency = F.when(foreign, F.when(u("ccy2") < 0.6, "USD").otherwise("GBP")).otherwise("EUR")
    day = pick_day(seed, "day", key, F.col("active_from"), F.col("active_to"), 0.33)
    card_ok = F.col("channel").isin("POS", "ONLINE", "MOBILE") & (u("card") < 0.55)
    account = F.coalesce(
        F.when(card_ok, account_for("CC", F.col("txn_date"))),
        F.when(F.col("currency") != "EUR", account_for("FX", F.col("txn_date"))),
        F.when(u("acct") < 0.6, account_for("PAYROLL", F.col("txn_date"))),
        account_for("DDA", F.col("txn_date")),
    )
    seconds = (7 * 3600 + u("time") * 15 * 3600).cast("int")  # 07:00 to 22:00
    return (
        rows.withColumns({"channel": channel, "txn_date": day, "txn_id": txn_id(F.col("seq"))})
        .withColumn("merchant_category", category)
        .withColumns({"direction": direction, "amount": amount, "currency": currency})
        .withColumns({"account_id": account, "txn_ts": timestamp_at(F.col("txn_date"), seconds)})
    )


def timestamp_at(day: Column, seconds: Column) -> Column:
    """``day`` at midnight UTC plus ``seconds``."""
    return F.timestamp_seconds(F.unix_timestamp(day.cast("timestamp")) + seconds)


def txn_id(seq: Column) -> Column:
    """T + customer number (8) + month index (3) + sequence (5); salaries have sequence 0."""
    return F.concat(
        F.lit("T"),
        F.substring(F.col("customer_id"), 2, 8),
        F.lpad(F.col("month_idx").cast("string"), 3, "0"),
        F.lpad(seq.cast("string"), 5, "0"),
    )


def salary_transactions(cm: DataFrame, settings: GenerateSettings) -> DataFrame:
    """One salary CREDIT per month for payroll holders and half of other employees, 25th..month end."""
    seed = settings.seed
    key = [F.col("cust_num"), F.col("month_idx")]
    employed = F.col("occupation").isin("EMPLOYEE", "EXECUTIVE", "PROFESSIONAL")
    earner = F.col("open_PAYROLL").isNotNull() | (
        employed & (uniform(seed, "earner", F.col("cust_num")) < 0.5)
    )
    payday = F.make_date(F.year(F.col("month_end")), F.month(F.col("month_end")), F.lit(25))
    day = F.date_add(payday, (uniform(seed, "salary-day", *key) * (F.col("days_in_month") - 24)).cast("int"))
    amount = by_key(F.col("income_band"), S.SALARY_BY_INCOME, 1500.0) * lognormal(
        seed, "salary", 0.0, 0.08, *key
    )
    seconds = (6 * 3600 + uniform(seed, "salary-time", *key) * 3600).cast("int")
    return (
        cm.where(earner & (F.col("factor") > 0))
        .withColumn("txn_date", day)
        .where((F.col("txn_date") >= F.col("active_from")) & (F.col("txn_date") <= F.col("active_to")))
        .withColumn(
            "account_id",
            F.coalesce(account_for("PAYROLL", F.col("txn_date")), account_for("DDA", F.col("txn_date"))),
        )
        .withColumn(
            "txn_ts", F.timestamp_seconds(F.unix_timestamp(F.col("txn_date").cast("timestamp")) + seconds)
        )
        .withColumn("amount", F.round(amount * F.col("factor"), 2))
        .withColumn("currency", F.lit("EUR"))
        .withColumn("direction", F.lit("CREDIT"))
        .withColumn("channel", F.lit("ONLINE"))
        .withColumn("merchant_category", F.lit("SALARY"))
        .withColumn("txn_id", txn_id(F.lit(0)))
    )


def transactions_frame(cm: DataFrame, settings: GenerateSettings) -> DataFrame:
    """All clean transactions with typed columns, the drop they are delivered in and its format.

    Planted fraud (``generate.fraud``) is among them; ``episode_id`` and ``fraud_kind`` say which (null for
    ordinary transactions) and are not landed.
    """
    spark = cm.sparkSession
    columns = [*TXN_COLUMNS, "txn_date"]
    ordinary = [
        F.lit(None).cast("string").alias("episode_id"),
        F.lit(None).cast("string").alias("fraud_kind"),
    ]
    every = (
        spend_transactions(cm, settings)
        .select(*columns, *ordinary)
        .unionByName(salary_transactions(cm, settings).select(*columns, *ordinary))
        .unionByName(
            fraud_transactions(cm, expected_count(settings), settings).select(
                *columns, "episode_id", "fraud_kind"
            )
        )
    )
    drops = days_frame(spark, settings).withColumnRenamed("day", "drop_date")
    return every.join(F.broadcast(drops), F.col("txn_date") == F.col("drop_date")).select(
        *TXN_COLUMNS, "drop_date", "fmt", "episode_id", "fraud_kind"
    )
