"""The report's ROC points from a gains table (no Spark)."""

from __future__ import annotations

import pytest

from crm_mining.report.models import roc_from_gains


def test_roc_points_are_cumulative_event_and_non_event_shares_by_decile():
    # 3 deciles, worked by hand: events 3, 1, 0 of rows 4, 4, 4 -> 4 events, 8 non-events.
    gains = [
        {"decile": 2, "rows": 4, "events": 1},
        {"decile": 1, "rows": 4, "events": 3},
        {"decile": 3, "rows": 4, "events": 0},
    ]
    fpr, tpr = roc_from_gains(gains)
    assert tpr == pytest.approx([0.0, 0.75, 1.0, 1.0])
    assert fpr == pytest.approx([0.0, 1 / 8, 4 / 8, 1.0])
