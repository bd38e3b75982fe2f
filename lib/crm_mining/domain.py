"""The bank's shared vocabulary: the codes of docs/data_contract.md, defined once.

The generator writes them, ingest validates against them and features pivot on them.
"""

from __future__ import annotations

# code -> (product name, category, is a credit product)
PRODUCT_CATALOGUE: dict[str, tuple[str, str, bool]] = {
    "DDA": ("demand deposit (current account)", "DEPOSIT", False),
    "TD": ("time deposit", "DEPOSIT", False),
    "PAYROLL": ("payroll account", "DEPOSIT", False),
    "CC": ("credit card", "CREDIT", True),
    "PL": ("personal loan", "LOAN", True),
    "AUTO": ("car loan", "LOAN", True),
    "MORTGAGE": ("mortgage", "LOAN", True),
    "VIP": ("VIP / wealth package", "WEALTH", False),
    "FUNDS": ("investment funds", "INVEST", False),
    "FX": ("foreign-exchange account", "DEPOSIT", False),
    "INSURANCE": ("insurance", "INSURANCE", False),
    "MOBILE": ("mobile banking", "SERVICE", False),
}
PRODUCT_CODES = tuple(PRODUCT_CATALOGUE)
CREDIT_PRODUCTS = tuple(code for code, (_, _, credit) in PRODUCT_CATALOGUE.items() if credit)
CHANNELS = ("ATM", "POS", "ONLINE", "MOBILE", "BRANCH", "PHONE")
DIRECTIONS = ("DEBIT", "CREDIT")
MERCHANT_CATEGORIES = (
    "GROCERY", "FUEL", "RESTAURANT", "TRAVEL", "RETAIL", "UTILITIES",
    "HEALTH", "ENTERTAINMENT", "CASH", "TRANSFER", "SALARY", "OTHER",
)  # fmt: skip
ACCOUNT_STATUSES = ("ACTIVE", "CLOSED", "DEFAULTED")
INTERACTION_KINDS = ("COMPLAINT", "SERVICE", "INQUIRY")
