"""How many partitions a fit's rows get (no Spark: only the session's shuffle partitions are read)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from crm_mining.layout import partitions_for


def session(shuffle_partitions: int) -> SimpleNamespace:
    conf = {"spark.sql.shuffle.partitions": str(shuffle_partitions)}
    return SimpleNamespace(conf=SimpleNamespace(get=conf.__getitem__))


@pytest.mark.parametrize(
    ("rows", "shuffle_partitions", "expected"),
    [
        (0, 4, 1),  # an empty set still has one partition
        (6_467, 4, 1),  # the sample's churn rows
        (50_000, 4, 1),
        (50_001, 4, 2),
        (206_944, 4, 4),  # five partitions' worth, capped at the shuffle partitions
        (206_944, 200, 5),
        (10_000_000, 200, 200),
    ],
)
def test_one_partition_per_rows_per_partition_capped_by_the_shuffle_partitions(
    rows, shuffle_partitions, expected
):
    assert partitions_for(session(shuffle_partitions), rows, 50_000) == expected
