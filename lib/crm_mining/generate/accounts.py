"""Accounts (one per held product) and their month-end balances, from the wide customer frame.

Balances follow the design: deposits grow slowly, card balances are a utilisation of the limit
(rising towards the limit before a default), loans amortise; a churner's balances decay about
30% a month from 8 months before its churn date (see ``activity_factor``).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining.config.generate import GenerateSettings
from crm_mining.generate import segments as S  # noqa: N812 (short name for design tables)
from crm_mining.generate.customers import declines_before_churn
from crm_mining.generate.randomness import by_key, lognormal, uniform

# Median balance (EUR, before the customer's spend level) per non-credit product.
DEPOSIT_MEDIAN = {
    "DDA": 2500.0,
    "PAYROLL": 3000.0,
    "TD": 15000.0,
    "VIP": 60000.0,
    "FUNDS": 25000.0,
    "FX": 4000.0,
}
CREDIT_LIMIT_MEDIAN = {"CC": 3000.0, "PL": 12000.0, "AUTO": 22000.0, "MORTGAGE": 180000.0}

# Churners' monthly activity and balance multiplier during the decline ("about 30% a month").
MONTHLY_DECAY = 0.65


def activity_factor(month_idx: Column) -> Column:
    """Multiplier on a customer's activity and balances in a month (needs the wide customer columns).

    Churners other than switchers decay 35% a month from 8 months before the churn month (floor 0.1), so the expected spend
    of the last 3 months is <= 0.45x the 3 before at every month end of the 6-month decline window
    (and 0.69x one month before it, outside the window).
    Dormant customers are silent in months [silent_from, silent_to).
    """
    k = month_idx - (F.col("churn_month") - 9)
    declines = declines_before_churn()
    churn = F.when(declines & (k >= 1), F.greatest(F.pow(F.lit(MONTHLY_DECAY), k), F.lit(0.1)))
    silent = F.when(
        F.col("is_dormant") & (month_idx >= F.col("silent_from")) & (month_idx < F.col("silent_to")),
        F.lit(0.0),
    )
    return F.coalesce(churn, silent, F.lit(1.0))


def accounts_frame(customers: DataFrame, settings: GenerateSettings) -> DataFrame:
    """One row per account: the landing columns plus the customer columns the balances need."""
    seed = settings.seed
    products = F.array(
        *[
            F.struct(F.lit(code).alias("product_code"), F.col(f"open_{code}").alias("open_date"))
            for code in S.PRODUCTS
        ]
    )
    exploded = customers.select("*", F.explode(products).alias("p")).where(F.col("p.open_date").isNotNull())
    code = F.col("p.product_code")
    key = F.col("account_id")
    is_credit = code.isin(*S.CREDIT_PRODUCTS)
    limit_median = by_key(code, CREDIT_LIMIT_MEDIAN, 0.0) * F.col("spend_level")
    credit_limit = F.round(limit_median * lognormal(seed, "limit", 0.0, 0.4, key) / 100, 0) * 100
    fx_currency = F.when(uniform(seed, "fx-ccy", key) < 0.6, F.lit("USD")).otherwise(F.lit("GBP"))
    defaulted = F.col("is_defaulter") & (code == "CC")
    return (
        exploded.withColumns(
            {
                "account_id": F.concat(F.lit("A"), F.substring(F.col("customer_id"), 2, 8), F.lit("-"), code),
                "product_code": code,
                "open_date": F.col("p.open_date"),
                "close_date": F.col("churn_date"),
            }
        )
        .withColumns(
            {
                "status": F.when(defaulted, "DEFAULTED")
                .when(F.col("close_date").isNotNull(), "CLOSED")
                .otherwise("ACTIVE"),
                "credit_limit": F.when(is_credit, F.greatest(credit_limit, F.lit(500.0))),
                "currency": F.when(code == "FX", fx_currency).otherwise(F.lit("EUR")),
                "base_balance": by_key(code, DEPOSIT_MEDIAN, 0.0)
                * F.col("spend_level")
                * lognormal(seed, "balance", 0.0, 0.8, key),
                "base_util": 0.1 + uniform(seed, "util", key) * 0.4,
            }
        )
        .drop("p")
    )


def balance_at(month_idx: Column, month_end: Column) -> Column:
    """Month-end balance of an account (accounts_frame columns) in month ``month_idx``.

    Deposits: base balance growing 0.5%/month; cards: utilisation x limit, climbing to the limit over
    the 5 months before a default; loans: the limit amortised linearly over the term; insurance and
    mobile banking: 0. Times ``activity_factor``. Credit balances are positive amounts owed.
    """
    code = F.col("product_code")
    deposit = F.col("base_balance") * (1 + 0.005 * month_idx)
    rising = F.least(F.lit(1.0), F.col("base_util") + (month_idx - (F.col("default_month") - 5)) * 0.13)
    util = F.when(F.col("is_defaulter") & (month_idx >= F.col("default_month") - 5), rising).otherwise(
        F.col("base_util")
    )
    card = F.col("credit_limit") * util
    term = by_key(code, S.LOAN_TERM_MONTHS, 1)
    elapsed = F.months_between(month_end, F.col("open_date"))
    loan = F.col("credit_limit") * F.greatest(F.lit(0.05), 1 - elapsed / term)
    raw = (
        F.when(code == "CC", card)
        .when(code.isin("PL", "AUTO", "MORTGAGE"), loan)
        .when(code.isin("INSURANCE", "MOBILE"), F.lit(0.0))
        .otherwise(deposit)
    )
    factor = F.when(F.col("is_defaulter") & (code == "CC"), F.lit(1.0)).otherwise(activity_factor(month_idx))
    # A dormant customer's balances stay put: only churners' balances decay.
    factor = F.when(F.col("is_dormant"), F.lit(1.0)).otherwise(factor)
    return F.round(raw * factor, 2)


def monthly_frame(accounts: DataFrame, months: DataFrame) -> DataFrame:
    """Account x month-end rows for every account open at that month end, with balance and dpd."""
    open_at = (F.col("open_date") <= F.col("month_end")) & (
        F.col("close_date").isNull() | (F.col("close_date") > F.col("month_end"))
    )
    return (
        accounts.crossJoin(F.broadcast(months))
        .where(open_at)
        .withColumn("balance", balance_at(F.col("month_idx"), F.col("month_end")))
    )


def current_balance(accounts: DataFrame, settings: GenerateSettings) -> Column:
    """The extract's current balance: the last month-end balance for open accounts, 0 for closed ones."""
    last = F.lit(settings.months - 1)
    last_end = F.last_day(F.add_months(F.lit(settings.start_date), settings.months - 1))
    return F.when(F.col("close_date").isNotNull(), F.lit(0.0)).otherwise(balance_at(last, last_end))


def repayments_frame(monthly: DataFrame, settings: GenerateSettings) -> DataFrame:
    """Credit accounts' monthly repayments: amount due, amount paid and days past due.

    A defaulter's card misses payments from 3 months before its default month: dpd 30, 60, then 90
    at the default month end (120, 150, ... after). Other credit accounts are 30 days late in ~1.5%
    of months and catch up the month after.
    """
    code, j = F.col("product_code"), F.col("month_idx")
    credit = monthly.where(code.isin(*S.CREDIT_PRODUCTS))
    defaulted = F.col("is_defaulter") & (code == "CC")
    late = uniform(settings.seed, "late", F.col("account_id"), j) < 0.015
    dpd = F.when(defaulted, F.greatest(F.lit(0), (j - F.col("default_month") + 3) * 30)).otherwise(
        F.when(late, F.lit(30)).otherwise(F.lit(0))
    )
    card_due = F.when(
        F.col("balance") > 0, F.least(F.col("balance"), F.greatest(F.lit(25.0), F.col("balance") * 0.05))
    )
    loan_due = F.col("credit_limit") / by_key(code, S.LOAN_TERM_MONTHS, 1)
    due = F.round(F.coalesce(F.when(code == "CC", card_due).otherwise(loan_due), F.lit(0.0)), 2)
    return (
        credit.withColumn("days_past_due", dpd.cast("int"))
        .withColumn("amount_due", due)
        .withColumn("amount_paid", F.when(F.col("days_past_due") == 0, due).otherwise(F.lit(0.0)))
    )
