"""PII masking of free text and of landed records (crm_mining.pii), hand-worked texts."""

from __future__ import annotations

from pyspark.sql import functions as F  # noqa: N812
from pyspark.testing import assertDataFrameEqual

from crm_mining.ingest.validate import bad, row_ref
from crm_mining.landing import source
from crm_mining.pii import mask_pii, mask_values

TEXTS = [
    ("email", "write to ann.lee@example.com today", "write to [email] today"),
    ("phone", "call me on +44 20 7946 0958 please", "call me on [phone] please"),
    ("spanish phone", "mi móvil es 612 345 678", "mi móvil es [phone]"),
    ("dotted phones", "appelez 06.12.34.56.78 ou 600.12.34.56", "appelez [phone] ou [phone]"),
    ("dni", "my DNI is 12345678Z, check it", "my DNI is [idnumber], check it"),
    ("nie", "NIE X1234567L", "NIE [idnumber]"),
    ("ssn", "ssn 123-45-6789", "ssn [idnumber]"),
    ("card", "card 4111 1111 1111 1111 was charged", "card [cardnumber] was charged"),
    ("card no spaces", "card 4111111111111111.", "card [cardnumber]."),
    ("iban", "send it to ES91 2100 0418 4502 0005 1332 now", "send it to [iban] now"),
    ("spanish address", "vivo en Calle Mayor 12, Madrid", "vivo en [address], Madrid"),
    ("english address", "I moved to 221B Baker Street last year", "I moved to [address] last year"),
    ("lower-case address", "vivo en calle mayor 12, Madrid", "vivo en [address], Madrid"),
    ("c/ address", "envíenlo a C/Mayor 12 y ya", "envíenlo a [address] y ya"),
    ("dotted dni", "DNI 12.345.678-Z por favor", "DNI [idnumber] por favor"),
    ("spaced dni", "mi dni es 12345678 Z.", "mi dni es [idnumber]."),
    ("glued dni and phone", "DNI12345678Z tlf.612345678", "DNI[idnumber] tlf.[phone]"),
    ("spaced nie", "NIE X 1234567 L", "NIE [idnumber]"),
    # Chinese glues words to numbers: Java's \b sees no edge between "号" and "4" (both letters to it).
    ("chinese card", "卡号4111 1111 1111 1111被扣款", "卡号[cardnumber]被扣款"),
    ("chinese address", "地址Calle Mayor 12，马德里", "地址[address]，马德里"),
    ("chinese english address", "地址12 Main Street谢谢", "地址[address]谢谢"),
    ("chinese iban", "转到ES9121000418450200051332吧", "转到[iban]吧"),
    ("chinese dni", "身份证号12345678Z号码", "身份证号[idnumber]号码"),
    # What must stay: dates, times, amounts and ids that records and complaints quote.
    ("date and amount", "on 2025-01-31 at 10:00:00 I paid 1234567.89 EUR", "on 2025-01-31 at 10:00:00 I paid 1234567.89 EUR"),
    ("european dates", "from 31.01.2025 to 28-02-25", "from 31.01.2025 to 28-02-25"),
    ("not an email", "x" * 300 + " @ nothing", "x" * 300 + " @ nothing"),
    ("record ids", "T1,A1,C00000012,2025-01-02 10:00:00,10.0,EUR", "T1,A1,C00000012,2025-01-02 10:00:00,10.0,EUR"),
    ("no pii", "the fee was too high", "the fee was too high"),
    # English street types are case-sensitive: lower-case, they are everyday words after a number.
    ("everyday english", "charged 3 times on the way home", "charged 3 times on the way home"),
]  # fmt: skip


def test_free_text_rules_mask_each_kind_of_pii_and_keep_dates_amounts_and_ids(spark):
    texts = spark.createDataFrame([(k, t) for k, t, _ in TEXTS], "kind string, text string")
    got = texts.select("kind", mask_pii(F.col("text")).alias("masked"))
    expected = spark.createDataFrame([(k, m) for k, _, m in TEXTS], "kind string, masked string")
    assertDataFrameEqual(got, expected)


def test_pii_field_values_are_replaced_in_the_landed_record(spark):
    records = spark.createDataFrame(
        [
            ('C1,Ann,Lee,"1 Main St, Town",ann@example.com', "Ann", "1 Main St, Town"),
            ('{"id": "C2", "name": "Bo", "address": null}', "Bo", None),
            ("C3,,", "", "  "),
            ('C4,Mayor,"Calle Mayor 12, Madrid"', "Mayor", "Calle Mayor 12, Madrid"),  # whole fields only
            ("C5,0,2025-01-01", "0", None),
        ],
        "raw string, name string, address string",
    )
    got = records.select(mask_values(F.col("raw"), [F.col("name"), F.col("address")]).alias("raw"))
    expected = spark.createDataFrame(
        [
            ('C1,[pii],Lee,"[pii]",ann@example.com',),  # the email is left to the free-text rules
            ('{"id": "C2", "name": "[pii]", "address": null}',),
            ("C3,,",),
            ('C4,[pii],"[pii]"',),
            ("C5,[pii],2025-01-01",),
        ],
        "raw string",
    )
    assertDataFrameEqual(got, expected)


def test_a_detail_quotes_only_the_start_of_a_huge_value(spark):
    """A 10 MB field was stored twice in quarantine (raw and detail): the detail now quotes 200 characters."""
    values = spark.createDataFrame([("9" * 5000,), ("abc",)], "amount string")
    got = values.select(bad("amount", "is not a number", F.col("amount")).alias("detail"))
    expected = spark.createDataFrame(
        [("amount is not a number: '" + "9" * 200 + "…'",), ("amount is not a number: 'abc'",)],
        "detail string",
    )
    assertDataFrameEqual(got, expected)


def test_a_keyless_record_is_referred_to_by_the_start_of_its_line(spark):
    """Without its key, a record's row_ref was its whole raw line: a 10 MB line was stored twice."""
    records = spark.createDataFrame(
        [("T1", "T1,A1"), ("", "," + "9" * 5000), (None, ",short line")], "txn_id string, raw string"
    )
    got = records.select(row_ref(source("transactions")).alias("row_ref"))
    expected = spark.createDataFrame([("T1",), ("," + "9" * 199 + "…",), (",short line",)], "row_ref string")
    assertDataFrameEqual(got, expected)
