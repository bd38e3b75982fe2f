"""The latent customer segments and the product catalogue: the generator's design parameters.

Segments drive age, income, channel mix, spend level and product uptake. The uptake table is
the base probability of holding each product; affinities (payroll -> credit card, mortgage ->
insurance, VIP -> funds, car loan -> insurance) raise it on top, see ``customers.with_products``.
"""

from __future__ import annotations

from crm_mining import domain
from crm_mining.domain import PRODUCT_CATALOGUE

SEGMENTS = ["mass", "young_digital", "affluent", "sme_owner", "senior_saver"]
SEGMENT_WEIGHTS = [0.45, 0.20, 0.12, 0.08, 0.15]

# Life-event switchers (generate.switch_rate) are younger than the first age or at least the second:
# students and young workers leaving home, retirees moving or consolidating with a family member's bank.
SWITCH_AGES = (27, 72)

# Credit-card default is likelier under the first age or at the second and over
# (generate.default_age_multiplier): thin-file young borrowers, and older ones on a fixed income. Like
# SWITCH_AGES, a risk at both ends of the age range, which a tree model learns and a linear one cannot.
STRETCHED_AGES = (30, 70)

# code: (name, category, is_credit)
PRODUCTS = PRODUCT_CATALOGUE
CREDIT_PRODUCTS = list(domain.CREDIT_PRODUCTS)
LOAN_TERM_MONTHS = {"PL": 48, "AUTO": 72, "MORTGAGE": 300}

# Base probability of holding a product, per segment (before affinities).
UPTAKE: dict[str, dict[str, float]] = {
    "PAYROLL": {
        "mass": 0.55,
        "young_digital": 0.50,
        "affluent": 0.60,
        "sme_owner": 0.15,
        "senior_saver": 0.25,
    },
    "CC": {"mass": 0.15, "young_digital": 0.20, "affluent": 0.45, "sme_owner": 0.35, "senior_saver": 0.12},
    "PL": {"mass": 0.10, "young_digital": 0.12, "affluent": 0.04, "sme_owner": 0.15, "senior_saver": 0.03},
    "AUTO": {"mass": 0.10, "young_digital": 0.05, "affluent": 0.15, "sme_owner": 0.20, "senior_saver": 0.03},
    "MORTGAGE": {
        "mass": 0.20,
        "young_digital": 0.06,
        "affluent": 0.35,
        "sme_owner": 0.25,
        "senior_saver": 0.04,
    },
    "VIP": {"mass": 0.01, "young_digital": 0.01, "affluent": 0.60, "sme_owner": 0.15, "senior_saver": 0.15},
    "FUNDS": {"mass": 0.04, "young_digital": 0.05, "affluent": 0.20, "sme_owner": 0.08, "senior_saver": 0.20},
    "TD": {"mass": 0.10, "young_digital": 0.03, "affluent": 0.25, "sme_owner": 0.10, "senior_saver": 0.45},
    "FX": {"mass": 0.04, "young_digital": 0.08, "affluent": 0.20, "sme_owner": 0.25, "senior_saver": 0.03},
    "INSURANCE": {
        "mass": 0.08,
        "young_digital": 0.05,
        "affluent": 0.12,
        "sme_owner": 0.10,
        "senior_saver": 0.10,
    },
    "MOBILE": {
        "mass": 0.55,
        "young_digital": 0.95,
        "affluent": 0.60,
        "sme_owner": 0.60,
        "senior_saver": 0.15,
    },
}

# Designed affinities: holding the antecedent sets the consequent's probability to at least this.
AFFINITIES: list[tuple[str, str, float]] = [
    ("PAYROLL", "CC", 0.55),
    ("MORTGAGE", "INSURANCE", 0.70),
    ("VIP", "FUNDS", 0.65),
    ("AUTO", "INSURANCE", 0.45),
]

CHANNELS = list(domain.CHANNELS)
CHANNEL_MIX: dict[str, list[float]] = {
    "mass": [0.20, 0.40, 0.15, 0.15, 0.07, 0.03],
    "young_digital": [0.05, 0.25, 0.20, 0.48, 0.01, 0.01],
    "affluent": [0.08, 0.35, 0.30, 0.20, 0.05, 0.02],
    "sme_owner": [0.10, 0.30, 0.35, 0.15, 0.07, 0.03],
    "senior_saver": [0.28, 0.32, 0.04, 0.02, 0.26, 0.08],
}
# Multiplier on transaction amounts and balances.
SPEND_LEVEL = {"mass": 1.0, "young_digital": 0.7, "affluent": 2.6, "sme_owner": 1.8, "senior_saver": 0.8}
# Multiplier on transaction counts.
ACTIVITY_LEVEL = {"mass": 1.0, "young_digital": 1.3, "affluent": 1.1, "sme_owner": 1.4, "senior_saver": 0.6}

CARD_CATEGORIES = [
    "GROCERY",
    "FUEL",
    "RESTAURANT",
    "TRAVEL",
    "RETAIL",
    "UTILITIES",
    "HEALTH",
    "ENTERTAINMENT",
    "OTHER",
]
CARD_CATEGORY_WEIGHTS = [0.28, 0.10, 0.14, 0.04, 0.16, 0.08, 0.06, 0.08, 0.06]
# Median amount (EUR) per merchant category; amounts are lognormal around it (sigma AMOUNT_SIGMA).
CATEGORY_MEDIAN = {
    "GROCERY": 35.0,
    "FUEL": 50.0,
    "RESTAURANT": 28.0,
    "TRAVEL": 240.0,
    "RETAIL": 55.0,
    "UTILITIES": 75.0,
    "HEALTH": 40.0,
    "ENTERTAINMENT": 22.0,
    "OTHER": 30.0,
    "CASH": 80.0,
    "TRANSFER": 180.0,
    "SALARY": 2000.0,
}
AMOUNT_SIGMA = 0.8
SALARY_BY_INCOME = {"LOW": 1300.0, "MIDDLE": 2300.0, "HIGH": 4200.0, "VERY_HIGH": 8500.0}
