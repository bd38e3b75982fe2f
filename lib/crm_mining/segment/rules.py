"""Pure rules of the segment stage (no Spark): choosing k, naming segments, the adjusted Rand index.

Every input here is bounded by configuration (k-selection rows, k segment profiles, a k x k contingency
table), never by the number of customers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from math import comb

from crm_mining.config.segment import NameRule


@dataclass(frozen=True)
class KCandidate:
    k: int
    silhouette: float | None
    training_cost: float
    smallest_share: float


def choose_k(candidates: list[KCandidate], min_share: float, tolerance: float = 0.0) -> tuple[int, str]:
    """Among the k whose smallest segment holds >= ``min_share``, the largest k whose silhouette is
    within ``tolerance`` of the best (tolerance 0: the best silhouette, ties to the larger k).

    Silhouette favours few, large clusters: on generated lakes k = 3 often scored best by 0.01-0.05 while
    k = 4-5 recovered the 5 latent segments far better (docs/segment.md), so near-ties go to the finer
    segmentation. When no k qualifies, the k with the largest smallest share wins (so a run never
    fails for want of a k); the returned reason says which rule applied.
    """
    if not candidates:
        raise ValueError("no k candidates")
    qualified = [c for c in candidates if c.smallest_share >= min_share and c.silhouette is not None]
    if qualified:
        best = max(c.silhouette for c in qualified)
        near = max(c.k for c in qualified if c.silhouette >= best - tolerance)
        within = f"within {tolerance} of the best silhouette" if tolerance else "best silhouette"
        return near, f"largest k {within} ({best:.4f}) with smallest segment share >= {min_share}"
    best = max(candidates, key=lambda c: (c.smallest_share, -c.k))
    return best.k, f"no k had smallest segment share >= {min_share}; largest smallest share"


def matches(rule: NameRule, ratios: dict[str, float | None]) -> bool:
    ratio = ratios.get(rule.feature)
    if ratio is None:
        return False
    if rule.above is not None:
        return ratio >= rule.above
    return ratio <= rule.below


def segment_names(
    ratios: dict[int, dict[str, float | None]],
    qualifiers: list[NameRule],
    nouns: list[NameRule],
    max_qualifiers: int,
    default_noun: str,
    taken: set[str] | frozenset[str] = frozenset(),
) -> dict[int, str]:
    """A unique, readable name per segment id from its feature-mean ratios to the population mean.

    A name is up to ``max_qualifiers`` matching qualifier terms (in rule order) then the first matching
    noun (else ``default_noun``), e.g. "Affluent digital savers". Segments that would share a name take
    further matching qualifiers, one at a time; any still tied are numbered "(2)", "(3)" in segment-id
    order (the first keeps the plain name). A name in ``taken`` (e.g. a set-apart segment's) gets
    " [segment <id>]" appended.
    """
    terms = {sid: [r.term for r in qualifiers if matches(r, rs)] for sid, rs in ratios.items()}
    noun = {sid: next((r.term for r in nouns if matches(r, rs)), default_noun) for sid, rs in ratios.items()}
    used = {sid: min(max_qualifiers, len(t)) for sid, t in terms.items()}

    def name(sid: int) -> str:
        text = " ".join([*terms[sid][: used[sid]], noun[sid]])
        return text[:1].upper() + text[1:]

    while True:
        counts = Counter(name(sid) for sid in ratios)
        growable = [sid for sid in ratios if counts[name(sid)] > 1 and used[sid] < len(terms[sid])]
        if not growable:
            break
        for sid in growable:
            used[sid] += 1
    names, seen = {}, Counter()
    for sid in sorted(ratios):
        base = name(sid)
        seen[base] += 1
        names[sid] = base if seen[base] == 1 else f"{base} ({seen[base]})"
    # A numbered name could equal another segment's plain name only if a rule term ends in "(n)"; guard anyway.
    if len(set(names.values())) != len(names):
        names = {sid: f"{n} [segment {sid}]" for sid, n in names.items()}
    return {sid: f"{n} [segment {sid}]" if n in taken else n for sid, n in names.items()}


def adjusted_rand_index(pairs: dict[tuple[object, object], int]) -> float:
    """ARI (Hubert and Arabie) from a contingency table {(label_a, label_b): count}.

    Equals sklearn.metrics.adjusted_rand_score on the labels the table counts; 1.0 when both
    partitions are a single cluster or identical.
    """
    n = sum(pairs.values())
    rows, cols = Counter(), Counter()
    for (a, b), count in pairs.items():
        rows[a] += count
        cols[b] += count
    index = sum(comb(c, 2) for c in pairs.values())
    sum_rows = sum(comb(c, 2) for c in rows.values())
    sum_cols = sum(comb(c, 2) for c in cols.values())
    total = comb(n, 2)
    if total == 0:
        return 1.0
    expected = sum_rows * sum_cols / total
    maximum = (sum_rows + sum_cols) / 2
    if maximum == expected:
        return 1.0
    return (index - expected) / (maximum - expected)
