"""Offer evaluation pooled over every snapshot with a closed horizon (the stage evaluates one snapshot).

On an existing lake (gold.customer_features built): for each snapshot t with t + 6 months inside the data,
the rules stage's own rules, exclusions and offers at t (``crm_mining.rules.run.run_snapshot``) are
scored with ``offer_metrics`` against the products opened in (t, t + 6 months], next to the popularity
and random baselines and a variant ranking the matching rules by lift (then confidence). Prints the
metrics per snapshot and pooled (a customer-snapshot is one evaluation). Results:
scripts/results/offer_evaluation_pooled.txt.

    PYTHONPATH=lib .venv/bin/python scripts/offer_evaluation_pooled.py LAKEHOUSE [config overrides...]
"""

from __future__ import annotations

import sys

from pyspark.sql import Window
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining.config import load_config
from crm_mining.rules.evaluation import offer_metrics, opened_products
from crm_mining.rules.offers import baseline_offers, matching_rules, top_ranked, without_exclusions
from crm_mining.rules.run import Context, lake_source, month_end_after, new_run_id, run_snapshot, union_all
from crm_mining.session import get_spark
from crm_mining.tables import Lake

HORIZON, K = 6, 3
METHODS = ["rules", "rules_lift", "popularity", "random"]


def lift_ranked(holdings, run):
    """Offers ranked by the best lift among matching rules (ties by confidence)."""
    matches = without_exclusions(matching_rules(holdings, run.rules, 1.0), run.exclusions)
    per_product = Window.partitionBy("snapshot_date", "customer_id", "product").orderBy(
        F.desc("lift"), F.desc("confidence")
    )
    best = matches.withColumn("n", F.row_number().over(per_product)).where("n = 1")
    renamed = {"score": "lift", "rule_antecedent": "antecedent", "rule_confidence": "confidence"}
    renamed |= {"rule_lift": "lift", "rule_support": "support"}
    keys = ["snapshot_date", "customer_id", "product"]
    scored = best.select(*keys, *[F.col(column).alias(name) for name, column in renamed.items()])
    return top_ranked(scored, K, F.desc("score"), F.desc("rule_confidence"))


def main() -> None:
    where, *overrides = sys.argv[1:]
    config = load_config(overrides=["spark.master=local[2]", *overrides], lakehouse=where)
    spark = get_spark(config)
    source = lake_source(spark, Lake(config), config.rules)
    ctx = Context(spark, config, source, new_run_id())
    # One row per snapshot date: bounded by the number of snapshots.
    present = sorted(r.snapshot_date for r in source.baskets.select("snapshot_date").distinct().collect())
    pooled = []
    for t in [d for d in present if month_end_after(d, HORIZON) <= present[-1]]:
        run = run_snapshot(ctx, t)
        holdings = source.baskets.where(F.col("snapshot_date") == F.lit(t))
        offers = union_all(
            [
                run.offers.withColumn("method", F.lit("rules")),
                lift_ranked(holdings, run).withColumn("method", F.lit("rules_lift")),
                baseline_offers(holdings, run.exclusions, K, "popularity").withColumn(
                    "method", F.lit("popularity")
                ),
                baseline_offers(holdings, run.exclusions, K, "random", 7).withColumn(
                    "method", F.lit("random")
                ),
            ]
        )
        excluded = run.exclusions.where(F.col("product").isNull()).select("customer_id")
        population = holdings.select("customer_id").join(excluded, "customer_id", "left_anti")
        opened = opened_products(source.baskets, t, HORIZON)

        def tag(df, t=t):  # one evaluation per customer and snapshot
            return df.withColumn("customer_id", F.concat_ws("@", "customer_id", F.lit(t.isoformat())))

        parts = (tag(offers), tag(opened), tag(population))
        pooled.append(parts)
        rows = offer_metrics(*parts, METHODS, K).orderBy("method").collect()  # 4 rows
        print(t, [(r.method, r.customers, round(r.hit_rate, 3), round(r.map, 3)) for r in rows], flush=True)
    frames = [union_all([p[i] for p in pooled]) for i in range(3)]
    rows = offer_metrics(*frames, METHODS, K).orderBy("method").collect()  # 4 rows
    print(
        "POOLED (method, customers, hit_rate, precision, map)",
        [(r.method, r.customers, round(r.hit_rate, 3), round(r.precision, 3), round(r.map, 3)) for r in rows],
    )


if __name__ == "__main__":
    main()
