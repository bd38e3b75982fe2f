"""Which snapshots train, validate and test a model: the out-of-time split and its leakage guard.

Works on per-snapshot label counts (one small row per snapshot, bounded by the snapshot count), so the
rules are plain Python and tested without Spark.

A snapshot's label window is *closed* when its horizon end is on or before the last horizon end that
has a negative label (labels are null, or positive only, while a window is open: see features/labels.py).

Out of time, with test snapshot T, validation snapshot V and train snapshots S:
- T is the latest closed snapshot;
- V is the latest snapshot whose horizon ended on or before T (its labels were known at T);
- S are the snapshots before V (at most ``train_snapshots``, the most recent): their horizons end
  before V's, so on or before T too.
So the model is built only from labels known at the test snapshot, as a bank building it at T would
(the issue's leakage guard); the test labels, in (T, T + horizon], are used for nothing but the test.
Train label windows may overlap V's window: that can flatter the validation AUC, which only ranks
hyperparameters, never the reported test figures. With horizon h this needs 2h + 2 monthly snapshots.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from crm_mining import CrmMiningError


@dataclass(frozen=True)
class SnapshotCounts:
    snapshot_date: dt.date
    horizon_end: dt.date | None
    negatives: int
    positives: int


@dataclass(frozen=True)
class OutOfTimeSplit:
    train: tuple[dt.date, ...]
    validation: dt.date
    test: dt.date

    def role(self, snapshot: dt.date) -> str | None:
        if snapshot == self.test:
            return "test"
        if snapshot == self.validation:
            return "validation"
        return "train" if snapshot in self.train else None


class SplitError(CrmMiningError):
    pass


def describe(counts: list[SnapshotCounts]) -> str:
    """'2024-01-31 (0: 310, 1: 12), ...' for error messages."""
    return ", ".join(f"{c.snapshot_date} (0: {c.negatives}, 1: {c.positives})" for c in counts) or "none"


def closed_snapshots(counts: list[SnapshotCounts]) -> list[SnapshotCounts]:
    """Snapshots whose label window has closed (see the module docstring), oldest first."""
    observed = [c.horizon_end for c in counts if c.negatives > 0 and c.horizon_end is not None]
    if not observed:
        return []
    last = max(observed)
    return sorted(
        (c for c in counts if c.horizon_end is not None and c.horizon_end <= last),
        key=lambda c: c.snapshot_date,
    )


def out_of_time_split(label: str, counts: list[SnapshotCounts], train_snapshots: int) -> OutOfTimeSplit:
    """Train, validation and test snapshots for ``label``; raises SplitError naming the snapshots."""
    closed = closed_snapshots(counts)
    if not closed:
        raise SplitError(
            f"no snapshot has a closed '{label}' label window (a negative label); snapshots: {describe(counts)}"
        )
    test = closed[-1]
    before_test = [c for c in closed if c.horizon_end <= test.snapshot_date]
    if not before_test:
        raise SplitError(
            f"'{label}': no snapshot's label window closed by the test snapshot {test.snapshot_date}, so there "
            f"is no out-of-time validation snapshot; closed snapshots: {describe(closed)}. Use more snapshots "
            "(features.snapshot_count), a shorter label horizon, or models.<spec>.split.method=random"
        )
    validation = before_test[-1]
    train = [c for c in closed if c.snapshot_date < validation.snapshot_date][-train_snapshots:]
    if not train:
        raise SplitError(
            f"'{label}': no snapshot before the validation snapshot {validation.snapshot_date}, so there is "
            f"nothing to train on; closed snapshots: {describe(closed)}. Use more snapshots "
            "(features.snapshot_count), a shorter label horizon, or models.<spec>.split.method=random"
        )
    return OutOfTimeSplit(tuple(c.snapshot_date for c in train), validation.snapshot_date, test.snapshot_date)


def check_split_sizes(
    label: str, sizes: dict[str, tuple[int, int]], where: dict[str, str], min_rows: int, min_per_class: int
) -> None:
    """Stop when a split has fewer than ``min_rows`` rows or fewer than ``min_per_class`` of a class.

    ``sizes``: split -> (negatives, positives); ``where``: split -> the snapshots it holds (for the message).
    """
    for role in ("train", "validation", "test"):
        negatives, positives = sizes.get(role, (0, 0))
        if negatives + positives < min_rows or min(negatives, positives) < min_per_class:
            raise SplitError(
                f"'{label}' {role} split ({where.get(role, '?')}) has {negatives + positives} labelled rows "
                f"(0: {negatives}, 1: {positives}); it needs at least {min_rows} rows and {min_per_class} of "
                "each class (models.<spec>.split.min_rows / min_per_class)"
            )
