"""Ingest's pure parts: the accounting check and the schema-drift messages (no Spark)."""

from __future__ import annotations

import pytest

from crm_mining import CrmMiningError
from crm_mining.ingest.audit import BatchCounts, check_balance
from crm_mining.ingest.drift import FileDrift, as_source_file, csv_drifts, header_cells
from crm_mining.landing import source


def test_balanced_batch_passes_and_splits_duplicates_from_quarantine():
    counts = BatchCounts("transactions", "transactions_csv-000000", 10, 6,
                         {"ORPHAN": 1, "BAD_DATE": 1, "DUPLICATE": 1, "NEAR_DUPLICATE": 1})  # fmt: skip
    assert (counts.rows_quarantined, counts.duplicates, counts.balanced) == (2, 2, True)
    check_balance(counts, quarantine_rows_written=4)


def test_unbalanced_batch_fails_loudly_naming_source_batch_and_numbers():
    counts = BatchCounts("accounts", "accounts-000003", 10, 5, {"ORPHAN": 2, "DUPLICATE": 1})
    with pytest.raises(CrmMiningError, match=r"'accounts' batch 'accounts-000003': read 10 != written 5 \+ "
                                             r"quarantined 2 \+ duplicates 1"):  # fmt: skip
        check_balance(counts, quarantine_rows_written=3)


def test_quarantine_table_must_receive_every_rejected_row():
    counts = BatchCounts("customers", "customers-000000", 3, 2, {"BAD_DATE": 1})
    with pytest.raises(CrmMiningError, match="quarantine table received 0 rows for 1 rejected"):
        check_balance(counts, quarantine_rows_written=0)


def test_csv_header_drift_names_extra_and_missing_columns_and_the_file():
    expected = source("customers").columns
    layouts = {
        "file:/l/customers/a.csv": expected,
        "file:/l/customers/b.csv": [*expected, "loyalty_tier"],
        "file:/l/customers/c.csv": expected[:-1],
    }
    drifts = csv_drifts(layouts, source("customers"))
    assert drifts == [FileDrift("file:/l/customers/b.csv", ("loyalty_tier",)),
                      FileDrift("file:/l/customers/c.csv", (), ("email",))]  # fmt: skip
    assert drifts[0].message() == "unexpected column(s) 'loyalty_tier' in file file:/l/customers/b.csv"
    assert drifts[0].mergeable(True) and not drifts[0].mergeable(False)
    assert not drifts[1].mergeable(True)  # a missing column cannot be merged


def test_header_cells_are_normalised():
    assert header_cells('\ufeff"Txn_ID", account_id ,amount') == ["txn_id", "account_id", "amount"]


def test_a_stream_logs_file_uri_is_spelled_as_bronze_source_file():
    """Spark's file stream log writes file:///...; _metadata.file_path (bronze's source_file) file:/...
    (both checked in a real stream on 2026-12-06); other schemes are spelled the same by both."""
    assert as_source_file("file:///tmp/sp%20ace/f%20ü.csv") == "file:/tmp/sp%20ace/f%20ü.csv"
    assert as_source_file("file:/tmp/a.csv") == "file:/tmp/a.csv"
    assert as_source_file("s3a://bank/landing/a.csv") == "s3a://bank/landing/a.csv"
