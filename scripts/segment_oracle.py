"""How well could a centre-based clustering recover the generator's latent segments? (issue #10)

For each snapshot, on the segment stage's own preprocessing (imputation, log1p, scaling of
``segment.features``), reports the adjusted Rand index against ``truth/customers`` of:
- an oracle that puts every customer at the nearest centre of its true segment;
- scikit-learn KMeans (n_init=10) at each k in --ks;
for all customers and for those with an open account; and each feature's share of variance between
segments. Measurement only: it reads a generated lake and writes nothing.

    PYTHONPATH=lib python scripts/segment_oracle.py --lakehouse /path/to/lakehouse --snapshots 2026-09-30 2026-10-31
"""

from __future__ import annotations

import argparse

import numpy as np
from pyspark.ml.functions import vector_to_array
from pyspark.sql import functions as F
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from crm_mining.config import load_config
from crm_mining.segment.model import SCALED, preprocessing
from crm_mining.segment.source import customer_frame, read_customers
from crm_mining.session import get_spark
from crm_mining.tables import Lake


def between_share(x: np.ndarray, y: np.ndarray) -> float:
    """Share of a feature's variance that lies between the segments (eta squared)."""
    within = sum(((x[y == s] - x[y == s].mean()) ** 2).sum() for s in np.unique(y))
    return 1.0 - within / ((x - x.mean()) ** 2).sum()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lakehouse", required=True)
    parser.add_argument("--snapshots", nargs="+", required=True)
    parser.add_argument("--ks", nargs="+", type=int, default=[3, 4, 5, 6])
    args = parser.parse_args()
    config = load_config(overrides=["spark.master=local[2]"], lakehouse=args.lakehouse)
    spark = get_spark(config)
    lake = Lake(config)
    truth = spark.read.parquet(lake.truth("customers")).select("customer_id", "segment")
    frame = customer_frame(read_customers(spark, config), config.segment)
    features = lake.read(spark, "gold.customer_features")
    for snapshot in args.snapshots:
        for population, condition in (("all", F.lit(True)), ("accounts open", ~F.col("all_accounts_closed"))):
            keep = features.where((F.col("snapshot_date") == snapshot) & condition).select("customer_id")
            target = frame.where(F.col("snapshot_date") == F.lit(snapshot)).join(keep, "customer_id")
            scaled = preprocessing(config.segment).fit(target).transform(target)
            # A sample lake of a few hundred customers: measurement only, on one machine.
            rows = scaled.select("customer_id", vector_to_array(SCALED).alias("v")).join(truth, "customer_id")
            pdf = rows.toPandas()
            x, y = np.vstack(pdf["v"].to_numpy()), pdf["segment"].to_numpy()
            names = np.unique(y)
            centres = np.vstack([x[y == s].mean(axis=0) for s in names])
            oracle = names[np.argmin(((x[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)]
            cells = [f"oracle {adjusted_rand_score(y, oracle):.3f}"]
            for k in args.ks:
                labels = KMeans(k, n_init=10, random_state=0).fit_predict(x)
                cells.append(f"k={k} {adjusted_rand_score(y, labels):.3f}")
            print(f"{snapshot} {population} ({len(y)}): " + ", ".join(cells), flush=True)
            if population == "all":
                shares = {f: between_share(x[:, i], y) for i, f in enumerate(config.segment.features)}
                ranked = sorted(shares.items(), key=lambda kv: -kv[1])
                print("  between-segment share: " + ", ".join(f"{f} {v:.2f}" for f, v in ranked))


if __name__ == "__main__":
    main()
