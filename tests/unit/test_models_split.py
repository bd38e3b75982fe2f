"""Out-of-time split boundaries, the split-size refusal, class weights, PSI: no Spark needed."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from crm_mining.config.models import WeightSettings
from crm_mining.models.monitor import psi, psi_status
from crm_mining.models.pipeline import class_weights
from crm_mining.models.split import SnapshotCounts, SplitError, check_split_sizes, out_of_time_split

D = dt.date
MONTH_ENDS = [D(2024, 1, 31), D(2024, 2, 29), D(2024, 3, 31), D(2024, 4, 30), D(2024, 5, 31), D(2024, 6, 30),
              D(2024, 7, 31), D(2024, 8, 31), D(2024, 9, 30), D(2024, 10, 31), D(2024, 11, 30), D(2024, 12, 31)]  # fmt: skip


def month_end_after(day: dt.date, months: int) -> dt.date:
    index = MONTH_ENDS.index(day) + months
    return (
        MONTH_ENDS[index]
        if index < len(MONTH_ENDS)
        else D(2025, 1, 31) + dt.timedelta(days=31 * (index - 12))
    )


def counts(horizon_months: int, data_end: dt.date) -> list[SnapshotCounts]:
    """Monthly snapshots; windows past data_end are open (positives only, as gold.labels leaves them)."""
    out = []
    for snap in MONTH_ENDS:
        end = month_end_after(snap, horizon_months)
        closed = end <= data_end
        out.append(SnapshotCounts(snap, end, 90 if closed else 0, 10 if closed else 3))
    return out


def test_out_of_time_split_respects_label_windows():
    split = out_of_time_split("churn", counts(3, D(2024, 12, 31)), train_snapshots=6)
    # test: the latest closed window (Sep + 3 months = Dec, the data end)
    assert split.test == D(2024, 9, 30)
    # validation: its window (Jun -> Sep 30) closed exactly on the test snapshot; Jul's (-> Oct) did not
    assert split.validation == D(2024, 6, 30)
    # train: the snapshots before validation; May's window (-> Aug 31) also closed before the test snapshot
    assert split.train == (D(2024, 1, 31), D(2024, 2, 29), D(2024, 3, 31), D(2024, 4, 30), D(2024, 5, 31))
    assert split.role(D(2024, 5, 31)) == "train"
    # Jul and Aug: closed, but their windows end after the test snapshot (no label known at test time)
    assert split.role(D(2024, 7, 31)) is None and split.role(D(2024, 8, 31)) is None
    assert split.role(D(2024, 10, 31)) is None


def test_out_of_time_split_keeps_the_latest_train_snapshots():
    split = out_of_time_split("churn", counts(3, D(2024, 12, 31)), train_snapshots=2)
    assert split.train == (D(2024, 4, 30), D(2024, 5, 31))


def test_out_of_time_split_needs_2h_plus_2_snapshots():
    # 6-month horizon, data to Dec: closed Jan..Jun; test Jun; validation Dec 2023 would be needed
    with pytest.raises(SplitError, match="no out-of-time validation snapshot"):
        out_of_time_split("default", counts(6, D(2024, 12, 31)), train_snapshots=6)
    # 5-month horizon, data to Nov: closed Jan..Jun; test Jun, validation Jan, nothing before it
    with pytest.raises(
        SplitError, match=r"no snapshot before the validation snapshot 2024-01-31.*2024-06-30"
    ):
        out_of_time_split("default", counts(5, D(2024, 11, 30)), train_snapshots=6)
    # one more month of data (2 x 5 + 2 snapshots): train Jan, validation Feb, test Jul
    split = out_of_time_split("default", counts(5, D(2024, 12, 31)), train_snapshots=6)
    assert (split.train, split.validation, split.test) == ((D(2024, 1, 31),), D(2024, 2, 29), D(2024, 7, 31))


def test_out_of_time_split_refuses_without_a_validation_window():
    with pytest.raises(SplitError, match=r"no out-of-time validation snapshot.*2024-01-31 \(0: 90, 1: 10\)"):
        out_of_time_split("default", counts(11, D(2024, 12, 31)), train_snapshots=6)


def test_split_with_one_class_is_refused_with_the_counts():
    sizes = {"train": (300, 20), "validation": (40, 0), "test": (50, 6)}
    where = {"train": "2024-01-31", "validation": "2024-06-30", "test": "2024-09-30"}
    with pytest.raises(
        SplitError, match=r"'churn' validation split \(2024-06-30\) has 40 labelled rows \(0: 40, 1: 0\)"
    ):
        check_split_sizes("churn", sizes, where, min_rows=20, min_per_class=5)
    check_split_sizes("churn", {**sizes, "validation": (40, 5)}, where, min_rows=20, min_per_class=5)


def test_class_weights_balance_the_classes():
    # 90 negatives, 10 positives: balanced -> each class carries half of the 100 rows' weight
    w0, w1 = class_weights(90, 10, WeightSettings(rule="balanced"))
    assert (w0, w1) == pytest.approx((100 / 180, 100 / 20))
    assert 90 * w0 == pytest.approx(10 * w1)
    assert class_weights(990, 10, WeightSettings(rule="balanced", max_weight=20)) == pytest.approx(
        (1000 / 1980, 20)
    )
    assert class_weights(90, 10, WeightSettings(rule="ratio", positive_weight=3)) == (1.0, 3.0)
    assert class_weights(90, 10, WeightSettings(rule="none")) == (1.0, 1.0)


def test_psi_on_a_hand_computed_case():
    expected = {"0": 0.5, "1": 0.3, "2": 0.2}
    actual = {"0": 0.4, "1": 0.4, "2": 0.2}
    # (0.4-0.5) ln(0.4/0.5) + (0.4-0.3) ln(0.4/0.3) + 0
    hand = -0.1 * math.log(0.8) + 0.1 * math.log(4 / 3)
    assert psi(expected, actual) == pytest.approx(hand, abs=1e-12)
    assert psi(expected, expected) == 0.0
    # a bin empty in the reference costs (a - 1e-4) ln(a / 1e-4)
    assert psi({"0": 1.0}, {"0": 0.9, "null": 0.1}) == pytest.approx(
        -0.1 * math.log(0.9) + (0.1 - 1e-4) * math.log(0.1 / 1e-4)
    )
    assert [psi_status(v, 0.1, 0.25) for v in (0.05, 0.1, 0.3)] == ["stable", "warning", "alert"]
