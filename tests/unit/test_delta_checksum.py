"""Rows from a Delta checksum's file list (no Spark): hand-made checksums in the protocol's layout."""

from __future__ import annotations

import json

from crm_mining.delta_checksum import checksum_path, rows_listed


def add(records: int | None, cardinality: int | None = None) -> dict:
    file = {"path": "part-0.parquet", "size": 100, "dataChange": True}
    if records is not None:
        file["stats"] = json.dumps({"numRecords": records, "minValues": {}, "maxValues": {}})
    if cardinality is not None:
        file["deletionVector"] = {"storageType": "u", "pathOrInlineDv": "x", "cardinality": cardinality}
    return file


def test_rows_are_the_files_records():
    assert rows_listed({"numFiles": 2, "allFiles": [add(3), add(4)]}) == 7


def test_rows_a_deletion_vector_marks_are_not_counted():
    assert rows_listed({"numFiles": 2, "allFiles": [add(5, cardinality=2), add(4)]}) == 7


def test_an_empty_table_has_no_rows():
    assert rows_listed({"numFiles": 0, "allFiles": []}) == 0


def test_no_answer_without_the_file_list():
    # Delta leaves allFiles out past its file-count threshold; older writers never wrote it.
    assert rows_listed({"numFiles": 2, "tableSizeBytes": 200}) is None


def test_no_answer_when_the_list_disagrees_with_the_file_count():
    assert rows_listed({"numFiles": 3, "allFiles": [add(3), add(4)]}) is None


def test_no_answer_when_a_file_has_no_statistics():
    assert rows_listed({"numFiles": 2, "allFiles": [add(3), add(None)]}) is None


def test_the_checksum_of_a_version_is_named_by_its_zero_padded_number():
    assert checksum_path("/lake/silver/x/", 12) == "/lake/silver/x/_delta_log/00000000000000000012.crc"
