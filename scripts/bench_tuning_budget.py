"""Benchmark: the tuning budget (``models.tuning.max_evals``) against model quality, on several lakes.

Train's time on small data is its hyperopt trials (docs/models.md, "Tuning time"), so the budget is the
lever left; this measures what a smaller one costs in test AUC before the default changes. For each lake
(generated here from ``--lakes``: customers x months x generator seed) the train stage runs once per
budget, side by side in one Spark session, each model on its own (``models.specs=[name]``) into its own
artifact folder; the budgets' order alternates from lake to lake so neither always pays the JIT warm-up.
Recorded per lake, model and budget: train seconds, the kept trial, the test AUC of the GBT, the logistic
regression and the one-feature rule (train's own evaluation), and LightGBM tuned with the same budget on
the same split (``bench_models.lightgbm_run``) as the single-node reference. With ``parallel_trials`` the
batches make a smaller budget's trials the first trials of a larger one; the result says whether they were.

    PYTHONPATH=lib .venv/bin/python scripts/bench_tuning_budget.py --lakes 3000x8x42,3000x8x7,2000x12x42 \\
        --budgets 10,20 --workdir /tmp/budget --out scripts/results/bench_tuning_budget.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from bench_models import lightgbm_run, split_population
from results_files import write_result

SHORT_LAKE_MONTHS = 12  # below this the out-of-time split has too few snapshots: split customers at random


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--lakes", required=True, help="comma-separated customers x months x seed, e.g. 3000x8x42"
    )
    parser.add_argument("--budgets", default="10,20", help="comma-separated max_evals values")
    parser.add_argument("--specs", default="churn,risk")
    parser.add_argument("--workdir", required=True, help="the generated lakes go here")
    parser.add_argument("--out", required=True, help="JSON result; the Markdown goes next to it")
    parser.add_argument("--note", action="append", default=[], help="a line for the notes (repeatable)")
    parser.add_argument(
        "--append",
        action="store_true",
        help="add to the rows already in --out: run one lake per process (one JVM through ten trainings "
        "of two-thousand-customer lakes filled a 4g heap)",
    )
    return parser.parse_args()


def lake_overrides(lake: str, root: Path) -> tuple[list[str], str]:
    customers, months, seed = (int(x) for x in lake.split("x"))
    sets = [
        "spark.master=local[2]",
        f"generate.customers={customers}",
        f"generate.months={months}",
        f"generate.seed={seed}",
    ]
    if months < SHORT_LAKE_MONTHS:
        sets += ["models.churn.split.method=random", "models.risk.split.method=random"]
    return sets, str(root / lake / "lakehouse")


def build_lake(spark, sets: list[str], lakehouse: str) -> None:
    """generate, ingest and features, unless the lake already has its features."""
    from crm_mining.config import load_config
    from crm_mining.stages import stage

    if Path(lakehouse, "gold", "customer_features", "_delta_log").exists():
        return
    config = load_config(overrides=sets, lakehouse=lakehouse)
    for name in ("generate", "ingest", "features"):
        stage(name).run_marked(spark, config)


def trial_params(folder: str) -> list[dict]:
    meta = json.loads(Path(folder, "model.json").read_text())
    return [t["params"] for t in meta["trials"]]


def train_run(spark, sets: list[str], lakehouse: str, spec: str, budget: int) -> dict:
    from crm_mining.config import load_config
    from crm_mining.models import train_models

    config = load_config(
        overrides=[
            *sets,
            f"models.specs=[{spec}]",
            f"models.tuning.max_evals={budget}",
            "models.retrain=true",
            f"models.artifact_dir={lakehouse}/models_budget_{budget}",
        ],
        lakehouse=lakehouse,
    )
    start = time.perf_counter()
    (summary,) = train_models(spark, config)["models"]
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "chosen_trial": summary["selection"]["chosen_trial"],
        "validation_positives": summary["selection"]["validation_positives"],
        "hyperparameters": summary["hyperparameters"],
        "auc": {name: m["auc_roc"] for name, m in summary["metrics"].items()},
        "trials": trial_params(summary["folder"]),
    }


def lightgbm_reference(spark, sets: list[str], lakehouse: str, spec: str, budgets: list[int]) -> dict:
    from crm_mining.config import load_config
    from crm_mining.tables import Lake

    config = load_config(overrides=sets, lakehouse=lakehouse)
    _, feats, pdf = split_population(spark, config, Lake(config), spec)
    names = [f.name for f in feats]
    cats = [f.name for f in feats if f.kind == "categorical"]
    part = {s: pdf[pdf.split == s] for s in ("train", "validation", "test")}
    out = {
        "rows": {s: len(p) for s, p in part.items()},
        "positives": {s: int(p.label.sum()) for s, p in part.items()},
    }
    for budget in budgets:
        auc, seconds = lightgbm_run(
            part["train"], part["validation"], part["test"], names, cats, budget, seed=42
        )
        out[str(budget)] = {"auc": auc, "seconds": seconds}
    return out


def main() -> None:
    args = parse_args()
    from crm_mining import CrmMiningError
    from crm_mining.config import load_config
    from crm_mining.logs import setup_logging
    from crm_mining.session import get_spark

    setup_logging()
    budgets = [int(b) for b in args.budgets.split(",")]
    root = Path(args.workdir)
    load = os.getloadavg()[0]
    spark = None
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_at_start": load},
        "budgets": budgets,
        "rows": [],
        "notes": args.note,
    }
    if args.append and Path(args.out).exists():
        result = json.loads(Path(args.out).read_text())
        result["notes"] += args.note
    rows = result["rows"]
    for lake in args.lakes.split(","):
        sets, lakehouse = lake_overrides(lake, root)
        spark = spark or get_spark(load_config(overrides=sets, lakehouse=lakehouse))
        build_lake(spark, sets, lakehouse)
        order = budgets if len({r["lake"] for r in rows}) % 2 == 0 else budgets[::-1]
        for spec in args.specs.split(","):
            try:
                runs = {b: train_run(spark, sets, lakehouse, spec, b) for b in order}
            except CrmMiningError as error:  # e.g. too few months for an out-of-time split: say so, go on
                rows.append({"lake": lake, "load_at_start": load, "model": spec, "not_trained": str(error)})
                write_result(args.out, result, markdown)
                continue
            small, large = min(budgets), max(budgets)
            prefix = runs[large]["trials"][:small] == runs[small]["trials"]
            for run in runs.values():
                del run["trials"]
            rows.append(
                {
                    "lake": lake,
                    "load_at_start": load,
                    "model": spec,
                    "order": order,
                    "smaller_budget_trials_are_a_prefix": prefix,
                    "budgets": {str(b): r for b, r in runs.items()},
                    "lightgbm": lightgbm_reference(spark, sets, lakehouse, spec, budgets),
                }
            )
            write_result(args.out, result, markdown)  # after every model: a long run keeps what it measured
    print(Path(args.out).with_suffix(".md").read_text())


def markdown(result: dict) -> str:
    budgets = result["budgets"]
    head = ["lake", "model", "test positives"]
    for b in budgets:
        head += [f"train s ({b})", f"kept trial ({b})", f"GBT AUC ({b})", f"LightGBM AUC ({b})"]
    head += ["logistic AUC", "rule AUC", "prefix"]
    lines = [
        "# Tuning budget against test AUC (`scripts/bench_tuning_budget.py`)",
        "",
        f"Machine: {result['machine']['cpus']} CPUs, Python {result['machine']['python']}, load average at "
        f"start {result['machine']['load_at_start']:.2f}. Lakes are customers x months x generator seed; "
        "lakes under 12 months split customers at random, the others out of time (train's default). "
        "Train seconds cover one model's tuning, final fit, baselines, evaluation and saving.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    measured = [r for r in result["rows"] if "not_trained" not in r]
    for r in result["rows"]:
        if "not_trained" in r:
            lines.append(f"| {r['lake']} | {r['model']} | not trained: {r['not_trained'][:160]} |")
            continue
        cells = [r["lake"], r["model"], str(r["lightgbm"]["positives"]["test"])]
        for b in budgets:
            run = r["budgets"][str(b)]
            cells += [
                f"{run['seconds']:.1f}",
                str(run["chosen_trial"]),
                f"{run['auc']['gbt']:.4f}",
                f"{r['lightgbm'][str(b)]['auc']:.4f}",
            ]
        any_run = r["budgets"][str(budgets[0])]
        rule = next((v for k, v in any_run["auc"].items() if k.startswith("rule_")), float("nan"))
        cells += [f"{any_run['auc']['logistic_regression']:.4f}", f"{rule:.4f}"]
        cells.append("yes" if r["smaller_budget_trials_are_a_prefix"] else "no")
        lines.append("| " + " | ".join(cells) + " |")
    small, large = min(budgets), max(budgets)
    totals = {b: sum(r["budgets"][str(b)]["seconds"] for r in measured) for b in budgets}
    gaps = [r["budgets"][str(small)]["auc"]["gbt"] - r["budgets"][str(large)]["auc"]["gbt"] for r in measured]
    lines += [
        "",
        f"Train seconds summed: {', '.join(f'{b} trials {totals[b]:.1f}' for b in budgets)} "
        f"({totals[small] / totals[large]:.2f}x). GBT test AUC, {small} minus {large} trials: "
        f"mean {sum(gaps) / len(gaps):+.4f}, worst {min(gaps):+.4f}, best {max(gaps):+.4f}.",
    ]
    lines += ["", *[f"- {n}" for n in result["notes"]]] if result["notes"] else []
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
