"""The fraud stage end to end on the sample lake: its tables, the alert budget, reasons, and the truth."""

from __future__ import annotations

from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining.fraud import detect_fraud
from crm_mining.stages import stage
from crm_mining.tables import Lake


def test_fraud_stage_on_the_sample_lake(spark, sample_lake):
    summary = detect_fraud(spark, sample_lake)
    lake = Lake(sample_lake)
    assert all(lake.exists(spark, name) for name in stage("fraud").writes)
    assert summary["skipped"] == {}
    assert summary["known_fraud"].startswith("generator truth")

    alerts = lake.read(spark, "gold.transaction_alerts")
    settings = sample_lake.fraud
    assert (
        summary["alerts"]
        == alerts.count()
        <= summary["scored_transactions"] * settings.alerts_per_10k / 10_000
    )
    assert alerts.where((F.size("reasons") == 0) | (F.size("reasons") != F.size("signals"))).count() == 0
    assert alerts.where(F.col("score") < settings.min_score).count() == 0
    assert alerts.where(F.col("alert_date") < F.lit(summary["scored_from"])).count() == 0

    # PrefixSpan learnt from the fraud before the scored window; at least one pattern is an alert signal.
    patterns = lake.read(spark, "gold.fraud_patterns")
    assert patterns.where("used").count() == summary["patterns"]["used"] > 0
    assert (
        patterns.where((F.col("support") < settings.pattern_min_support) | (F.col("support") > 1)).count()
        == 0
    )

    evaluation = {(r.method, r.fraud_kind): r for r in lake.read(spark, "gold.fraud_evaluation").collect()}
    ours, baseline = evaluation[("alerts", "all")], evaluation[("amount_threshold", "all")]
    assert ours.alerts == baseline.alerts == summary["alerts"]
    # The card-testing episodes are found, and the alerts beat a global amount threshold at the same rate.
    card = evaluation[("alerts", "card_testing")]
    assert card.episodes > 0 and card.episode_recall >= 0.5, card
    assert ours.precision > baseline.precision and ours.recall > baseline.recall, (ours, baseline)
