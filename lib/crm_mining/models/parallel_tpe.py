"""hyperopt's ``fmin`` loop with up to ``parallel`` trials evaluated at a time, from driver threads.

Each trial is a distributed MLlib fit, so ``SparkTrials`` (one trial per Spark task) does not apply and
plain ``Trials`` runs them one after another. On a small training set each GBT tree level is a short
Spark job whose time is mostly scheduling, and two fits from two driver threads overlap well (two 30-tree
fits of the 3,000-customer sample: 7.0-8.1 s together against 5.8-6.1 s each alone,
scripts/results/bench_fit_layout.md; segment's ``parallel_fits`` does the same for KMeans).

The loop is ``FMinIter.run`` with ``max_queue_len = parallel``, as SparkTrials drives it: the algorithm
proposes trials one at a time from the finished ones (TPE returns one proposal per call, each seeded from
``rstate``), then the batch is evaluated together. With ``parallel = 1`` it proposes and evaluates exactly
what ``fmin`` does; with more, the proposals in a batch do not see each other's results. Every trial is
deterministic for its parameters, so the history is the same on every run whatever the thread timing.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from hyperopt import Trials, base
from pyspark import inheritable_thread_target


def minimize(
    objective: Callable[[dict], dict],
    space: dict,
    algo: Callable,
    max_evals: int,
    rstate: np.random.Generator,
    parallel: int,
) -> Trials:
    """The trials of ``max_evals`` evaluations of ``objective`` (which returns hyperopt result dicts)."""
    domain = base.Domain(objective, space)
    trials = Trials()
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        while len(trials) < max_evals:
            batch = [
                proposed(domain, trials, algo, rstate) for _ in range(min(parallel, max_evals - len(trials)))
            ]
            results = pool.map(inheritable_thread_target(lambda t: evaluated(domain, trials, t)), batch)
            for trial, result in zip(batch, results, strict=True):
                trial.update(state=base.JOB_STATE_DONE, result=result)
            trials.refresh()
    return trials


def proposed(domain: base.Domain, trials: Trials, algo: Callable, rstate: np.random.Generator) -> dict:
    """The algorithm's next trial, inserted into ``trials`` as new (fmin's order of calls and seeds)."""
    ids = trials.new_trial_ids(1)
    trials.refresh()
    (tid,) = trials.insert_trial_docs(algo(ids, domain, trials, rstate.integers(2**31 - 1)))
    trials.refresh()
    return next(t for t in trials.trials if t["tid"] == tid)  # the stored copy, which the loop marks done


def evaluated(domain: base.Domain, trials: Trials, trial: dict) -> dict:
    return domain.evaluate(base.spec_from_misc(trial["misc"]), base.Ctrl(trials, current_trial=trial))
