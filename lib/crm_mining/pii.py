"""PII masking of free text, shared by ingest (silver.interactions) and complaints (texts of your own)."""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
PHONE = r"\+?\d[\d ().-]{6,}\d"


def mask_pii(text: Column) -> Column:
    """Replace emails and phone-number-like digit runs with placeholders ([email], [phone])."""
    return F.regexp_replace(F.regexp_replace(text, EMAIL, "[email]"), PHONE, "[phone]")
