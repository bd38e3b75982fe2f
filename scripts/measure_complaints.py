"""Measure `complaints` against the generator's planted truth, in one run on one small lake.

generate -> ingest -> complaints -> features, then:
  * topics: purity and adjusted Rand index of the LDA topic against the planted topic (texts with a topic);
  * sentiment: accuracy and macro F1 against the planted sentiment, overall and per language;
  * churn: `train` (churn spec only, out-of-time split) twice on the same gold tables, with the complaint
    text features and with them excluded (models.churn.exclude_features); test-split AUC of each.
Every driver read is a contingency table (topics x topics, 3 x 3) or a summary. Writes
scripts/results/measure_complaints.{md,json}; records the load average at the start.

    python scripts/measure_complaints.py [--customers 600] [--lakehouse /tmp/complaints_lake]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def comb2(n: float) -> float:
    return n * (n - 1) / 2


def ari(table: dict[tuple, int]) -> float:
    """Adjusted Rand index from a contingency table {(true, found): count}."""
    rows, cols, n = {}, {}, 0
    for (a, b), c in table.items():
        rows[a] = rows.get(a, 0) + c
        cols[b] = cols.get(b, 0) + c
        n += c
    index = sum(comb2(c) for c in table.values())
    row_sum, col_sum = sum(comb2(c) for c in rows.values()), sum(comb2(c) for c in cols.values())
    expected = row_sum * col_sum / comb2(n)
    return (index - expected) / ((row_sum + col_sum) / 2 - expected)


def purity(table: dict[tuple, int]) -> float:
    """Share of texts whose found topic's majority planted topic is their own."""
    best: dict = {}
    for (_, found), c in table.items():
        best[found] = max(best.get(found, 0), c)
    return sum(best.values()) / sum(table.values())


def sentiment_scores(table: dict[tuple, int]) -> dict:
    labels = ("negative", "neutral", "positive")
    n = sum(table.values())
    f1s = []
    for label in labels:
        tp = table.get((label, label), 0)
        predicted = sum(c for (_, p), c in table.items() if p == label)
        actual = sum(c for (t, _), c in table.items() if t == label)
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return {
        "texts": n,
        "accuracy": round(sum(table.get((x, x), 0) for x in labels) / n, 4),
        "macro_f1": round(sum(f1s) / 3, 4),
        "f1": dict(zip(labels, [round(f, 4) for f in f1s], strict=True)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=600)
    parser.add_argument("--lakehouse", default="/tmp/complaints_lake")
    parser.add_argument("--max-evals", type=int, default=6)
    args = parser.parse_args()
    load = os.getloadavg()[0]

    from pyspark.sql import functions as F  # noqa: N812

    from crm_mining.complaints import mine_complaints
    from crm_mining.config import load_config
    from crm_mining.features import build_features
    from crm_mining.features.catalog import complaint_text_columns
    from crm_mining.generate import generate_lake
    from crm_mining.ingest import ingest_lake
    from crm_mining.models import train_models
    from crm_mining.session import get_spark
    from crm_mining.tables import Lake

    base = [
        "spark.master=local[2]",
        f"generate.customers={args.customers}",
        "models.specs=[churn]",
        f"models.tuning.max_evals={args.max_evals}",
        "models.tuning.startup_trials=3",
        "models.retrain=true",
    ]
    config = load_config(overrides=base, lakehouse=args.lakehouse)
    spark = get_spark(config)
    seconds = {}
    for name, stage in (
        ("generate", generate_lake),
        ("ingest", ingest_lake),
        ("complaints", mine_complaints),
        ("features", build_features),
    ):
        started = time.monotonic()
        summary = stage(spark, config)
        seconds[name] = round(time.monotonic() - started, 1)
        if name == "complaints":
            complaints = summary
    lake = Lake(config)
    truth = spark.read.parquet(lake.truth("interactions")).select(
        "interaction_id",
        F.col("topic").alias("true_topic"),
        "sentiment",
        F.col("language").alias("true_language"),
    )
    joined = lake.read(spark, "gold.interaction_insights").join(truth, "interaction_id")
    topic_table = {
        (r.true_topic, r.topic): r["count"]
        for r in joined.where("topic IS NOT NULL").groupBy("true_topic", "topic").count().collect()
    }
    no_topic = joined.where("topic IS NULL").count()
    sentiment = {}
    for language in ("all", "en", "zh"):
        rows = joined if language == "all" else joined.where(F.col("true_language") == language)
        table = {
            (r.sentiment, r.sentiment_label): r["count"]
            for r in rows.groupBy("sentiment", "sentiment_label").count().collect()
        }
        sentiment[language] = sentiment_scores(table)

    text_columns = [
        c.name
        for c in complaint_text_columns(config.features.complaint_window_days, config.complaints.topic_count)
    ]
    auc = {}
    for name, excluded in (("with_text", []), ("without_text", text_columns)):
        exclude = ["all_accounts_closed", *excluded]
        run = load_config(
            overrides=[*base, f"models.churn.exclude_features={json.dumps(exclude)}"],
            lakehouse=args.lakehouse,
        )
        started = time.monotonic()
        summary = train_models(spark, run)
        seconds[f"train_{name}"] = round(time.monotonic() - started, 1)
        churn = summary["models"][0]
        auc[name] = {model: round(m["auc_roc"], 4) for model, m in churn["metrics"].items()}
    result = {
        "lake": f"{args.customers} customers x {config.generate.months} months (generate defaults otherwise)",
        "date": time.strftime("%Y-%m-%d"),
        "load_average_at_start": round(load, 2),
        "texts": complaints["texts"],
        "topics_found": complaints["topics"],
        "topic_purity": round(purity(topic_table), 4),
        "topic_ari": round(ari(topic_table), 4),
        "texts_without_topic": no_topic,
        "sentiment": sentiment,
        "churn_test_auc": auc,
        "churn_auc_gain": {
            m: round(auc["with_text"][m] - auc["without_text"][m], 4) for m in auc["with_text"]
        },
        "seconds": seconds,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "measure_complaints.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    lines = [
        f"# complaints measured on {result['lake']} ({result['date']}, load {result['load_average_at_start']})",
        "",
        f"- texts: {result['texts']} ({no_topic} without a topic)",
        f"- topics: purity {result['topic_purity']}, ARI {result['topic_ari']}",
        *[
            f"- sentiment ({lang}): {s['texts']} texts, accuracy {s['accuracy']}, macro F1 {s['macro_f1']}, F1 {s['f1']}"
            for lang, s in sentiment.items()
        ],
        f"- churn test AUC with text features: {auc['with_text']}",
        f"- churn test AUC without: {auc['without_text']}",
        f"- gain: {result['churn_auc_gain']}",
        f"- seconds: {seconds}",
    ]
    (RESULTS / "measure_complaints.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    assert math.isfinite(result["topic_ari"])


if __name__ == "__main__":
    main()
