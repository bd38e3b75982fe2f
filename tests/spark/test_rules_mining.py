"""FPGrowth itemsets and rules against mlxtend (the single-node reference), the ceiling and model reload."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from mlxtend.frequent_patterns import association_rules, fpgrowth
from pyspark.ml.fpm import FPGrowthModel

from crm_mining.rules.mining import MiningParams, TooManyRules, fit_fpgrowth, frequent_itemsets, mine

# 20 baskets: ties (C and D are held 7 times each; many pairs 3 or 2 times, 2 being the threshold count at
# support 0.1), single-item baskets (E, A, B, F), a four-item basket, and G always with A (G -> A has
# confidence 1); F is held once (below every support used here).
BASKETS = [
    ["A", "B", "C"], ["A", "B"], ["A", "B", "D"], ["A", "C"], ["B", "C"],
    ["A", "B", "C", "D"], ["E"], ["A", "G"], ["A"], ["B"],
    ["C", "D"], ["C", "D"], ["A", "D"], ["B", "D"], ["A", "B", "C"],
    ["F"], ["D", "E"], ["A", "E"], ["B", "E"], ["A", "G"],
]  # fmt: skip

METRICS = [
    "antecedent_support", "consequent_support", "support", "confidence", "lift", "leverage", "conviction",
]  # fmt: skip


def params(**overrides) -> MiningParams:
    base = {
        "min_support": 0.1,
        "min_confidence": 0.3,
        "min_lift": 0.0,
        "max_itemset_size": 3,
        "max_rules": 1000,
        "baskets_per_partition": 1000,
    }
    return MiningParams(**{**base, **overrides})


def spark_baskets(spark, baskets):
    return spark.createDataFrame([(b,) for b in baskets], "items array<string>")


def reference(baskets, p: MiningParams):
    """mlxtend fpgrowth + association_rules, one-item consequents, the same max size and lift floor."""
    items = sorted({i for b in baskets for i in b})
    onehot = pd.DataFrame([[i in b for i in items] for b in baskets], columns=items)
    itemsets = fpgrowth(onehot, min_support=p.min_support, use_colnames=True, max_len=p.max_itemset_size)
    rules = association_rules(
        itemsets, num_itemsets=len(baskets), metric="confidence", min_threshold=p.min_confidence
    )
    rules = rules[(rules["consequents"].map(len) == 1) & (rules["lift"] >= p.min_lift)]
    return itemsets, rules


def close(a: float | None, b: float) -> bool:
    if math.isinf(b):  # mlxtend's conviction at confidence 1; ours is null there (documented)
        return a is None
    return a is not None and abs(a - b) < 1e-9


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"min_support": 0.15, "min_confidence": 0.5, "max_itemset_size": 4},
        {"min_support": 0.05, "min_confidence": 0.0, "min_lift": 1.0, "max_itemset_size": 2},
    ],
)
def test_itemsets_and_rules_equal_mlxtend(spark, overrides):
    p = params(**overrides)
    itemsets, rules, total = mine(spark_baskets(spark, BASKETS), p)
    ref_itemsets, ref_rules = reference(BASKETS, p)

    ours = {tuple(r["items"]): r["support"] for r in itemsets.collect()}
    theirs = {
        tuple(sorted(s)): v for s, v in zip(ref_itemsets["itemsets"], ref_itemsets["support"], strict=True)
    }
    assert set(ours) == set(theirs)
    assert max(abs(ours[k] - theirs[k]) for k in ours) < 1e-9

    ours_rules = {(tuple(r["antecedent"]), tuple(r["consequent"])): r for r in rules.collect()}
    theirs_rules = {
        (tuple(sorted(a)), tuple(sorted(c))): row
        for a, c, (_, row) in zip(
            ref_rules["antecedents"], ref_rules["consequents"], ref_rules.iterrows(), strict=True
        )
    }
    assert total == len(theirs_rules) > 0
    assert set(ours_rules) == set(theirs_rules)
    for key, row in theirs_rules.items():
        mine_row = ours_rules[key]
        mismatched = [m for m in METRICS if not close(mine_row[m], row[m.replace("_", " ")])]
        assert not mismatched, (key, mismatched)
    if not overrides:  # the confidence-1 edge case (G -> A) is really exercised
        assert ours_rules[(("G",), ("A",))]["conviction"] is None
        assert total == 18


def test_support_threshold_is_inclusive_where_spark_would_round_up(spark):
    # 0.3 x 10 = 3.0000000000000004: Spark's own ceil would need 4; the itemset {A, B} held 3 times stays.
    baskets = [["A", "B"]] * 3 + [["C"]] * 7
    itemsets, rules, _ = mine(spark_baskets(spark, baskets), params(min_support=0.3, min_confidence=0.0))
    assert sorted(tuple(r["items"]) for r in itemsets.collect()) == [("A",), ("A", "B"), ("B",), ("C",)]
    assert sorted((tuple(r["antecedent"]), tuple(r["consequent"])) for r in rules.collect()) == [
        (("A",), ("B",)),
        (("B",), ("A",)),
    ]


def test_rule_ceiling_stops_with_a_support_that_fits(spark):
    df = spark_baskets(spark, BASKETS)
    # Support 0.1 (count 2), confidence 0.3, size 3: 18 rules. By count: A->B, B->A hold 5 times;
    # A->C, C->A, B->C, C->B 4 times (6 rules with count >= 4, more than 5), so count 5 = support 0.25.
    with pytest.raises(TooManyRules) as error:
        mine(df, params(max_rules=5))
    message = str(error.value)
    assert "rules.min_support=0.1 gives 18 rules" in message
    assert "more than rules.max_rules=5" in message
    assert "set rules.min_support to at least 0.25 (2 rules)" in message
    _, _, total = mine(df, params(max_rules=5, min_support=0.25))
    assert total == 2


def test_fpgrowth_model_saves_and_reloads(spark, tmp_path):
    df = spark_baskets(spark, BASKETS)
    p = params()
    model = fit_fpgrowth(df, len(BASKETS), p)
    path = str(tmp_path / "fpgrowth")
    model.write().overwrite().save(path)
    reloaded = FPGrowthModel.load(path)
    assert reloaded.freqItemsets.columns == ["items", "freq"]
    assert reloaded.associationRules.columns == ["antecedent", "consequent", "confidence", "lift", "support"]
    before = frequent_itemsets(model, len(BASKETS), 3).collect()
    after = frequent_itemsets(reloaded, len(BASKETS), 3).collect()
    assert sorted(map(tuple, before)) == sorted(map(tuple, after))
    predicted = reloaded.transform(spark.createDataFrame([(["A"],)], "items array<string>")).first()
    assert "B" in predicted["prediction"]
