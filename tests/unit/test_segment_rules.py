"""Pure rules of the segment stage: choosing k, naming, the adjusted Rand index (no Spark)."""

from __future__ import annotations

import pytest
from sklearn.metrics import adjusted_rand_score

from crm_mining.config import load_config
from crm_mining.config.segment import NameRule
from crm_mining.config.validate import ConfigError
from crm_mining.segment.rules import KCandidate, adjusted_rand_index, choose_k, segment_names


def test_best_silhouette_wins_among_k_with_big_enough_segments():
    candidates = [
        KCandidate(3, 0.41, 900.0, 0.20),
        KCandidate(4, 0.55, 700.0, 0.02),  # best silhouette, but a 2% outlier cluster
        KCandidate(5, 0.47, 600.0, 0.08),
    ]
    assert choose_k(candidates, min_share=0.05)[0] == 5
    assert choose_k(candidates, min_share=0.01)[0] == 4


def test_near_ties_go_to_the_larger_k_within_the_tolerance():
    # Silhouettes of the 1000-customer generated lake (seed 7) at 2026-09-30 (docs/segment.md).
    candidates = [
        KCandidate(3, 0.413, 1, 0.184),
        KCandidate(4, 0.367, 1, 0.163),
        KCandidate(5, 0.401, 1, 0.031),  # within the tolerance, but a segment under 5%
        KCandidate(6, 0.306, 1, 0.031),
    ]
    assert choose_k(candidates, 0.05, tolerance=0.0)[0] == 3
    assert choose_k(candidates, 0.05, tolerance=0.025)[0] == 3
    k, reason = choose_k(candidates, 0.05, tolerance=0.05)
    assert k == 4
    assert (
        reason == "largest k within 0.05 of the best silhouette (0.4130) with smallest segment share >= 0.05"
    )
    assert choose_k(candidates, 0.03, tolerance=0.05)[0] == 5


def test_ties_go_to_the_larger_k_and_no_qualifier_falls_back_to_the_largest_smallest_share():
    assert choose_k([KCandidate(4, 0.5, 1, 0.1), KCandidate(3, 0.5, 1, 0.1)], 0.05)[0] == 4
    k, reason = choose_k([KCandidate(3, 0.5, 1, 0.01), KCandidate(4, 0.6, 1, 0.03)], 0.05)
    assert k == 4
    assert reason.startswith("no k had")


QUALIFIERS = [
    NameRule("affluent", "balance", above=2.0),
    NameRule("young", "age", below=0.8),
    NameRule("digital", "mobile", above=1.4),
]
NOUNS = [NameRule("savers", "deposit", above=1.5), NameRule("card users", "cc", above=1.5)]


def test_names_follow_the_rules():
    ratios = {
        1: {"balance": 2.5, "age": 1.0, "mobile": 1.5, "deposit": 1.6, "cc": 1.0},
        2: {"balance": 0.4, "age": 0.7, "mobile": 1.0, "deposit": 0.5, "cc": 2.0},
        3: {"balance": 1.0, "age": 1.0, "mobile": 1.0, "deposit": 1.0, "cc": 1.0},
    }
    assert segment_names(ratios, QUALIFIERS, NOUNS, 2, "customers") == {
        1: "Affluent digital savers",
        2: "Young card users",
        3: "Customers",
    }


def test_names_are_unique_even_for_identical_profiles():
    same = {"balance": 2.5, "age": 0.5, "mobile": 1.0, "deposit": 1.0, "cc": 1.0}
    differ_later = {"balance": 2.5, "age": 0.5, "mobile": 2.0, "deposit": 1.0, "cc": 1.0}
    names = segment_names(
        {1: same, 2: dict(same), 3: differ_later, 4: dict(same)}, QUALIFIERS, NOUNS, 1, "customers"
    )
    assert len(set(names.values())) == 4
    # 3 differs only in its third qualifier: it earns it; the identical ones are numbered.
    assert names == {
        1: "Affluent young customers",
        2: "Affluent young customers (2)",
        3: "Affluent young digital customers",
        4: "Affluent young customers (3)",
    }


def test_missing_features_and_null_ratios_match_no_rule():
    assert segment_names({1: {"balance": None}, 2: {}}, QUALIFIERS, NOUNS, 2, "customers") == {
        1: "Customers",
        2: "Customers (2)",
    }


def test_a_name_taken_by_a_set_apart_segment_is_not_reused():
    ratios = {1: {"balance": 3.0}, 2: {"balance": 1.0}}
    names = segment_names(ratios, QUALIFIERS, NOUNS, 2, "customers", taken={"Customers"})
    assert names == {1: "Affluent customers", 2: "Customers [segment 2]"}


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ([0, 0, 1, 1, 2, 2], [1, 1, 0, 0, 2, 2]),
        ([0, 0, 0, 1, 1, 1, 2, 2], [0, 0, 1, 1, 2, 2, 2, 0]),
        ([0, 1, 2, 3, 0, 1, 2, 3, 1, 1], [0, 0, 0, 0, 1, 1, 1, 1, 2, 2]),
    ],
)
def test_adjusted_rand_index_equals_sklearn(a, b):
    table: dict = {}
    for x, y in zip(a, b, strict=True):
        table[(x, y)] = table.get((x, y), 0) + 1
    assert adjusted_rand_index(table) == pytest.approx(adjusted_rand_score(a, b), abs=1e-12)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("segment.k_min=6", "'segment.k_min' (6) must not exceed 'segment.k_max' (5)"),
        ("segment.log1p_columns=[nope]", "'segment.log1p_columns' has nope not in 'segment.features'"),
        ("segment.source=csv", "'segment.location' is required"),
        ("segment.name_nouns=[{term: x, feature: y}]", "needs exactly one of 'above' or 'below'"),
        (
            "segment.set_apart=[{name: A, when: x}, {name: A, when: y}]",
            "'segment.set_apart' names must be unique",
        ),
    ],
)
def test_bad_segment_config_is_named(override, message):
    overrides = [override] + (["segment.k_max=5"] if "k_min" in override else [])
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_config(overrides=overrides)
