"""The texts to mine: silver.interactions, or a table of your own with (id, customer, timestamp, text).

``read_texts`` returns interaction_id, customer_id (strings), interaction_ts (timestamp),
interaction_date (date), kind (string, upper case; COMPLAINT when your table has no kind column),
text (PII masked) and, when ``label_column`` is set, ``label`` (string). Rows without an id, customer,
timestamp or text are left out and counted (``unusable``), never silently.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining import CrmMiningError
from crm_mining.config import Config
from crm_mining.config.complaints import ComplaintSettings
from crm_mining.inputs import read_user_data
from crm_mining.pii import mask_pii
from crm_mining.tables import Lake

INTERACTIONS = "silver.interactions"


def source_name(settings: ComplaintSettings) -> str:
    if settings.source == "lake":
        return INTERACTIONS
    return f"complaints.source={settings.source} at {settings.location}"


def read_raw(spark: SparkSession, config: Config) -> DataFrame:
    settings = config.complaints
    if settings.source == "lake":
        return Lake(config).read(spark, INTERACTIONS)
    what = f"texts ({source_name(settings)})"
    return read_user_data(spark, settings.source, settings.location, settings.csv_options, what)


def canonical_texts(raw: DataFrame, settings: ComplaintSettings) -> DataFrame:
    """The source in the canonical shape (module docstring), unusable rows included (text may be null)."""
    lake = settings.source == "lake"
    columns = {
        "interaction_id": "interaction_id" if lake else settings.id_column,
        "customer_id": "customer_id" if lake else settings.customer_column,
        "interaction_ts": "interaction_ts" if lake else settings.timestamp_column,
        # silver already masked its text (ingest); your own text is masked below.
        "text": "text_masked" if lake else settings.text_column,
    }
    kind = "kind" if lake else settings.kind_column
    needed = [
        *columns.values(),
        *([kind] if kind else []),
        *([settings.label_column] if settings.label_column else []),
    ]
    missing = [c for c in needed if c and c not in raw.columns]
    if missing:
        raise CrmMiningError(
            f"{source_name(settings)} lacks column(s) {', '.join(missing)} that complaints needs"
        )
    text = F.col(columns["text"]).cast("string")
    ts = F.col(columns["interaction_ts"]).cast("timestamp")
    label = [F.col(settings.label_column).cast("string").alias("label")] if settings.label_column else []
    return raw.select(
        F.col(columns["interaction_id"]).cast("string").alias("interaction_id"),
        F.col(columns["customer_id"]).cast("string").alias("customer_id"),
        ts.alias("interaction_ts"),
        F.to_date(ts).alias("interaction_date"),
        (F.upper(F.col(kind).cast("string")) if kind else F.lit("COMPLAINT")).alias("kind"),
        (text if lake else mask_pii(text)).alias("text"),
        *label,
    )


def usable() -> Column:
    """A row complaints can mine: id, customer, timestamp and a non-blank text."""
    return (
        F.col("interaction_id").isNotNull()
        & F.col("customer_id").isNotNull()
        & F.col("interaction_ts").isNotNull()
        & F.col("text").isNotNull()
        & (F.length(F.trim(F.col("text"))) > 0)
    )
