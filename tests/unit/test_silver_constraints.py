"""Every silver CHECK constraint is guarded by a validation rule, so a row that would break it is
quarantined with a reason code instead of failing the write and blocking the source for good."""

from __future__ import annotations

import re

import pytest

from crm_mining.ingest.silver import SILVER
from crm_mining.landing import source

# Which landing kinds validation holds to which bound (crm_mining.ingest.validate.field_checks).
BOUNDS_KEPT_BY_KIND = {
    "> 0": {"amount"},  # NEGATIVE_AMOUNT when <= 0
    ">= 0": {"amount", "money", "count"},  # NEGATIVE_AMOUNT / BAD_NUMBER when < 0
}
# Silver columns that no landing value reaches directly, and what keeps them in bounds.
DERIVED = {
    "fx_rate": "ingest.fx_rates, each checked > 0 when the config loads",
    "txn_month": "trunc(txn_date, 'month') in the transactions derivation: always the first day",
}
CHECKS = [(name, check, sql) for name, spec in SILVER.items() for check, sql in spec.checks.items()]


def landing_field(source_name: str, column: str):
    fields = {f.name: f for f in source(source_name).fields}
    return fields.get(column) or fields.get(column.removesuffix("_base"))


@pytest.mark.parametrize(("name", "check", "sql"), CHECKS, ids=[f"{n}.{c}" for n, c, _ in CHECKS])
def test_each_silver_check_has_a_validation_rule(name, check, sql):
    for column, bound in re.findall(r"(\w+)\s*(>=? 0)", sql):
        if column in DERIVED:
            continue
        field = landing_field(name, column)
        assert field is not None, f"silver.{name} CHECK {check}: '{column}' comes from no landing field"
        assert field.kind in BOUNDS_KEPT_BY_KIND[bound], (
            f"silver.{name} CHECK {check} ({sql}): landing field '{field.name}' is kind '{field.kind}', "
            f"which validation does not hold to {bound}; a row breaking it would fail the write"
        )
    other = re.sub(r"(\w+)\s*(>=? 0)|\w+ IS NULL|AND|OR", "", sql)
    unguarded = [c for c in re.findall(r"[a-z_]+", other) if c not in DERIVED and c != "day"]
    assert not unguarded, f"silver.{name} CHECK {check} ({sql}) has terms this test cannot map: {unguarded}"


def test_the_checks_are_found():
    assert len(CHECKS) >= 6  # the test above must be looking at the real constraints
