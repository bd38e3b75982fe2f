"""gold.crm_cube on small inline data: rolled-up totals against aggregates worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)

from crm_mining.cube.build import crm_cube, cube_facts

M1, M2 = dt.date(2026, 1, 31), dt.date(2026, 2, 28)
KEYS = "customer_id string, snapshot_date date"


@pytest.fixture(scope="module")
def cube(spark):
    features = spark.createDataFrame(
        [
            ("a", M1, "north", ["CC", "DDA"], 100.0, 10.0),
            ("b", M1, "north", ["DDA"], 50.0, 5.0),
            ("c", M1, "south", ["CC", "PL"], 200.0, 20.0),
            ("d", M1, None, [], 0.0, None),
            ("a", M2, "north", ["CC", "DDA"], 300.0, 30.0),
        ],
        f"{KEYS}, region string, products array<string>, balance_total double, spend_30d double",
    )
    labels = spark.createDataFrame(
        [("a", M1, 1, 0), ("b", M1, 0, None), ("c", M1, 0, 1), ("d", M1, None, None), ("a", M2, None, None)],
        f"{KEYS}, churn int, default int",
    )
    segments = spark.createDataFrame(
        [("a", M1, "savers"), ("b", M1, "savers"), ("c", M1, "borrowers")], f"{KEYS}, segment_name string"
    )
    stages = spark.createDataFrame(
        [("a", M1, "maturity"), ("b", M1, "decline"), ("c", M1, "maturity"), ("d", M1, "dormant")],
        f"{KEYS}, stage string",
    )
    return crm_cube(cube_facts(features, labels, segments, stages)).cache()


def cell(cube, **dims):
    """The one cube row whose dimensions equal ``dims`` and whose other dimensions are rolled up."""
    condition = F.lit(True)
    for name in ("month", "region", "segment", "stage", "product"):
        value = dims.get(name)
        condition &= F.col(name).isNull() if value is None else (F.col(name) == F.lit(value))
    (row,) = cube.where(condition).collect()
    return row


def test_month_total_counts_each_customer_once(cube):
    total = cell(cube, month=M1)
    # Hand-worked over customers a, b, c, d at M1: 4 customers, balances 350, spend 35 (d's null = 0),
    # churn 1 of 3 labelled, default 1 of 2 labelled.
    assert (total.grouping_id, total.level) == (0b01111, 1)
    assert (total.customers, total.balances, total.spend) == (4, 350.0, 35.0)
    assert (total.churn_rate, total.churn_labelled) == (pytest.approx(1 / 3), 3)
    assert (total.default_rate, total.default_labelled) == (0.5, 2)


def test_product_rollup_counts_the_holders(cube):
    cc = cell(cube, month=M1, product="CC")
    # CC holders at M1: a and c; balances 100 + 200; churn 1 of 2; default 1 of 2.
    assert cc.grouping_id == 0b01110
    assert (cc.customers, cc.balances, cc.churn_rate, cc.default_rate) == (2, 300.0, 0.5, 0.5)


def test_finest_cell_and_missing_members(cube):
    finest = cell(cube, month=M1, region="north", segment="savers", stage="maturity", product="DDA")
    assert (finest.grouping_id, finest.level, finest.customers, finest.balances) == (0, 5, 1, 100.0)
    # d has no region, segment or products: named members, never a null that reads as 'all'.
    d = cell(cube, month=M1, region="unknown", segment="unsegmented", stage="dormant")
    assert (d.customers, d.grouping_id) == (1, 0b00001)
    # a at M2 has no segment or stage yet.
    m2 = cell(cube, month=M2, segment="unsegmented")
    assert (m2.customers, m2.balances) == (1, 300.0)


def test_month_is_never_rolled_up(cube):
    assert cube.where(F.col("month").isNull() | (F.col("grouping_id") >= 16)).count() == 0
    # Every product-kept row has an even id and a product; every product-rolled row an odd id and none.
    assert cube.where((F.col("grouping_id") % 2 == 0) != F.col("product").isNotNull()).count() == 0
