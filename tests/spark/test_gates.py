"""Quality gates on small hand-made tables: each figure below is worked out by hand from the rows."""

from __future__ import annotations

import pytest

from crm_mining import CrmMiningError
from crm_mining.config.pipeline import ColumnCheck, GateSettings
from crm_mining.gates import GateFailed, check_gate_config, column_gates, ingest_gates, run_gates
from crm_mining.tables import Lake

AUDIT_COLUMNS = (
    "run_id string, source string, rows_read long, rows_written long, rows_quarantined long, duplicates long"
)
AUDIT_ROWS = [
    ("r1", "accounts", 100, 97, 2, 1),  # 2% quarantined, balanced
    ("r1", "transactions", 300, 270, 20, 10),  # two batches: 45 quarantined of 500 read = 9%
    ("r1", "transactions", 200, 170, 25, 5),
    ("r1", "products", 12, 10, 2, 0),  # 17%, but below the 100-row floor: not rate-checked
    ("r1", "balances", 150, 140, 3, 1),  # 144 accounted for 150 read: unbalanced
]


def failures(results) -> list[str]:
    return [r.text() for r in results if not r.passed]


def test_ingest_gates_name_each_source_that_misses(spark):
    audit = spark.createDataFrame(AUDIT_ROWS, AUDIT_COLUMNS)
    results = ingest_gates(audit, GateSettings(max_quarantine_rate=0.05, quarantine_min_rows=100))
    assert failures(results) == [
        "balanced ingest on ops.ingest_audit source balances: read 150, written + quarantined + duplicates 144",
        "quarantine rate on ops.ingest_audit source transactions: 9.00% quarantined against a 5.00% ceiling "
        "(45 of 500)",
    ]
    # accounts and transactions and balances rate-checked, products not; all four balance-checked
    assert len(results) == 4 + 3


def test_a_rate_at_the_ceiling_passes(spark):
    audit = spark.createDataFrame([("r1", "accounts", 200, 190, 10, 0)], AUDIT_COLUMNS)
    assert failures(ingest_gates(audit, GateSettings(max_quarantine_rate=0.05))) == []


def test_column_gates_check_null_rate_and_range(spark):
    table = spark.createDataFrame(
        [(1, 30), (2, None), (3, 150), (4, 45)], "customer_id int, age_years int"
    )  # 1 null of 4 = 25%; lowest 30, highest 150
    check = ColumnCheck("gold.customer_features", "age_years", max_null_rate=0.1, min=16, max=110)
    assert failures(column_gates(table, check)) == [
        "null rate on gold.customer_features.age_years: 25.00% null against a 10.00% limit",
        "maximum on gold.customer_features.age_years: highest 150 against 110",
    ]


def test_a_text_column_can_be_null_checked(spark):
    table = spark.createDataFrame([("maturity",), ("decline",)], "stage string")
    check = ColumnCheck("gold.lifecycle_stage", "stage", max_null_rate=0.0)
    assert failures(column_gates(table, check)) == []


def test_a_missing_column_is_named(spark):
    table = spark.createDataFrame([(1,)], "customer_id int")
    with pytest.raises(GateFailed, match="no column 'age_years'"):
        column_gates(table, ColumnCheck("gold.customer_features", "age_years", max_null_rate=0.0))


def test_run_gates_stops_on_the_stage_that_wrote_the_table(spark, config):
    lake = Lake(config)
    lake.write(spark.createDataFrame(AUDIT_ROWS, AUDIT_COLUMNS), "ops.ingest_audit")
    settings = GateSettings(checks=[])
    with pytest.raises(GateFailed, match="quality gate failed: .*source balances.*; .*source transactions"):
        run_gates(spark, lake, settings, ("ops.ingest_audit",), {"run_id": "r1"})
    # another run's rows are not this run's business; a stage that did not write the audit is not gated
    assert run_gates(spark, lake, settings, ("ops.ingest_audit",), {"run_id": "r2"}) == []
    assert run_gates(spark, lake, settings, ("gold.rfm",), {"run_id": "r1"}) == []


def test_a_check_on_a_table_no_stage_writes_is_refused():
    settings = GateSettings(checks=[ColumnCheck("gold.nonsense", "x", max_null_rate=0.0)])
    with pytest.raises(CrmMiningError, match=r"checks\[0\]\.table' = 'gold.nonsense'"):
        check_gate_config(settings, {"gold.rfm"})
