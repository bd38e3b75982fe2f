"""A small Chinese sentiment lexicon for bank complaints, with negation (no package needed).

No well-kept Chinese sentiment package that ships its lexicon is installable here (snownlp's last
release is from 2015), so this is a documented list of common complaint and praise words of retail
banking, weighted on VADER's -4..4 scale. Scoring, like VADER: longest lexicon match first, scanning left
to right; a word preceded (within two characters) by a negator (不, 没, 没有, 未, 别, 并不) has its sign
flipped and is damped (x -0.74, VADER's N_SCALAR); the sum x is normalised to -1..1 by x / sqrt(x^2 + 15).

Caveat: the lexicon was written alongside the generator's Chinese templates, so its accuracy on the
generated lake is optimistic (README "Complaints" reports English and Chinese separately). Extend it
for a real bank's texts, or use ``complaints.sentiment_method: classifier`` with labelled texts.
"""

from __future__ import annotations

import math

POSITIVE = {
    "满意": 2.0,
    "很好": 2.0,
    "好用": 2.0,
    "不错": 1.5,
    "谢谢": 1.0,
    "感谢": 2.0,
    "热情": 2.0,
    "耐心": 1.5,
    "很快": 1.5,
    "及时": 1.5,
    "喜欢": 2.0,
    "方便": 1.5,
    "优秀": 2.5,
    "专业": 1.0,
    "顺利": 1.5,
    "高效": 1.5,
    "周到": 2.0,
    "点赞": 2.0,
}
NEGATIVE = {
    "不满": -2.0,
    "不满意": -2.5,
    "生气": -2.5,
    "气愤": -3.0,
    "愤怒": -3.0,
    "糟糕": -2.5,
    "太差": -2.5,
    "很差": -2.5,
    "差劲": -2.5,
    "失望": -2.0,
    "过分": -2.0,
    "不合理": -2.0,
    "无法接受": -2.5,
    "太慢": -2.0,
    "太高": -1.5,
    "闪退": -1.5,
    "不耐烦": -2.0,
    "没人": -1.0,
    "无缘无故": -1.5,
    "投诉": -1.5,
    "垃圾": -3.0,
    "欺骗": -2.5,
    "麻烦死": -2.5,
    "坑": -2.0,
}
LEXICON = {**POSITIVE, **NEGATIVE}
NEGATORS = ("并不", "没有", "不", "没", "未", "别")
NEGATION_SCALAR = -0.74
ALPHA = 15.0
LONGEST = max(len(w) for w in LEXICON)


def negated(text: str, start: int) -> bool:
    """True when a negator ends within two characters before ``start``."""
    window = text[max(0, start - 3) : start]
    return any(n in window for n in NEGATORS)


def score_zh(text: str) -> float:
    """Sentiment of a Chinese text in -1..1 (0 when no lexicon word occurs)."""
    total, i = 0.0, 0
    while i < len(text):
        for size in range(min(LONGEST, len(text) - i), 0, -1):
            word = text[i : i + size]
            if word in LEXICON:
                value = LEXICON[word]
                # A negator inside the word itself (不满意) is already in its weight.
                total += value * NEGATION_SCALAR if negated(text, i) else value
                i += size
                break
        else:
            i += 1
    return total / math.sqrt(total * total + ALPHA) if total else 0.0
