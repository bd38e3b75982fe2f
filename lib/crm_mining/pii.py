"""PII masking, shared by ingest (silver.interactions, ops.quarantine) and complaints (texts of your own).

Free text: rules, not a language model. They cover emails, IBANs, card numbers, national ids (Spanish
DNI/NIE and other letter-and-digit ids of six or more digits), phone numbers and street addresses written
the usual Spanish or English way ("Calle Mayor 12", "12 Main Street"). A name typed into a text is not
caught: that needs named-entity recognition (see docs/data_contract.md, "PII").
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
IBAN = r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){3,7}(?:[ ]?[A-Z0-9]{1,3})?\b"
# 13 to 19 digits, optionally grouped by spaces or dashes (every card scheme's length).
CARD = r"\b(?:\d[ -]?){12,18}\d\b"
# Spanish DNI (8 digits and a letter) and NIE (X/Y/Z, 7 digits, a letter), and US SSNs. Before PHONE:
# otherwise the digits of "12345678Z" read as a phone number and the letter stays.
NATIONAL_ID = r"\b\d{8}-?[A-Za-z]\b|\b[XYZxyz]-?\d{7}-?[A-Za-z]\b|\b\d{3}-\d{2}-\d{4}\b"
# A run of 8+ digits, spaces, dots, dashes and brackets, not starting inside a word or number, and not a
# date (2025-01-31, 31/01/2025) or an amount (1234567.89): records quote those beside a phone's digits.
PHONE = (
    r"(?<![\w.+-])(?!\d{4}-\d{2}-\d{2})(?!\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4})(?!\d+\.\d{1,2}\b)"
    r"\+?\d[\d ().-]{6,}\d"
)
STREET_WORDS = (
    r"\b(?:Calle|C/|Avenida|Avda\.?|Av\.|Plaza|Pza\.|Paseo|Camino|Carretera|Ronda|Gran V[ií]a|Carrer|Rua)"
)
SPANISH_ADDRESS = STREET_WORDS + r"(?:\s+[\p{L}.'-]+){0,4}?,?\s+(?:n[ºo°]\.?\s*)?\d{1,4}\w?"
ENGLISH_ADDRESS = (
    r"\b\d{1,5}\w?\s+(?:[\p{L}.'-]+\s+){1,3}"
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Way|Boulevard|Blvd|Close|Court|Place|Square)\b\.?"
)

# Order matters: the most specific patterns first, so a broader one never eats half of a match.
TEXT_RULES = [
    (EMAIL, "[email]"),
    (IBAN, "[iban]"),
    (CARD, "[cardnumber]"),
    (NATIONAL_ID, "[idnumber]"),
    (PHONE, "[phone]"),
    (SPANISH_ADDRESS, "[address]"),
    (ENGLISH_ADDRESS, "[address]"),
]
PLACEHOLDERS = ["email", "iban", "cardnumber", "idnumber", "phone", "address"]
PII_VALUE = "[pii]"


def mask_pii(text: Column) -> Column:
    """``text`` with every PII pattern of ``TEXT_RULES`` replaced by its placeholder."""
    for pattern, placeholder in TEXT_RULES:
        text = F.regexp_replace(text, pattern, placeholder)
    return text


def mask_values(raw: Column, pii_values: list[Column]) -> Column:
    """A landed record (CSV line or JSON text) with the values of its PII fields replaced by ``[pii]``.

    Whatever does not parse into fields keeps its PII: pass the result through ``mask_pii`` as well."""
    for value in pii_values:
        known = F.nullif(F.trim(value), F.lit(""))
        raw = F.when(known.isNull(), raw).otherwise(F.replace(raw, known, F.lit(PII_VALUE)))
    return raw
