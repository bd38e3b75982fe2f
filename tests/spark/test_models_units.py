"""Models on small inline data: metrics vs scikit-learn, gains, scorecard, the pipeline, TreeSHAP."""

from __future__ import annotations

import numpy as np
import pytest
from pyspark.ml import PipelineModel
from pyspark.ml.functions import vector_to_array
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from crm_mining import CrmMiningError
from crm_mining.config.models import ScorecardSettings
from crm_mining.layout import in_canonical_layout
from crm_mining.models.data import Feature
from crm_mining.models.metrics import binary_metrics, calibration_table, gains_table, with_running_sums
from crm_mining.models.monitor import bin_shares
from crm_mining.models.pipeline import gbt_pipeline, with_weight
from crm_mining.models.reasons import contributions, top_reasons, tree_ensemble, with_reasons
from crm_mining.models.score import check_columns, risk_grade, scorecard_points


@pytest.fixture(params=[1, 13], ids=["one partition", "13 partitions"])
def shuffle_partitions(request, spark):
    """The running sums over sorted scores span partitions: check them in one and across many."""
    # Adaptive execution would coalesce the small sorted partitions back into one.
    confs = {
        "spark.sql.shuffle.partitions": str(request.param),
        "spark.sql.adaptive.coalescePartitions.enabled": "false",
    }
    before = {key: spark.conf.get(key) for key in confs}
    for key, value in confs.items():
        spark.conf.set(key, value)
    yield request.param
    for key, value in before.items():
        spark.conf.set(key, value)


def test_running_sums_carry_over_from_partition_to_partition(spark, shuffle_partitions):
    df = spark.createDataFrame([(k, k % 3) for k in range(1, 41)], "k int, v int")
    assert df.orderBy("k").rdd.getNumPartitions() == shuffle_partitions
    got = with_running_sums(df, [F.col("k").desc()], ["v"])
    # k from 40 down: v_upto(k) = sum of j % 3 for j = k..40; total 40
    expected = spark.createDataFrame(
        [(k, k % 3, sum(j % 3 for j in range(k, 41)), 40) for k in range(1, 41)],
        "k int, v int, v_upto long, v_total long",
    )
    assertDataFrameEqual(got, expected)


def test_metrics_match_scikit_learn(spark, shuffle_partitions):
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score, roc_curve

    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 600)
    # rounded scores: many ties, which is where hand-written AUCs usually go wrong
    scores = np.round(np.clip(0.3 * labels + rng.normal(0.35, 0.2, 600), 0, 1), 2)
    df = spark.createDataFrame(
        [(int(y), float(s)) for y, s in zip(labels, scores, strict=True)], "label int, score double"
    )
    ours = binary_metrics(df)
    fpr, tpr, _ = roc_curve(labels, scores)
    auc = roc_auc_score(labels, scores)
    assert ours["auc_roc"] == pytest.approx(auc, abs=1e-6)
    assert ours["auc_pr"] == pytest.approx(average_precision_score(labels, scores), abs=1e-6)
    assert ours["ks"] == pytest.approx(float(np.max(tpr - fpr)), abs=1e-6)
    assert ours["brier"] == pytest.approx(brier_score_loss(labels, scores), abs=1e-6)
    assert ours["gini"] == pytest.approx(2 * auc - 1, abs=1e-6)
    assert (ours["rows"], ours["positives"]) == (600, int(labels.sum()))


def test_gains_table_on_a_hand_computed_case(spark):
    # 10 rows, scores 1.0 .. 0.1; events at ranks 1, 2 and 4; five groups of two
    labels = [1, 1, 0, 1, 0, 0, 0, 0, 0, 0]
    df = spark.createDataFrame([(y, (10 - i) / 10) for i, y in enumerate(labels)], "label int, score double")
    got = gains_table(df, groups=5).select(
        "decile", "rows", "events", "capture_rate", "gains", "lift", "cumulative_lift"
    )
    expected = spark.createDataFrame(
        [
            (1, 2, 2, 2 / 3, 2 / 3, 1.0 / 0.3, 1.0 / 0.3),
            (2, 2, 1, 1 / 3, 1.0, 0.5 / 0.3, 0.75 / 0.3),
            (3, 2, 0, 0.0, 1.0, 0.0, 0.5 / 0.3),
            (4, 2, 0, 0.0, 1.0, 0.0, 0.375 / 0.3),
            (5, 2, 0, 0.0, 1.0, 0.0, 1.0),
        ],
        "decile int, rows long, events long, capture_rate double, gains double, lift double, cumulative_lift double",
    )
    assertDataFrameEqual(got, expected, rtol=1e-9)


def test_bin_shares_on_a_hand_computed_case(spark):
    # x: 1 -> bin 0 (above no edge), 2 -> 1, 5 -> 2, null -> "null"; cat: a, b kept, c -> "other".
    df = spark.createDataFrame([(1.0, "a"), (2.0, "b"), (5.0, "a"), (None, "c")], "x double, cat string")
    bins = {"x": {"edges": [1.5, 3.0]}, "cat": {"categories": ["a", "b"]}}
    expected = spark.createDataFrame(
        [
            ("x", "0", 0.25),
            ("x", "1", 0.25),
            ("x", "2", 0.25),
            ("x", "null", 0.25),
            ("cat", "a", 0.5),
            ("cat", "b", 0.25),
            ("cat", "other", 0.25),
        ],
        "column string, bin string, share double",
    )
    assertDataFrameEqual(bin_shares(df, bins), expected, rtol=1e-12)


def test_bin_shares_of_84_features_with_10_edges_compile_without_falling_back(spark):
    # As train bins every feature at once: with a CASE per edge and column the generated Java grew
    # beyond 64 KB; Spark logged the failure as a stack trace and fell back. Without the fallback
    # such a plan raises, so this fails if the bins ever outgrow codegen again.
    # Values 0..99 and edges 10, 20, .., 90: bin = edges below the value, so 0..10 -> "0" (11 rows),
    # 11..20 -> "1", .., 81..90 -> "8" (10 rows each), 91..99 -> "9" (9 rows).
    wide = [f"w{i}" for i in range(84)]
    df = spark.range(100).select(*[F.col("id").cast("double").alias(w) for w in wide]).cache()
    bins = {w: {"edges": [10.0 * e for e in range(1, 10)]} for w in wide}
    spark.conf.set("spark.sql.codegen.fallback", "false")
    try:
        got = bin_shares(df, bins).where(F.col("column").isin("w0", "w83")).collect()
    finally:
        spark.conf.unset("spark.sql.codegen.fallback")
        df.unpersist()
    shares = {"0": 0.11, **{str(b): 0.10 for b in range(1, 9)}, "9": 0.09}
    expected = spark.createDataFrame(
        [(w, b, v) for w in ("w0", "w83") for b, v in shares.items()],
        "column string, bin string, share double",
    )
    assertDataFrameEqual(spark.createDataFrame(got, expected.schema), expected, rtol=1e-12)


def test_gains_deciles_are_ntile_groups_with_uneven_sizes_and_ties_events_last(spark):
    # 23 rows in 4 groups: sizes 6, 6, 6, 5 (as SQL ntile). Within a tied score, events rank last.
    rows = [(y, 0.9) for y in (1, 1, 1, 0, 0)] + [(y, 0.8) for y in (1, 0, 0, 0)]
    rows += [(y, 0.7) for y in (0, 0, 0, 0, 0, 1)] + [(y, 0.3) for y in (0, 0, 0, 0, 0, 0, 0, 1)]
    df = spark.createDataFrame(rows, "label int, score double").repartition(3)  # several sorted partitions
    got = gains_table(df, groups=4).select("decile", "rows", "events", "min_score", "max_score")
    # ranks 1-6: 0.9 x5 (0,0,1,1,1), 0.8 (0); 7-12: 0.8 (0,0,1), 0.7 (0,0,0); 13-18: 0.7 (0,0,1), 0.3 (0,0,0);
    # 19-23: 0.3 (0,0,0,0,1)
    expected = spark.createDataFrame(
        [(1, 6, 3, 0.8, 0.9), (2, 6, 1, 0.7, 0.8), (3, 6, 1, 0.3, 0.7), (4, 5, 1, 0.3, 0.3)],
        "decile int, rows long, events long, min_score double, max_score double",
    )
    assertDataFrameEqual(got, expected)


def test_calibration_bins(spark):
    df = spark.createDataFrame([(0, 0.05), (1, 0.15), (0, 0.12), (1, 1.0)], "label int, score double")
    got = calibration_table(df, bins=10).select("bin", "rows", "mean_predicted", "observed_rate")
    expected = spark.createDataFrame(
        [(1, 1, 0.05, 0.0), (2, 2, 0.135, 0.5), (10, 1, 1.0, 1.0)],
        "bin int, rows long, mean_predicted double, observed_rate double",
    )
    assertDataFrameEqual(got, expected, rtol=1e-9)


def test_scorecard_points_and_grades(spark):
    settings = ScorecardSettings(base_score=600, base_odds=50, pdo=20)
    # odds 50:1 -> base score; doubling the odds adds the PDO; halving them takes it away
    df = spark.createDataFrame([(1 / 51,), (1 / 101,), (1 / 26,)], "pd double")
    got = [r[0] for r in df.select(scorecard_points(F.col("pd"), settings)).collect()]
    assert got == pytest.approx([600.0, 620.0, 580.0], abs=1e-9)
    grades = spark.createDataFrame([(0.01,), (0.02,), (0.1,), (0.15,), (0.9,)], "pd double")
    got = [r[0] for r in grades.select(risk_grade(F.col("pd"), [0.02, 0.05, 0.15])).collect()]
    assert got == [1, 2, 3, 4, 4]


FEATURES = [
    Feature("x1", "numeric", "double"),
    Feature("x2", "numeric", "int"),
    Feature("cat", "categorical", "string"),
]


@pytest.fixture(scope="module")
def toy(spark):
    """400 rows: the event depends on x1, on x2 (with nulls) and on cat 'c'."""
    rng = np.random.default_rng(5)
    rows = []
    for i in range(400):
        x1, x2, cat = float(rng.normal()), int(rng.integers(0, 10)), str(rng.choice(["a", "b", "c"]))
        logit = 1.5 * x1 + 0.3 * (x2 - 5) + (1.0 if cat == "c" else -0.5)
        y = int(rng.random() < 1 / (1 + np.exp(-logit)))
        rows.append((f"c{i}", x1, None if i % 7 == 0 else x2, cat, y))
    df = spark.createDataFrame(rows, "customer_id string, x1 double, x2 int, cat string, label int")
    return with_weight(df, (1.0, 2.0))


@pytest.fixture(scope="module")
def fitted(toy, tmp_path_factory):
    params = {"max_depth": 3, "max_iter": 12, "step_size": 0.2, "subsampling_rate": 0.8,
              "min_instances_per_node": 2, "max_bins": 16}  # fmt: skip
    model = gbt_pipeline(FEATURES, params, seed=1).fit(toy)
    path = str(tmp_path_factory.mktemp("gbt") / "pipeline")
    model.write().overwrite().save(path)
    return model, path


def probabilities(model, df):
    return [
        r[0]
        for r in model.transform(df)
        .select(vector_to_array("probability")[1])
        .orderBy("customer_id")
        .collect()
    ]


def test_pipeline_saves_reloads_and_scores_the_same(toy, fitted):
    model, path = fitted
    reloaded = PipelineModel.load(path)
    assert probabilities(reloaded, toy) == pytest.approx(probabilities(model, toy), abs=1e-12)
    out = reloaded.transform(toy)
    assert {"features", "rawPrediction", "probability", "prediction"} <= set(out.columns)


def test_weights_reach_the_gbt(toy, fitted):
    model, _ = fitted
    assert model.stages[-1].getOrDefault("weightCol") == "weight"
    # positives weighing 2 move the probabilities up against an unweighted fit on the same rows
    params = {"max_depth": 3, "max_iter": 12, "step_size": 0.2, "subsampling_rate": 0.8,
              "min_instances_per_node": 2, "max_bins": 16}  # fmt: skip
    flat = gbt_pipeline(FEATURES, params, seed=1).fit(with_weight(toy.drop("weight"), (1.0, 1.0)))
    assert np.mean(probabilities(model, toy)) > np.mean(probabilities(flat, toy)) + 0.02


def test_the_same_rows_in_any_layout_fit_the_same_gbt(spark, toy):
    rows = toy.withColumn("snapshot_date", F.to_date(F.lit("2026-01-31")))
    layouts = [rows.repartition(1), rows.orderBy(F.rand(3)).repartition(3)]
    params = {"max_depth": 2, "max_iter": 3, "step_size": 0.2, "subsampling_rate": 0.6,
              "min_instances_per_node": 2, "max_bins": 16}  # fmt: skip
    fit = lambda df: gbt_pipeline(FEATURES, params, seed=1).fit(df)  # noqa: E731
    # The GBT subsamples per partition: as laid out, the two fit different models ...
    as_laid_out = [probabilities(fit(df), toy) for df in layouts]
    assert as_laid_out[0] != pytest.approx(as_laid_out[1], abs=1e-6)
    # ... in the canonical layout (as train lays out its rows: spark.sql.shuffle.partitions partitions, the
    # same rows in each, in key order), one.
    stable = [in_canonical_layout(df, "customer_id", "snapshot_date") for df in layouts]
    contents = [df.rdd.glom().map(lambda part: [r["customer_id"] for r in part]).collect() for df in stable]
    assert len(contents[0]) == int(spark.conf.get("spark.sql.shuffle.partitions")) > 1
    assert contents[0] == contents[1]
    assert all(part == sorted(part) for part in contents[0])
    assert probabilities(fit(stable[0]), toy) == probabilities(fit(stable[1]), toy)


def test_unseen_and_null_categories_score(spark, fitted):
    model, _ = fitted
    new = spark.createDataFrame(
        [("n1", 0.1, 3, "zzz"), ("n2", 0.1, 3, None), ("n3", 0.1, None, "a")],
        "customer_id string, x1 double, x2 int, cat string",
    )
    probs = probabilities(model, new)
    assert len(probs) == 3 and all(0.0 < p < 1.0 for p in probs)


def test_treeshap_local_accuracy(spark, toy, fitted):
    model, path = fitted
    ensemble = tree_ensemble(spark, path)
    predicted = model.transform(toy)
    explained = with_reasons(predicted, ensemble, ["x1", "x2", "cat"], 3, ["customer_id"], with_margin=True)
    margins = predicted.select("customer_id", (2 * vector_to_array("rawPrediction")[1]).alias("margin"))
    worst = (
        explained.join(margins, "customer_id")
        .agg(F.max(F.abs(F.col("shap_margin") - F.col("margin"))))
        .first()[0]
    )
    assert explained.count() == 400
    assert worst < 1e-6
    # driver-side check on a handful of rows: x1 carries the largest contributions on average
    x = np.array([r[0] for r in predicted.select(vector_to_array("features")).limit(50).collect()])
    values, expected = contributions(ensemble, x)
    assert np.argmax(np.abs(values).mean(axis=0)) == 0
    assert np.isfinite(expected)


def test_top_reasons_keep_positive_contributions_only():
    values = np.array([[0.5, -0.2, 0.1, 0.3], [-0.1, -0.2, -0.3, 0.0]])
    assert top_reasons(values, ["a", "b", "c", "d"], 3) == [["a", "d", "c"], []]


def test_column_mismatch_is_refused_naming_the_columns(spark):
    metadata = {"name": "churn", "version": "v1",
                "features": [{"name": "x1", "kind": "numeric", "type": "double"},
                             {"name": "x2", "kind": "numeric", "type": "int"},
                             {"name": "cat", "kind": "categorical", "type": "string"}]}  # fmt: skip
    df = spark.createDataFrame([("1", "a")], "x2 string, cat string")
    with pytest.raises(
        CrmMiningError,
        match=r"missing columns: x1; columns of another type: x2 \(model: int, table: string\)",
    ):
        check_columns(df, metadata, "gold.customer_features")
