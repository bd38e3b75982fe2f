"""Benchmark: the tuned MLlib GBT (this stage's training) vs LightGBM, on the same split, in one run.

Datasets: the churn population of a generated lake (out-of-time split, as `train` does) and a synthetic
tabular set (nonlinear, interactions, a categorical, nulls, 8% events; random split). Both learners get
the same hyperopt budget (TPE, validation AUC) and a final fit on train + validation; test AUC and
wall time are reported. Writes scripts/results/bench_models.md and .json.

    PYTHONPATH=lib python scripts/bench_models.py --lakehouse /path/to/sample/lakehouse --evals 10
"""

from __future__ import annotations

import argparse
import json
import os
import time
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from hyperopt import STATUS_OK, Trials, fmin, hp, tpe
from pyspark.ml.functions import vector_to_array
from pyspark.sql import functions as F

RESULTS = Path(__file__).resolve().parent / "results"


def lightgbm_run(train: pd.DataFrame, valid: pd.DataFrame, test: pd.DataFrame, features, cats, evals, seed):
    """LightGBM, moderately tuned: TPE over leaves, learning rate, trees, min child rows, subsampling."""
    import lightgbm as lgb
    from sklearn.metrics import roc_auc_score

    def prep(df):
        x = df[features].copy()
        for c in cats:
            x[c] = x[c].astype("category")
        return x

    xt, xv, xs = prep(train), prep(valid), prep(test)
    for c in cats:  # same category codes everywhere
        levels = xt[c].cat.categories
        xv[c], xs[c] = (pd.Categorical(x[c], categories=levels) for x in (xv, xs))
    wt = np.where(
        train.label == 1, len(train) / (2 * train.label.sum()), len(train) / (2 * (1 - train.label).sum())
    )
    space = {
        "num_leaves": hp.quniform("num_leaves", 4, 64, 1),
        "learning_rate": hp.loguniform("learning_rate", np.log(0.02), np.log(0.3)),
        "n_estimators": hp.quniform("n_estimators", 20, 300, 1),
        "min_child_samples": hp.quniform("min_child_samples", 5, 60, 1),
        "subsample": hp.uniform("subsample", 0.5, 1.0),
    }

    def model(p):
        return lgb.LGBMClassifier(
            num_leaves=int(p["num_leaves"]), learning_rate=p["learning_rate"], n_estimators=int(p["n_estimators"]),
            min_child_samples=int(p["min_child_samples"]), subsample=p["subsample"], subsample_freq=1,
            random_state=seed, verbose=-1, n_jobs=2,
        )  # fmt: skip

    def objective(p):
        m = model(p).fit(xt, train.label, sample_weight=wt)
        return {"loss": -roc_auc_score(valid.label, m.predict_proba(xv)[:, 1]), "status": STATUS_OK}

    start = time.perf_counter()
    trials = Trials()
    best = fmin(objective, space, algo=partial(tpe.suggest, n_startup_jobs=min(5, evals)), max_evals=evals,
                trials=trials, rstate=np.random.default_rng(seed), show_progressbar=False)  # fmt: skip
    both = pd.concat([train, valid])
    wb = np.where(
        both.label == 1, len(both) / (2 * both.label.sum()), len(both) / (2 * (1 - both.label).sum())
    )
    final = model(best).fit(pd.concat([xt, xv]), both.label, sample_weight=wb)
    auc = roc_auc_score(test.label, final.predict_proba(xs)[:, 1])
    return auc, time.perf_counter() - start


def gbt_run(spark, config, df, features, evals):
    """This stage's tuning and final fit (crm_mining.models.pipeline) on a split DataFrame."""
    from crm_mining.models.metrics import binary_metrics
    from crm_mining.models.pipeline import gbt_pipeline, tune_gbt
    from crm_mining.models.train import weighted

    tuning = config.models.tuning.__class__(**{**config.models.tuning.__dict__, "max_evals": evals})
    start = time.perf_counter()
    train, valid = (weighted(df.where(F.col("split") == s), config) for s in ("train", "validation"))
    best, _, _ = tune_gbt(train, valid, features, tuning)
    fit = weighted(df.where(F.col("split").isin("train", "validation")), config)
    model = gbt_pipeline(features, best, tuning.seed).fit(fit)
    scored = model.transform(df.where(F.col("split") == "test")).select(
        "label", vector_to_array("probability")[1].alias("score")
    )
    auc = binary_metrics(scored)["auc_roc"]
    return auc, time.perf_counter() - start


def synthetic(rows: int, seed: int) -> pd.DataFrame:
    """Bank-like tabular data: skewed balances, counts, a region, nulls, interactions; ~8% events."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "customer_id": [f"S{i}" for i in range(rows)],
            "balance": rng.lognormal(8, 1.2, rows),
            "txn_90d": rng.poisson(20, rows).astype(float),
            "tenure": rng.integers(1, 120, rows).astype(float),
            "complaints": rng.poisson(0.3, rows).astype(float),
            "utilisation": rng.beta(2, 5, rows),
            "age": rng.integers(18, 85, rows).astype(float),
            "region": rng.choice(
                ["north", "south", "east", "west", "capital"], rows, p=[0.2, 0.2, 0.2, 0.1, 0.3]
            ),
        }
    )
    for i in range(8):
        df[f"noise_{i}"] = rng.normal(size=rows)
    logit = (
        -3.2 - 0.04 * df.txn_90d + 0.9 * df.complaints + 2.5 * (df.utilisation > 0.5) * (df.tenure < 24)
        - 0.3 * np.log(df.balance) + 0.8 * (df.region == "capital") + 0.02 * np.abs(df.age - 50)
    )  # fmt: skip
    df["label"] = (rng.random(rows) < 1 / (1 + np.exp(-(logit + 2.4)))).astype(int)
    df.loc[rng.random(rows) < 0.05, "utilisation"] = np.nan
    u = rng.random(rows)
    df["split"] = np.where(u < 0.2, "test", np.where(u < 0.4, "validation", "train"))
    df["snapshot_date"] = pd.Timestamp("2026-01-31").date()
    return df


def split_population(spark, config, lake, name: str):
    """(split DataFrame, its usable features, the same rows in pandas) of model spec ``name``, as ``train``
    splits it; features null in every row are left out, numeric ones are floats in pandas.

    Benchmarks only: the single-node peer needs its input on one machine.
    """
    from crm_mining.models.data import KEYS, feature_columns, lake_population, with_split

    spec = getattr(config.models, name)
    features = lake.read(spark, "gold.customer_features")
    population = lake_population(features, lake.read(spark, "gold.labels"), spec, config.labels.default_dpd)
    df, _ = with_split(population, spec.split, name)
    feats = feature_columns(features, (*KEYS, *spec.exclude_features))
    pdf = df.select("split", F.col("label").cast("int").alias("label"), *[f.name for f in feats]).toPandas()
    feats = [f for f in feats if pdf[f.name].notna().any()]
    for f in feats:
        if f.kind == "numeric":
            pdf[f.name] = pdf[f.name].astype(float)
    return df, feats, pdf


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lakehouse", required=True)
    parser.add_argument("--evals", type=int, default=10)
    parser.add_argument("--synthetic-rows", type=int, default=20000)
    args = parser.parse_args()

    from crm_mining.config import load_config
    from crm_mining.models.data import Feature
    from crm_mining.session import get_spark
    from crm_mining.tables import Lake

    config = load_config(overrides=["spark.master=local[2]"], lakehouse=args.lakehouse)
    spark = get_spark(config)
    load = os.getloadavg()[0]
    results = []

    df, feats, pdf = split_population(spark, config, Lake(config), "churn")
    df = df.cache()
    names = [f.name for f in feats]
    cats = [f.name for f in feats if f.kind == "categorical"]
    results.append(
        (
            "generated lake: churn, out of time",
            len(pdf),
            spark_and_lgb(spark, config, df, feats, pdf, names, cats, args.evals),
        )
    )

    if args.synthetic_rows == 0:  # 0 = the generated lake only
        return write_results(results, args.evals, load)
    syn = synthetic(args.synthetic_rows, seed=3)
    sfeats = [Feature(c, "categorical" if c == "region" else "numeric", "string" if c == "region" else "double")
              for c in syn.columns if c not in ("customer_id", "label", "split", "snapshot_date")]  # fmt: skip
    sdf = spark.createDataFrame(syn).cache()
    results.append(("synthetic tabular, random split", len(syn), spark_and_lgb(
        spark, config, sdf, sfeats, syn, [f.name for f in sfeats], ["region"], args.evals)))  # fmt: skip
    write_results(results, args.evals, load)


def write_results(results: list, evals: int, load: float) -> None:

    rows = [
        {
            "dataset": name,
            "rows": n,
            "gbt_auc": g,
            "lightgbm_auc": lg,
            "auc_gap": lg - g,
            "gbt_seconds": gt,
            "lightgbm_seconds": lt,
            "time_ratio": gt / lt,
        }  # fmt: skip
        for name, n, (g, gt, lg, lt) in results
    ]
    RESULTS.mkdir(exist_ok=True)
    meta = {"evals_each": evals, "load_average_at_start": load, "cores": os.cpu_count()}
    (RESULTS / "bench_models.json").write_text(json.dumps({**meta, "results": rows}, indent=2))
    lines = [
        f"# MLlib GBT (tuned) vs LightGBM: {evals} TPE trials each, same split; load average at start {load:.1f}",
        "",
        "| dataset | rows | GBT test AUC | LightGBM test AUC | gap (LGBM - GBT) | GBT s | LightGBM s | time ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['dataset']} | {r['rows']} | {r['gbt_auc']:.4f} | {r['lightgbm_auc']:.4f} | {r['auc_gap']:+.4f} | "
        f"{r['gbt_seconds']:.0f} | {r['lightgbm_seconds']:.1f} | {r['time_ratio']:.1f}x |"
        for r in rows
    ]
    (RESULTS / "bench_models.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def spark_and_lgb(spark, config, sdf, feats, pdf, names, cats, evals):
    gbt_auc, gbt_s = gbt_run(spark, config, sdf, feats, evals)
    part = {s: pdf[pdf.split == s] for s in ("train", "validation", "test")}
    lgb_auc, lgb_s = lightgbm_run(
        part["train"], part["validation"], part["test"], names, cats, evals, seed=42
    )
    return gbt_auc, gbt_s, lgb_auc, lgb_s


if __name__ == "__main__":
    main()
