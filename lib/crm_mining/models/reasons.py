"""Reason codes: exact TreeSHAP contributions of the MLlib GBT, computed distributed.

The trees are read from the saved model's tree data (``stages/<n>_GBTClassifier*/data``: one row per
tree node, bounded by maxIter x 2^(maxDepth+1)), turned into ``shap``'s dictionary format and shipped with the task (a closure,
small); ``mapInPandas`` runs ``shap.TreeExplainer`` (the C TreeSHAP, path-dependent) on each batch of feature
vectors.

Units: MLlib's GBT margin m gives P(1) = 1 / (1 + exp(-2m)), so leaf values are scaled by 2 x tree weight
and the contributions are in log-odds: sum(contributions) + expected value = 2m (local accuracy).
Splits are ``x <= threshold -> left`` in both MLlib and shap. Internal node values are recomputed as the
cover-weighted mean of their children (cover = the node's weighted training count), as TreeSHAP assumes.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator

import numpy as np
import pandas as pd
from pyspark.ml.functions import vector_to_array
from pyspark.sql import DataFrame, SparkSession

from crm_mining import CrmMiningError


def gbt_stage_path(pipeline_path: str) -> str:
    found = sorted(glob.glob(os.path.join(pipeline_path, "stages", "*GBTClassifier*")))
    if not found:
        raise CrmMiningError(f"no GBTClassifier stage under {pipeline_path}/stages")
    return found[-1]


def tree_ensemble(spark: SparkSession, pipeline_path: str) -> dict:
    """The saved GBT as shap's dictionary model: {"trees": [...], "tree_output": "log_odds", ...}."""
    stage = gbt_stage_path(pipeline_path)
    # Bounded by the tuned tree count and depth (config), not by customers: fine to collect.
    nodes = spark.read.parquet(os.path.join(stage, "data")).collect()
    # treesMetadata rows are (treeID, tree params JSON, tree weight), saved as unnamed columns _1, _2, _3.
    meta = spark.read.parquet(os.path.join(stage, "treesMetadata")).collect()
    weights = {r[0]: r[2] for r in meta}
    by_tree: dict[int, list] = {}
    for row in nodes:
        by_tree.setdefault(row["treeID"], []).append(row["nodeData"])
    trees = [single_tree(by_tree[t], 2.0 * weights[t]) for t in sorted(by_tree)]
    return {
        "trees": trees,
        "tree_output": "log_odds",
        "base_offset": 0.0,
        "input_dtype": np.float64,
        "internal_dtype": np.float64,
    }


def single_tree(nodes: list, scale: float) -> dict:
    """One MLlib tree (NodeData rows) as shap arrays; values scaled to log-odds by ``scale``."""
    n = len(nodes)
    by_id = {node["id"]: node for node in nodes}
    if sorted(by_id) != list(range(n)):
        raise CrmMiningError("GBT tree node ids are not 0..n-1; cannot read the tree")
    left = np.full(n, -1, dtype=np.int32)
    right = np.full(n, -1, dtype=np.int32)
    feature = np.full(n, -2, dtype=np.int32)
    threshold = np.zeros(n, dtype=np.float64)
    value = np.zeros(n, dtype=np.float64)
    cover = np.zeros(n, dtype=np.float64)
    for i, node in by_id.items():
        cover[i] = node["impurityStats"][0]
        value[i] = node["prediction"] * scale
        if node["leftChild"] >= 0:
            split = node["split"]
            if split["numCategories"] != -1:
                raise CrmMiningError("GBT tree has a categorical split; reason codes need threshold splits")
            left[i], right[i] = node["leftChild"], node["rightChild"]
            feature[i] = split["featureIndex"]
            threshold[i] = split["leftCategoriesOrThreshold"][0]
    for i in sorted(range(n), key=lambda j: -depth_of(j, left, right)):
        if left[i] >= 0:  # children before parents: recompute the parent as the cover-weighted mean
            value[i] = (value[left[i]] * cover[left[i]] + value[right[i]] * cover[right[i]]) / (
                cover[left[i]] + cover[right[i]]
            )
            cover[i] = cover[left[i]] + cover[right[i]]
    return {
        "children_left": left,
        "children_right": right,
        "children_default": left.copy(),
        "feature": feature,
        "threshold": threshold,
        "value": value.reshape(-1, 1),
        "node_sample_weight": cover,
    }


def depth_of(i: int, left: np.ndarray, right: np.ndarray) -> int:
    """Height of node i (0 for a leaf); used to order children before parents."""
    if left[i] < 0:
        return 0
    return 1 + max(depth_of(left[i], left, right), depth_of(right[i], left, right))


def explainer(ensemble: dict):
    import shap  # imported lazily: numba start-up is slow and only scoring needs it

    return shap.TreeExplainer(ensemble, feature_perturbation="tree_path_dependent")


def contributions(ensemble: dict, x: np.ndarray) -> tuple[np.ndarray, float]:
    """(rows x features contributions in log-odds, expected value) for the feature matrix ``x``."""
    ex = explainer(ensemble)
    values = np.asarray(ex.shap_values(x, check_additivity=False), dtype=np.float64)
    expected = float(np.ravel(ex.expected_value)[0])
    return values.reshape(x.shape[0], -1), expected


def top_reasons(values: np.ndarray, names: list[str], k: int) -> list[list[str]]:
    """Per row, the names of the (at most k) features with the largest positive contributions."""
    order = np.argsort(-values, axis=1, kind="stable")[:, :k]
    return [[names[j] for j in row if values[i, j] > 0] for i, row in enumerate(order)]


def with_reasons(
    scored: DataFrame, ensemble: dict, names: list[str], k: int, keys: list[str], with_margin: bool = False
) -> DataFrame:
    """``keys`` + ``reasons`` (array of feature names) per row of ``scored`` (which has ``features``).

    ``with_margin`` adds ``shap_margin`` = sum of contributions + expected value (for the local-accuracy check).
    """
    key_fields = [scored.schema[c] for c in keys]
    schema = (
        ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in key_fields) + ", reasons array<string>"
    )
    if with_margin:
        schema += ", shap_margin double"

    def explain(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        ex = explainer(ensemble)
        expected = float(np.ravel(ex.expected_value)[0])
        for batch in batches:
            if batch.empty:
                continue
            x = np.vstack(batch["x"].to_numpy()).astype(np.float64)
            values = np.asarray(ex.shap_values(x, check_additivity=False), dtype=np.float64).reshape(
                len(batch), -1
            )
            out = batch[keys].copy()
            out["reasons"] = top_reasons(values, names, k)
            if with_margin:
                out["shap_margin"] = values.sum(axis=1) + expected
            yield out

    return scored.select(*keys, vector_to_array("features").alias("x")).mapInPandas(explain, schema)
