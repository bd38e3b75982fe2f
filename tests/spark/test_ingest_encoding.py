"""Landing text that is not UTF-8: quarantined as BAD_ENCODING with every byte kept, or decoded with the
source's configured encoding; never replacement characters, and every table stays readable by another
Delta reader (delta-rs, the `deltalake` package)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from deltalake import DeltaTable
from pyspark.sql import functions as F  # noqa: N812
from pyspark.sql.types import StringType
from pyspark.testing import assertDataFrameEqual

from crm_mining.ingest import ingest_lake
from crm_mining.tables import Lake
from helpers.landing_files import CUSTOMER_HEADER, customer, land_base_sources, write_csv


def latin1_customer(cid: str) -> list[str]:
    row = customer(cid)
    row[CUSTOMER_HEADER.index("occupation")] = "Diseñadora"
    row[CUSTOMER_HEADER.index("region")] = "Logroño"
    return row


def test_latin1_lines_are_quarantined_or_decoded_and_every_table_stays_readable(spark, config, tmp_path):
    # The Latin-1 lines are customers: the other sources' streams (empty folders here) would only add their
    # fixed batch time to both ingests (CI time).
    land_base_sources(Path(config.lake.root), ("customers",), tmp_path / "every_source")
    landing = Path(Lake(config).landing())
    write_csv(
        landing / "customers/customers_latin1_a.csv", CUSTOMER_HEADER, [latin1_customer("C7")], "latin-1"
    )
    ingest_lake(spark, config)  # customers are UTF-8 by default: the Latin-1 line is not valid UTF-8

    lake = Lake(config)
    quarantined = lake.read(spark, "ops.quarantine").where(F.col("row_ref") == "C7")
    assertDataFrameEqual(quarantined.select("reason"), [("BAD_ENCODING",)])
    (raw,) = [r.raw for r in quarantined.collect()]
    assert "Diseñadora" in raw and "Logroño" in raw  # every byte kept, read as ISO-8859-1
    assert "[pii]" in raw and "ann@example.com" not in raw  # and still no PII

    latin1 = replace(config, ingest=replace(config.ingest, encodings={"customers": "ISO-8859-1"}))
    write_csv(
        landing / "customers/customers_latin1_b.csv", CUSTOMER_HEADER, [latin1_customer("C8")], "latin-1"
    )
    ingest_lake(spark, latin1)
    assertDataFrameEqual(
        lake.read(spark, "silver.customers")
        .where(F.col("customer_id") == "C8")
        .select("occupation", "region"),
        [("Diseñadora", "Logroño")],
    )

    for layer in ("bronze", "silver", "ops"):
        for folder in sorted((Path(config.lake.root) / layer).iterdir()):
            table = DeltaTable(
                str(folder)
            ).to_pyarrow_table()  # raises on invalid UTF-8 or out-of-range dates
            assert table.num_rows >= 0, folder
            name = f"{layer}.{folder.name}"
            df = lake.read(spark, name)
            for column in (f.name for f in df.schema.fields if isinstance(f.dataType, StringType)):
                assert df.where(F.col(column).contains("\ufffd")).isEmpty(), f"U+FFFD in {name}.{column}"
