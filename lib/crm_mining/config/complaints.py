"""Settings for `crm-mining complaints`: topics (LDA) and sentiment of interaction texts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from crm_mining.config.validate import ConfigError


def default_stop_words() -> list[str]:
    """Words every bank text has, plus the PII placeholders silver puts in, plus Chinese function bigrams.

    Spark's English list (StopWordsRemover) is applied too; these come on top.
    """
    return [
        *("phone", "email", "iban", "cardnumber", "idnumber", "address"),  # crm_mining.pii's placeholders
        *("bank", "account", "please", "hello", "hi", "morning", "good", "regards"),
        *("call", "back", "write", "customer", "years", "time", "third", "note", "quick", "just"),
        *("thank", "thanks", "information", "fix", "now", "move", "money", "another", "keep", "loyal"),
        *("你好", "早上", "上好", "谢谢", "请回", "回电", "邮箱", "麻烦", "回复", "一下", "我的", "我要"),
        *("老客", "客户", "多年", "年的", "的老", "这是", "是我", "我第", "第三", "三次", "次反", "反映"),
        *("映了", "换一", "一家", "家银", "银行", "马上", "上解", "解决", "继续", "保持", "非常", "简单"),
        *("单说", "说一"),
    ]


@dataclass(frozen=True)
class ComplaintSettings:
    # Where texts come from: lake = silver.interactions (PII already masked by ingest); else a table of
    # your own with (id, customer, timestamp, text) columns named below (its text is masked here too).
    source: Literal["lake", "delta_table", "delta_path", "parquet", "csv"] = "lake"
    location: str | None = None
    id_column: str = "interaction_id"
    customer_column: str = "customer_id"
    timestamp_column: str = "interaction_ts"
    text_column: str = "text"
    # Optional: a kind column (e.g. COMPLAINT / SERVICE / INQUIRY) in your own table; None = every text is
    # a complaint.
    kind_column: str | None = None
    csv_options: dict[str, str] = field(default_factory=lambda: {"header": "true"})
    # Topics found by LDA, the vocabulary kept by CountVectorizer (most frequent terms), the least number
    # of texts a term must appear in, LDA iterations and seed, and top terms listed per topic.
    topic_count: int = field(default=7, metadata={"min": 2, "max": 100})
    vocab_size: int = field(default=2000, metadata={"min": 10})
    min_doc_freq: int = field(default=2, metadata={"min": 1})
    max_iter: int = field(default=40, metadata={"min": 1})
    # Share of the texts each online-LDA iteration learns from (Spark's default 0.05 suits millions of
    # texts; 0.25 x 40 iterations makes 10 passes); 1.0 for small corpora.
    subsampling_rate: float = field(default=0.25, metadata={"min": 0.001, "max": 1.0})
    seed: int = 42
    top_terms: int = field(default=8, metadata={"min": 1, "max": 50})
    # Latin tokens shorter than this are dropped (typos and initials); CJK text becomes character bigrams.
    min_token_length: int = field(default=2, metadata={"min": 1})
    stop_words: list[str] = field(default_factory=default_stop_words)
    # lexicon: vaderSentiment (English) + the Chinese lexicon in complaints/lexicon_zh.py, no training;
    # classifier: a multinomial logistic regression on the term counts, trained on the rows of
    # label_column (values negative / neutral / positive) and applied to every text.
    sentiment_method: Literal["lexicon", "classifier"] = "lexicon"
    label_column: str | None = None
    # A score (-1..1) below negative_below is negative, above positive_above positive, else neutral.
    negative_below: float = field(default=-0.05, metadata={"min": -1.0, "max": 1.0})
    positive_above: float = field(default=0.05, metadata={"min": -1.0, "max": 1.0})
    # Where the fitted pipeline is saved (<dir>/pipeline); None = <lake.root>/models/complaints.
    model_dir: str | None = None

    def validate(self, path: str) -> None:
        if self.source != "lake" and not self.location:
            raise ConfigError(f"'{path}.location' is required when '{path}.source' is {self.source!r}")
        if self.sentiment_method == "classifier" and not self.label_column:
            raise ConfigError(
                f"'{path}.label_column' is required when '{path}.sentiment_method' is classifier"
            )
        if self.negative_below > self.positive_above:
            raise ConfigError(
                f"'{path}.negative_below' ({self.negative_below}) must not exceed "
                f"'{path}.positive_above' ({self.positive_above})"
            )
