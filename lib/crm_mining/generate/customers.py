"""Customers: demographics, PII, latent segment, behaviour flags and product holdings (one wide row each).

Built from ``spark.range(customers)`` with column expressions only. Each product column
``open_<CODE>`` holds the account's open date (null when the customer never holds it inside the
window); accounts open over the first 24 months of tenure, the current account at join, and an
affinity's consequent (``segments.AFFINITIES``) 1-6 months after the customer's earliest held antecedent,
or, for ``cross_sell_rate`` of the antecedent's other holders, on a day inside the window.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining.config.generate import GenerateSettings
from crm_mining.generate import segments as S  # noqa: N812 (short name for design tables)
from crm_mining.generate.randomness import by_key, lognormal, pick, uniform
from crm_mining.generate.window import window_end

FIRST_NAMES = [
    "Ana",
    "Luis",
    "Marta",
    "Jorge",
    "Lucia",
    "Pablo",
    "Elena",
    "Carlos",
    "Sofia",
    "David",
    "Laura",
    "Javier",
    "Paula",
    "Miguel",
    "Sara",
    "Daniel",
    "Irene",
    "Alberto",
    "Nuria",
    "Raul",
]
LAST_NAMES = [
    "Garcia",
    "Martinez",
    "Lopez",
    "Sanchez",
    "Perez",
    "Gomez",
    "Martin",
    "Jimenez",
    "Ruiz",
    "Hernandez",
    "Diaz",
    "Moreno",
    "Alvarez",
    "Romero",
    "Navarro",
    "Torres",
    "Dominguez",
    "Vazquez",
    "Ramos",
    "Gil",
]
REGIONS = ["NORTH", "SOUTH", "EAST", "WEST", "CENTRAL", "CAPITAL", "ISLANDS", "COAST"]
CITIES = ["Madrid", "Barcelona", "Valencia", "Sevilla", "Bilbao", "Malaga", "Palma", "Zaragoza"]
STREETS = ["Calle Mayor", "Avenida del Sol", "Calle Real", "Paseo del Prado", "Calle Nueva", "Gran Via"]


def customer_id(num: Column) -> Column:
    return F.concat(F.lit("C"), F.lpad(num.cast("string"), 8, "0"))


def element(values: list[str], u: Column) -> Column:
    """Pick one of ``values`` uniformly with draw ``u`` in [0, 1)."""
    return F.element_at(F.array(*[F.lit(v) for v in values]), (u * len(values)).cast("int") + 1)


def customers_frame(
    spark: SparkSession, settings: GenerateSettings, partitions: int | None = None
) -> DataFrame:
    """The wide customer frame (one row per customer); see the module docstring.

    ``partitions`` only changes the layout, never a value (every draw hashes the customer number).
    """
    partitions = partitions or max(spark.sparkContext.defaultParallelism, settings.customers // 20_000 + 1)
    base = spark.range(settings.customers, numPartitions=partitions).select(F.col("id").alias("cust_num"))
    return (
        base.transform(lambda df: with_demographics(df, settings))
        .transform(lambda df: with_pii(df, settings))
        .transform(lambda df: with_join_date(df, settings))
        .transform(lambda df: with_behaviour(df, settings))
        .transform(lambda df: with_products(df, settings))
    )


def with_demographics(df: DataFrame, settings: GenerateSettings) -> DataFrame:
    seed, key = settings.seed, F.col("cust_num")

    def u(salt: str) -> Column:
        return uniform(seed, salt, key)

    segment = pick(u("segment"), S.SEGMENTS, S.SEGMENT_WEIGHTS)
    df = df.withColumn("segment", segment)
    seg = F.col("segment")
    age = (
        F.when(seg == "young_digital", 19 + u("age") * 16)
        .when(seg == "senior_saver", 60 + u("age") * 25)
        .when(seg == "affluent", 35 + u("age") * 30)
        .when(seg == "sme_owner", 30 + u("age") * 30)
        .otherwise(22 + u("age") * 45)
        .cast("int")
    )
    df = df.withColumn("age", age)
    birth = F.date_sub(
        F.add_months(F.lit(settings.start_date), -12 * F.col("age")), (u("birth") * 365).cast("int")
    )
    marital = (
        F.when(F.col("age") < 28, pick(u("marital"), ["SINGLE", "MARRIED"], [0.75, 0.25]))
        .when(
            F.col("age") >= 65,
            pick(u("marital"), ["MARRIED", "WIDOWED", "SINGLE", "DIVORCED"], [0.55, 0.25, 0.1, 0.1]),
        )
        .otherwise(pick(u("marital"), ["MARRIED", "SINGLE", "DIVORCED", "WIDOWED"], [0.6, 0.25, 0.12, 0.03]))
    )
    occupation = (
        F.when(seg == "young_digital", pick(u("occ"), ["STUDENT", "EMPLOYEE"], [0.3, 0.7]))
        .when(seg == "senior_saver", F.lit("RETIRED"))
        .when(seg == "sme_owner", F.lit("SELF_EMPLOYED"))
        .when(seg == "affluent", pick(u("occ"), ["EXECUTIVE", "PROFESSIONAL"], [0.5, 0.5]))
        .otherwise(pick(u("occ"), ["EMPLOYEE", "UNEMPLOYED", "SELF_EMPLOYED"], [0.8, 0.1, 0.1]))
    )
    education = (
        F.when(seg == "affluent", pick(u("edu"), ["UNIVERSITY", "POSTGRADUATE"], [0.6, 0.4]))
        .when(seg == "young_digital", pick(u("edu"), ["SECONDARY", "UNIVERSITY"], [0.45, 0.55]))
        .otherwise(pick(u("edu"), ["PRIMARY", "SECONDARY", "UNIVERSITY"], [0.2, 0.5, 0.3]))
    )
    income = (
        F.when(seg == "affluent", pick(u("inc"), ["HIGH", "VERY_HIGH"], [0.55, 0.45]))
        .when(seg == "sme_owner", pick(u("inc"), ["MIDDLE", "HIGH", "VERY_HIGH"], [0.4, 0.45, 0.15]))
        .when(seg == "young_digital", pick(u("inc"), ["LOW", "MIDDLE"], [0.6, 0.4]))
        .when(seg == "senior_saver", pick(u("inc"), ["LOW", "MIDDLE", "HIGH"], [0.45, 0.45, 0.1]))
        .otherwise(pick(u("inc"), ["LOW", "MIDDLE", "HIGH"], [0.45, 0.45, 0.1]))
    )
    return df.withColumns(
        {
            "birth_date": birth,
            "gender": pick(u("gender"), ["F", "M"], [0.5, 0.5]),
            "marital_status": marital,
            "occupation": occupation,
            "education": education,
            "region": element(REGIONS, u("region")),
            "income_band": income,
        }
    )


def with_pii(df: DataFrame, settings: GenerateSettings) -> DataFrame:
    """Names, phone, national id, address and email: bronze only (silver must drop them)."""
    seed, key = settings.seed, F.col("cust_num")

    def digits(salt: str, n: int) -> Column:
        return F.lpad(F.pmod(F.xxhash64(F.lit(seed), F.lit(salt), key), F.lit(10**n)).cast("string"), n, "0")

    first = element(FIRST_NAMES, uniform(seed, "first", key))
    last = element(LAST_NAMES, uniform(seed, "last", key))
    phone_digits = digits("phone", 8)
    return df.withColumns(
        {
            "first_name": first,
            "last_name": last,
            "phone": F.concat(
                F.lit("+34 6"),
                F.substring(phone_digits, 1, 2),
                F.lit(" "),
                F.substring(phone_digits, 3, 3),
                F.lit(" "),
                F.substring(phone_digits, 6, 3),
            ),
            "national_id": F.concat(
                digits("nid", 8), element(list("TRWAGMYFPDXBNJZSQVHLCKE"), uniform(seed, "nid-letter", key))
            ),
            "address": F.concat(
                element(STREETS, uniform(seed, "street", key)),
                F.lit(" "),
                (uniform(seed, "house", key) * 200 + 1).cast("int").cast("string"),
                F.lit(" "),
                element(CITIES, uniform(seed, "city", key)),
            ),
            "email": F.lower(F.concat(first, F.lit("."), last, digits("mail", 3), F.lit("@example.com"))),
        }
    )


def with_join_date(df: DataFrame, settings: GenerateSettings) -> DataFrame:
    """Join dates: most spread over ``history_years`` before start_date, a share inside the window."""
    seed, key = settings.seed, F.col("cust_num")
    start = F.lit(settings.start_date)
    window_days = (window_end(settings) - settings.start_date).days
    inside = F.date_add(start, (uniform(seed, "join-in", key) * max(window_days - 20, 1)).cast("int"))
    before = F.date_sub(
        start, (uniform(seed, "join-before", key) * 365 * settings.history_years).cast("int") + 1
    )
    joined = F.when(uniform(seed, "is-new", key) < settings.new_customer_share, inside).otherwise(before)
    adult = F.add_months(F.col("birth_date"), 18 * 12)  # nobody joins before 18
    return df.withColumn("join_date", F.greatest(joined, adult))


def declines_before_churn() -> Column:
    """Churners whose activity decays before they leave (``with_behaviour``): every churner but the
    life-event switchers, who leave without a decline."""
    return F.col("is_churner") & ~F.col("is_switcher")


def switching(settings: GenerateSettings, behaviour_u: Column, pre_window: Column, after: float) -> Column:
    """Life-event switchers: pre-window customers past the ``after`` cut of behaviour_u, in the switching ages."""
    young, old = S.SWITCH_AGES
    return (
        pre_window
        & (behaviour_u >= after)
        & ((F.col("age") < young) | (F.col("age") >= old))
        & (uniform(settings.seed, "switch", F.col("cust_num")) < settings.switch_rate)
    )


def default_eligible(settings: GenerateSettings) -> Column:
    """A defaulter's card is open at least 3 months before the window starts (room for dpd to climb)."""
    return F.col("join_date") <= F.date_sub(F.lit(settings.start_date), 120)


def behaviour_bands(
    settings: GenerateSettings, behaviour_u: Column, pre_window: Column
) -> tuple[Column, Column, Column]:
    """(switcher, defaulter, dormant) as consecutive bands of behaviour_u after the decliners' band: every
    customer as likely to default (``default_age_multiplier`` 1)."""
    churn_cut = settings.churn_rate
    default_cut = churn_cut + settings.default_rate
    dormant_cut = default_cut + settings.dormant_rate
    is_defaulter = default_eligible(settings) & (behaviour_u >= churn_cut) & (behaviour_u < default_cut)
    is_dormant = dormant_band(settings, behaviour_u, pre_window, default_cut, dormant_cut)
    return switching(settings, behaviour_u, pre_window, dormant_cut), is_defaulter, is_dormant


def behaviour_with_age_risk(
    settings: GenerateSettings, behaviour_u: Column, pre_window: Column
) -> tuple[Column, Column, Column]:
    """(switcher, defaulter, dormant) when age drives default (``default_age_multiplier`` > 1): defaulters
    by a draw of their own among the non-decliners, ``default_rate`` at 30-69 and the multiple of it under 30
    and at 70 and over; dormant customers and switchers then come from the others. Who is dormant or a
    switcher changes with it, so the bands above keep the default lake as it was."""
    churn_cut = settings.churn_rate
    dormant_cut = churn_cut + settings.dormant_rate
    age, young, old = F.col("age"), *S.STRETCHED_AGES
    rate = F.when(
        (age < young) | (age >= old), settings.default_rate * settings.default_age_multiplier
    ).otherwise(settings.default_rate)
    is_defaulter = (
        default_eligible(settings)
        & (behaviour_u >= churn_cut)
        & (uniform(settings.seed, "default", F.col("cust_num")) < rate)
    )
    is_switcher = ~is_defaulter & switching(settings, behaviour_u, pre_window, dormant_cut)
    is_dormant = ~is_defaulter & dormant_band(settings, behaviour_u, pre_window, churn_cut, dormant_cut)
    return is_switcher, is_defaulter, is_dormant


def dormant_band(
    settings: GenerateSettings, behaviour_u: Column, pre_window: Column, start: float, end: float
) -> Column:
    """Dormant customers: pre-window customers in [start, end) of behaviour_u, when the window has the
    months for a silent spell (5 or more)."""
    return pre_window & (behaviour_u >= start) & (behaviour_u < end) & F.lit(settings.months >= 5)


def with_behaviour(df: DataFrame, settings: GenerateSettings) -> DataFrame:
    """Churners, defaulters and dormant customers (mutually exclusive), each with its dates.

    Churners are decliners (``churn_rate``: activity decays before the churn date) plus life-event
    switchers (``is_switcher``, ``switch_rate`` of the other pre-window customers in the switching ages:
    no decline). Defaulters: ``behaviour_bands``, or ``behaviour_with_age_risk`` when age drives default.
    churn_month/churn_date: all accounts close on churn_date; default_month: the defaulted card's
    dpd reaches 90 at that month end; silent_from/silent_to: month indexes without activity.
    """
    seed, key, m = settings.seed, F.col("cust_num"), settings.months
    start = F.lit(settings.start_date)
    pre_window = F.col("join_date") < start
    behaviour_u = uniform(seed, "behaviour", key)
    if settings.default_age_multiplier == 1:
        is_switcher, is_defaulter, is_dormant = behaviour_bands(settings, behaviour_u, pre_window)
    else:
        is_switcher, is_defaulter, is_dormant = behaviour_with_age_risk(settings, behaviour_u, pre_window)
    is_churner = (pre_window & (behaviour_u < settings.churn_rate)) | is_switcher

    churn_month = (uniform(seed, "churn-month", key) * m).cast("int")
    churn_date = F.date_add(
        F.add_months(start, churn_month), (4 + uniform(seed, "churn-day", key) * 23).cast("int")
    )
    first_default = min(2, m - 1)
    default_month = first_default + (uniform(seed, "default-month", key) * (m - first_default)).cast("int")
    silent_from = (uniform(seed, "silent-from", key) * max(m - 4, 1)).cast("int")
    resumes = uniform(seed, "resumes", key) < 0.5
    silent_to = F.when(
        resumes, silent_from + 4 + (uniform(seed, "silent-len", key) * 3).cast("int")
    ).otherwise(m)
    seg = F.col("segment")
    return df.withColumns(
        {
            "is_churner": is_churner,
            "is_switcher": is_switcher,
            "is_defaulter": is_defaulter,
            "is_dormant": is_dormant,
            "churn_month": F.when(is_churner, churn_month),
            "churn_date": F.when(is_churner, churn_date),
            "default_month": F.when(is_defaulter, default_month),
            "default_date": F.when(is_defaulter, F.last_day(F.add_months(start, default_month))),
            "silent_from": F.when(is_dormant, silent_from),
            "silent_to": F.when(is_dormant, F.least(silent_to, F.lit(m))),
            "activity": lognormal(seed, "activity", 0.0, 0.45, key) * by_key(seg, S.ACTIVITY_LEVEL, 1.0),
            "spend_level": lognormal(seed, "spend", 0.0, 0.35, key) * by_key(seg, S.SPEND_LEVEL, 1.0),
        }
    )


def with_products(df: DataFrame, settings: GenerateSettings) -> DataFrame:
    """Product holdings with open dates: segment uptake, life-stage rules, then affinities."""
    seed, key = settings.seed, F.col("cust_num")
    seg, age, income = F.col("segment"), F.col("age"), F.col("income_band")
    affluent_income = income.isin("HIGH", "VERY_HIGH")

    def base(code: str) -> Column:
        return by_key(seg, S.UPTAKE[code], 0.0)

    # Life stage: mortgages at 25-60, car loans at 22-65, wealth products need income.
    life_stage = {
        "MORTGAGE": F.when((age >= 25) & (age <= 60), F.when(affluent_income, 1.6).otherwise(1.0)).otherwise(
            0.1
        ),
        "AUTO": F.when((age >= 22) & (age <= 65), 1.0).otherwise(0.2),
        "VIP": F.when(affluent_income, 1.0).otherwise(0.2),
        "FUNDS": F.when(affluent_income | (age >= 55), 1.3).otherwise(0.7),
        "PAYROLL": F.when(F.col("occupation").isin("EMPLOYEE", "EXECUTIVE", "PROFESSIONAL"), 1.4).otherwise(
            0.3
        ),
    }
    holds: dict[str, Column] = {}
    order = ["PAYROLL", "MORTGAGE", "AUTO", "VIP", "PL", "TD", "FX", "MOBILE", "CC", "INSURANCE", "FUNDS"]
    for code in order:
        prob = base(code) * life_stage.get(code, F.lit(1.0))
        for antecedent, consequent, boosted in S.AFFINITIES:
            if consequent == code:
                prob = F.when(holds[antecedent], F.greatest(prob, F.lit(boosted))).otherwise(prob)
        held = uniform(seed, f"holds-{code}", key) < F.least(prob, F.lit(0.97))
        if code == "CC":
            held = held | F.col("is_defaulter")  # a defaulter defaults on its card
        holds[code] = held
    end = F.lit(window_end(settings))
    opens = {"open_DDA": F.col("join_date")}
    # Tenure day each product would open: within the first 24 months of tenure ...
    offsets = {code: (uniform(seed, f"open-{code}", key) * 730).cast("int") for code in order}
    # ... except an affinity's consequent, which is cross-sold after its antecedent: 1-6 months after the
    # earliest held antecedent opens (so holders of the antecedent open it in the months that follow).
    # A holder of the antecedent whom that draw left without the consequent is cross-sold it inside the
    # window with probability cross_sell_rate (the bank's campaigns), on a uniform day of the window and at
    # least 30 days after the antecedent opened: the openings next-best-offer is measured against.
    window_days = (window_end(settings) - settings.start_date).days + 1
    start_tenure_day = F.datediff(F.lit(settings.start_date), F.col("join_date"))
    for consequent in dict.fromkeys(c for _, c, _ in S.AFFINITIES):
        after = [F.when(holds[a], offsets[a]) for a, c, _ in S.AFFINITIES if c == consequent]
        earliest = F.least(*after) if len(after) > 1 else after[0]
        lag = (30 + uniform(seed, f"lag-{consequent}", key) * 150).cast("int")
        cross_sold = (
            ~holds[consequent]
            & earliest.isNotNull()
            & (uniform(seed, f"cross-sell-{consequent}", key) < settings.cross_sell_rate)
        )
        day = (uniform(seed, f"cross-sell-day-{consequent}", key) * window_days).cast("int")
        in_window = start_tenure_day + day
        offsets[consequent] = F.when(cross_sold, F.greatest(in_window, earliest + 30)).otherwise(
            F.coalesce(earliest + lag, offsets[consequent])
        )
        holds[consequent] = holds[consequent] | cross_sold
    for code in order:
        offset = offsets[code]
        if code == "CC":
            offset = F.when(
                F.col("is_defaulter"), (uniform(seed, "open-CC-def", key) * 30).cast("int")
            ).otherwise(offset)
        opened = F.date_add(F.col("join_date"), offset)
        exists = (
            holds[code] & (opened <= end) & (F.col("churn_date").isNull() | (opened < F.col("churn_date")))
        )
        opens[f"open_{code}"] = F.when(exists, opened)
    return df.withColumns(opens)
