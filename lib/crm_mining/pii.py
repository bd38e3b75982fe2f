"""PII masking, shared by ingest (silver.interactions, ops.quarantine) and complaints (texts of your own).

Free text: rules, not a language model. They cover emails, IBANs, card numbers, national ids (Spanish
DNI/NIE, with or without dots and dashes, and US SSNs), phone numbers and street addresses written the
usual Spanish or English way ("Calle Mayor 12", "c/Mayor 12", "12 Main Street"). A name typed into a text is not
caught: that needs named-entity recognition (see docs/data_contract.md, "PII").
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

# Word edges in ASCII. Java's \b counts CJK characters as letters, and Chinese text glues words to
# numbers and addresses ("卡号4111 1111 1111 1111", "地址Calle Mayor 12"): \b found no edge there, so
# those stayed unmasked or half masked.
START = r"(?<![A-Za-z0-9_])"
END = r"(?![A-Za-z0-9_])"

# Anchored and bounded: an unanchored "[...]+@" retries from every character of a long run, which is
# quadratic (a 10 MB field in a quarantined record would hang its task).
EMAIL = r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24}"
IBAN = START + r"[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){3,7}(?:[ ]?[A-Z0-9]{1,3})?" + END
# 13 to 19 digits, optionally grouped by spaces or dashes (every card scheme's length).
CARD = START + r"(?:\d[ -]?){12,18}\d" + END
# Spanish DNI (8 digits and a letter) and NIE (X/Y/Z, 7 digits, a letter), also written with dots, a
# space or a dash ("12.345.678-Z", "12345678 Z") or glued to a label ("DNI12345678Z"), and US SSNs.
# Before PHONE: otherwise the digits read as a phone number and the letter stays ("[phone]-Z").
NATIONAL_ID = (
    rf"(?<![\d.])\d{{2}}\.?\d{{3}}\.?\d{{3}}[ -]?[A-Za-z]{END}"
    rf"|(?<![A-Za-z\d])[XYZxyz][ -]?\d{{7}}[ -]?[A-Za-z]{END}|{START}\d{{3}}-\d{{2}}-\d{{4}}{END}"
)
# A run of 8+ digits, spaces, dots, dashes and brackets, not starting inside a word or number (a dot
# after a label, "tlf.612345678", is not inside a number), and not a
# date (2025-01-31, 31.01.2025, 31/01/25) or an amount (1234567.89) that records and texts quote. The
# exclusions end where no further digit group follows, so "06.12.34.56.78" and "600.12.34.56" are phones.
PHONE = (
    r"(?<![\w+-])(?<![\d_]\.)(?!\d{4}-\d{2}-\d{2})(?!\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2}(?![.-]\d)))"
    r"(?!\d+\.\d{1,2}(?![ ().-]*\d))\+?\d[\d ().-]{6,}\d"
)
# Spanish street words in any case ("calle mayor 12"), and "C/" with or without a space after it. English
# street types stay case-sensitive: lower-case "way", "drive" or "road" after a number are everyday words.
STREET_WORDS = (
    START
    + r"(?:(?i:Calle|Avenida|Avda\.?|Av\.|Plaza|Pza\.|Paseo|Camino|Carretera|Ronda|Gran V[ií]a|Carrer|Rua)"
    r"|[Cc]/)"
)
SPANISH_ADDRESS = STREET_WORDS + r"(?:(?:\s+|(?<=/))[\p{L}.'-]+){0,4}?,?\s+(?:n[ºo°]\.?\s*)?\d{1,4}\w?"
ENGLISH_ADDRESS = (
    START + r"\d{1,5}\w?\s+(?:[\p{L}.'-]+\s+){1,3}"
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Way|Boulevard|Blvd|Close|Court|Place|Square)"
    + END
    + r"\.?"
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
    """A landed record (CSV line or JSON text) with each PII field's value replaced by ``[pii]`` where it
    stands as a whole field (between commas, quotes or the line's ends).

    Whole fields only: a last name "Mayor" must not eat half of the address "Calle Mayor 12" (which would
    then no longer match), nor a value "0" every zero of the line. A value written with CSV escapes
    (doubled quotes) does not match; ``mask_pii`` then sees it as text.
    """
    for value in pii_values:
        known = F.nullif(F.trim(value), F.lit(""))
        # \Q...\E quotes the value; a value holding "\E" itself is split so the quoting survives.
        quoted = F.concat(F.lit("\\Q"), F.replace(known, F.lit("\\E"), F.lit("\\E\\\\E\\Q")), F.lit("\\E"))
        field = F.concat(F.lit('(?<=^|[,"])\\s*'), quoted, F.lit('\\s*(?=$|[,"])'))
        raw = F.when(known.isNull(), raw).otherwise(F.regexp_replace(raw, field, F.lit(PII_VALUE)))
    return raw
