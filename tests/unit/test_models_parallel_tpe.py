"""The batched hyperopt loop (no Spark): fmin's trials one at a time, real overlap two at a time."""

from __future__ import annotations

import math
import threading
from functools import partial

import numpy as np
from hyperopt import STATUS_OK, Trials, fmin, tpe

from crm_mining.config.models import TuningSettings
from crm_mining.models.parallel_tpe import minimize
from crm_mining.models.pipeline import as_params, search_space

SETTINGS = TuningSettings()


def loss(raw: dict) -> dict:
    """A smooth bowl over the GBT space: best near depth 4, 60 trees, step 0.1."""
    p = as_params(raw)
    value = (p["max_depth"] - 4) ** 2 + ((p["max_iter"] - 60) / 20) ** 2 + math.log(p["step_size"] / 0.1) ** 2
    return {"loss": value, "status": STATUS_OK, "params": p}


def history(trials: Trials) -> list[tuple]:
    return [(r["loss"], tuple(sorted(r["params"].items()))) for r in trials.results]


def run_minimize(objective, max_evals: int, parallel: int) -> Trials:
    return minimize(
        objective,
        search_space(SETTINGS),
        algo=partial(tpe.suggest, n_startup_jobs=3),
        max_evals=max_evals,
        rstate=np.random.default_rng(7),
        parallel=parallel,
    )


def test_one_at_a_time_it_proposes_and_scores_what_fmin_does():
    trials = Trials()
    fmin(
        loss,
        search_space(SETTINGS),
        algo=partial(tpe.suggest, n_startup_jobs=3),
        max_evals=12,
        trials=trials,
        rstate=np.random.default_rng(7),
        show_progressbar=False,
    )
    ours = run_minimize(loss, 12, parallel=1)
    assert history(ours) == history(trials)
    assert [t["tid"] for t in ours.trials] == list(range(12))


def test_two_at_a_time_the_trials_overlap_and_the_history_repeats():
    # Both trials of a batch must be inside the objective together, or the barrier breaks the run.
    together = threading.Barrier(2, timeout=20)

    def overlapping(raw: dict) -> dict:
        together.wait()
        return loss(raw)

    first = run_minimize(overlapping, 8, parallel=2)
    again = run_minimize(loss, 8, parallel=2)
    assert len(first.trials) == 8
    assert all(t["state"] == 2 for t in first.trials)  # JOB_STATE_DONE
    assert history(first) == history(again)


def test_an_odd_budget_ends_with_a_smaller_batch():
    assert len(run_minimize(loss, 5, parallel=2).trials) == 5
