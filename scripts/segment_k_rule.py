"""Which silhouette tolerance recovers the generator's latent segments? (issue #10, segment.silhouette_tolerance)

For each lake and each of its latest --snapshots snapshots, on the segment stage's own preprocessing of the
customers it clusters (the default set-apart rules applied), fits scikit-learn KMeans (n_init=10) at each k of
the stage's range and records the adjusted Rand index against ``truth/customers``, the silhouette (squared
Euclidean, as MLlib's ClusteringEvaluator) and the smallest segment's share. Then, for each tolerance, the k the
stage's rule (``segment.rules.choose_k``) would choose and its ARI. Measurement only: it writes nothing.

    PYTHONPATH=lib python scripts/segment_k_rule.py --snapshots 4 --lakehouses /a/lakehouse /b/lakehouse
"""

from __future__ import annotations

import argparse

import numpy as np
from pyspark.ml.functions import vector_to_array
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score

from crm_mining.config import load_config
from crm_mining.segment.model import SCALED, preprocessing
from crm_mining.segment.rules import KCandidate, choose_k
from crm_mining.segment.source import customer_frame, read_customers, to_cluster
from crm_mining.session import get_spark
from crm_mining.tables import Lake

TOLERANCES = [0.0, 0.025, 0.05, 0.075]


def snapshot_rows(spark, config, lake, snapshot) -> tuple[np.ndarray, np.ndarray]:
    """The stage's scaled vectors of the customers it clusters at ``snapshot``, and their latent segment."""
    truth = spark.read.parquet(lake.truth("customers")).select("customer_id", "segment")
    frame = customer_frame(read_customers(spark, config), config.segment)
    target = to_cluster(frame.where(F.col("snapshot_date") == F.lit(snapshot)))
    scaled = preprocessing(config.segment).fit(target).transform(target)
    # A generated lake of a few hundred to a few thousand customers: measurement only, on one machine.
    pdf = (
        scaled.select("customer_id", vector_to_array(SCALED).alias("v")).join(truth, "customer_id").toPandas()
    )
    return np.vstack(pdf["v"].to_numpy()), pdf["segment"].to_numpy()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lakehouses", nargs="+", required=True)
    parser.add_argument("--snapshots", type=int, default=4)
    args = parser.parse_args()
    picks: dict[float, list[float]] = {t: [] for t in TOLERANCES}
    for lakehouse in args.lakehouses:
        config = load_config(overrides=["spark.master=local[2]"], lakehouse=lakehouse)
        spark = get_spark(config)
        lake = Lake(config)
        settings = config.segment
        dates = sorted(
            r[0]
            for r in lake.read(spark, "gold.customer_features").select("snapshot_date").distinct().collect()
        )[-args.snapshots :]
        for snapshot in dates:
            x, y = snapshot_rows(spark, config, lake, snapshot)
            candidates, aris = [], {}
            for k in range(settings.k_min, settings.k_max + 1):
                labels = KMeans(k, n_init=10, random_state=42).fit_predict(x)
                share = np.bincount(labels).min() / len(labels)
                candidates.append(
                    KCandidate(k, silhouette_score(x, labels, metric="sqeuclidean"), 0.0, share)
                )
                aris[k] = adjusted_rand_score(y, labels)
            cells = [
                f"k={c.k} sil {c.silhouette:.3f} share {c.smallest_share:.3f} ARI {aris[c.k]:.3f}"
                for c in candidates
            ]
            chosen = {t: choose_k(candidates, settings.min_segment_share, t)[0] for t in TOLERANCES}
            for t, k in chosen.items():
                picks[t].append(aris[k])
            print(f"{lakehouse} {snapshot} ({len(y)} customers clustered)", flush=True)
            print("  " + "; ".join(cells), flush=True)
            print(
                "  chosen: "
                + ", ".join(f"tolerance {t}: k={k} (ARI {aris[k]:.3f})" for t, k in chosen.items())
            )
    for t, values in picks.items():
        print(
            f"tolerance {t}: ARI min {min(values):.3f}, mean {np.mean(values):.3f} over {len(values)} snapshots"
        )


if __name__ == "__main__":
    main()
