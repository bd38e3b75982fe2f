"""Which hyperopt trial is kept: the Hanley-McNeil standard error and the one-standard-error rule."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from crm_mining.models.selection import auc_standard_error, chosen_trial


def test_standard_error_by_hand():
    # A = 0.8, 10 events, 20 non-events: Q1 = 0.8 / 1.2 = 2/3, Q2 = 2 x 0.64 / 1.8 = 0.71111;
    # variance = (0.16 + 9 x (2/3 - 0.64) + 19 x (0.71111 - 0.64)) / 200 = 1.751111 / 200
    assert auc_standard_error(0.8, 10, 20) == pytest.approx(0.0935711, abs=1e-6)


def test_standard_error_matches_the_spread_of_simulated_aucs():
    # Hanley and McNeil derive Q1, Q2 for exponential scores: non-events ~ Exp(1), events ~ Exp(mean 4)
    # have AUC 4 / 5 = 0.8. The spread of the AUC over repeated samples of 22 events and 500 non-events
    # should match the formula (what a validation snapshot of a low-default portfolio looks like).
    rng = np.random.default_rng(7)
    aucs = []
    for _ in range(2000):
        pos, neg = rng.exponential(4.0, 22), rng.exponential(1.0, 500)
        aucs.append(roc_auc_score(np.r_[np.ones(22), np.zeros(500)], np.r_[pos, neg]))
    assert np.mean(aucs) == pytest.approx(0.8, abs=0.01)
    assert np.std(aucs) == pytest.approx(auc_standard_error(0.8, 22, 500), rel=0.1)


def trial(i: int, auc: float, depth: int, trees: int, step: float = 0.1) -> dict:
    return {
        "trial": i,
        "validation_auc": auc,
        "params": {"max_depth": depth, "max_iter": trees, "step_size": step},
    }


TRIALS = [
    trial(0, 0.984, depth=6, trees=100, step=0.30),  # best on validation: 6,400 leaves
    trial(1, 0.976, depth=3, trees=20, step=0.30),  # within one SE: 160 leaves
    trial(2, 0.971, depth=2, trees=40, step=0.05),  # within one SE: 160 leaves, smaller step
    trial(3, 0.950, depth=1, trees=20),  # simplest, but more than one SE below the best
]


def test_one_standard_error_keeps_the_simplest_trial_within_noise_of_the_best():
    se = auc_standard_error(0.984, 22, 1795)
    assert 0.984 - se < 0.971 and 0.984 - se > 0.950  # the case this test is about
    chosen = chosen_trial(TRIALS, positives=22, negatives=1795, rule="one_standard_error")
    assert chosen["trial"] == 2 and chosen["auc_floor"] == pytest.approx(0.984 - se)


def test_many_validation_events_shrink_the_band_to_the_best():
    chosen = chosen_trial(TRIALS, positives=20_000, negatives=200_000, rule="one_standard_error")
    assert chosen["trial"] == 0


def test_best_rule_keeps_the_highest_validation_auc():
    assert chosen_trial(TRIALS, positives=22, negatives=1795, rule="best")["trial"] == 0
