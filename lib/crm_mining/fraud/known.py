"""Known fraud: the generator's truth, or a user's confirmed-fraud table (e.g. chargebacks).

``known_fraud(spark, config)`` returns (txn_id, episode_id, fraud_kind) rows and where they came from,
or (None, why) when there is no known fraud (then patterns and the evaluation are skipped).
"""

from __future__ import annotations

from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining import CrmMiningError
from crm_mining.config import Config
from crm_mining.inputs import read_user_data
from crm_mining.tables import Lake

TRUTH = "fraud_episodes"


def known_fraud(spark: SparkSession, config: Config) -> tuple[DataFrame | None, str]:
    """(txn_id, episode_id, fraud_kind rows or None, a description of the source or why there is none)."""
    settings = config.fraud.confirmed
    if settings.source == "truth":
        path = Lake(config).truth(TRUTH)
        try:
            episodes = spark.read.parquet(path)
        except AnalysisException:
            return (
                None,
                f"no confirmed-fraud table configured (fraud.confirmed) and no generator truth at {path}",
            )
        rows = episodes.select(F.explode("txn_ids").alias("txn_id"), F.col("episode_id"), F.col("fraud_kind"))
        return rows, f"generator truth {path}"
    what = f"confirmed fraud (fraud.confirmed.source={settings.source} at {settings.location})"
    raw = read_user_data(spark, settings.source, settings.location, settings.csv_options, what)
    by_lower = {c.lower(): c for c in raw.columns}

    def column(logical: str) -> str | None:
        return by_lower.get(settings.columns.get(logical, logical).lower())

    txn_id = column("txn_id")
    if txn_id is None:
        raise CrmMiningError(
            f"{what} has no column '{settings.columns.get('txn_id', 'txn_id')}' (logical 'txn_id', set "
            f"fraud.confirmed.columns.txn_id); columns: {', '.join(raw.columns)}"
        )
    kind = column("fraud_kind")
    fraud_kind = (
        F.coalesce(F.col(f"`{kind}`").cast("string"), F.lit("confirmed")) if kind else F.lit("confirmed")
    )
    rows = raw.select(
        F.col(f"`{txn_id}`").cast("string").alias("txn_id"),
        F.col(f"`{txn_id}`").cast("string").alias("episode_id"),
        fraud_kind.alias("fraud_kind"),
    ).where(F.col("txn_id").isNotNull())
    return rows, what
