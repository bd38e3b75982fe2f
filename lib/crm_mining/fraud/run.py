"""The `fraud` stage: baselines, PrefixSpan patterns before known fraud, budgeted alerts, evaluation.

``detect_fraud(spark, config)`` reads the canonical transactions (``input.*``: silver.transactions by
default) and the known fraud (``fraud.confirmed``: the generator's truth, or a user's table). The last
``fraud.score_days`` days are scored; the history before them gives the baselines and the patterns.
Writes gold.fraud_baselines, gold.fraud_patterns, gold.transaction_alerts and (with known fraud)
gold.fraud_evaluation. See docs/fraud.md.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining import CrmMiningError
from crm_mining.config import Config
from crm_mining.fraud.alerts import alert_budget, amount_threshold_alerts, budgeted_alerts
from crm_mining.fraud.baselines import customer_baselines
from crm_mining.fraud.evaluation import evaluate_alerts
from crm_mining.fraud.events import debit_transactions, with_events
from crm_mining.fraud.known import known_fraud
from crm_mining.fraud.patterns import best_pattern, fraud_sequences, mine_patterns, pattern_statistics
from crm_mining.fraud.signals import scored_transactions
from crm_mining.inputs import load_transactions, optional_columns
from crm_mining.tables import Lake

log = logging.getLogger(__name__)


def score_window(events: DataFrame, score_days: int) -> tuple[dt.date, dt.date]:
    """(first scored day, last day): the last ``score_days`` days of the data (one aggregate row read)."""
    last = events.agg(F.max("txn_date").alias("last")).first()["last"]
    if last is None:
        raise CrmMiningError("the transaction input has no DEBIT transactions; nothing to score for fraud")
    return last - dt.timedelta(days=score_days - 1), last


def rows_of(df: DataFrame, columns: list[str]) -> list[dict]:
    """Small result tables (one row per method and kind, or per pattern kept) as JSON-able dicts."""
    out = []
    for row in df.select(*columns).collect():
        out.append(
            {
                k: (round(v, 4) if isinstance(v, float) else v.isoformat() if hasattr(v, "isoformat") else v)
                for k, v in row.asDict().items()
            }
        )
    return out


def detect_fraud(spark: SparkSession, config: Config) -> dict:
    """Score the recent transactions for fraud and write the alerts within the budget, with reasons."""
    started = time.monotonic()
    settings = config.fraud
    lake = Lake(config)
    transactions = load_transactions(spark, config)
    missing = [
        c for c in ("txn_id", "channel", "merchant_category") if c not in optional_columns(transactions)
    ]
    events = with_events(debit_transactions(transactions), settings).persist()
    cached = [events]
    skipped: dict[str, str] = {}
    try:
        score_from, last = score_window(events, settings.score_days)
        history = events.where(F.col("txn_date") < F.lit(score_from))
        recent = events.where(F.col("txn_date") >= F.lit(score_from))
        known, origin = known_fraud(spark, config)
        if known is not None:
            known = known.persist()
            cached.append(known)
        clean_history = history if known is None else history.join(known, "txn_id", "left_anti")
        lake.write(
            customer_baselines(clean_history).withColumn(
                "baseline_to", F.lit(score_from - dt.timedelta(days=1))
            ),
            "gold.fraud_baselines",
        )
        baselines = lake.read(spark, "gold.fraud_baselines")

        matches, patterns_summary = None, {}
        sequences = fraud_sequences(history, known) if known is not None else None
        n_sequences = sequences.count() if sequences is not None else 0
        if known is None:
            skipped["gold.fraud_patterns"] = origin
        elif n_sequences == 0:
            skipped["gold.fraud_patterns"] = f"no known fraud before {score_from} in {origin}"
        else:
            mined = mine_patterns(sequences.persist(), settings)
            cached.append(sequences)
            stats = pattern_statistics(mined, history, known, settings).withColumns(
                {
                    "mined_to": F.lit(score_from - dt.timedelta(days=1)),
                    "fraud_sequences_total": F.lit(n_sequences),
                }
            )
            lake.write(stats, "gold.fraud_patterns")
            patterns = lake.read(spark, "gold.fraud_patterns")
            used = patterns.where("used")
            matches = best_pattern(recent, used)
            patterns_summary = {
                "fraud_sequences": n_sequences,
                "mined": patterns.count(),
                "used": used.count(),
                "top": rows_of(
                    used.orderBy(F.desc("confidence"), F.desc("fraud_matches")).limit(5),
                    ["pattern_text", "support", "confidence", "lift"],
                ),
            }

        scored = scored_transactions(recent, baselines, matches, settings).persist()
        cached.append(scored)
        n_scored = scored.count()
        budget = alert_budget(n_scored, settings.alerts_per_10k)
        lake.write(budgeted_alerts(scored, budget, settings.min_score), "gold.transaction_alerts")
        alerts = lake.read(spark, "gold.transaction_alerts")
        n_alerts = alerts.count()
        summary: dict = {
            "known_fraud": origin if known is not None else None,
            "missing_inputs": missing,
            "scored_from": score_from.isoformat(),
            "scored_to": last.isoformat(),
            "scored_transactions": n_scored,
            "alert_budget": budget,
            "alerts": n_alerts,
            "alerted_customers": alerts.select("customer_id").distinct().count(),
            "patterns": patterns_summary,
        }
        if known is None:
            skipped["gold.fraud_evaluation"] = origin
        else:
            labels = known.join(recent.select("txn_id"), "txn_id", "left_semi")
            evaluation = evaluate_alerts(scored, alerts, labels, "alerts").unionByName(
                evaluate_alerts(scored, amount_threshold_alerts(scored, n_alerts), labels, "amount_threshold")
            )
            lake.write(evaluation, "gold.fraud_evaluation")
            summary["evaluation"] = rows_of(
                lake.read(spark, "gold.fraud_evaluation").orderBy("method", "fraud_kind"),
                [
                    "method",
                    "fraud_kind",
                    "alerts",
                    "fraud_transactions",
                    "caught",
                    "precision",
                    "recall",
                    "episodes",
                    "episodes_caught",
                ],
            )
        for name, why in skipped.items():
            log.warning("%s is not written: %s", name, why)
        summary["skipped"] = skipped
    finally:
        for frame in cached:
            frame.unpersist()
    summary["seconds"] = round(time.monotonic() - started, 1)
    return summary
