"""`crm-mining score`: probabilities, deciles, bands, risk grades, scorecard points, reasons and drift.

For each spec the latest model (or ``models.score.model_version``) scores the chosen snapshots of
gold.customer_features (customers already in default are left out of the risk scores: they are not a
prediction any more). Deciles rank each snapshot's customers (1 = highest probability).
"""

from __future__ import annotations

import math

from pyspark.ml import PipelineModel
from pyspark.ml.functions import vector_to_array
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from crm_mining import CrmMiningError
from crm_mining.config import Config
from crm_mining.config.models import ScorecardSettings, ScoreSettings
from crm_mining.models.artifacts import load_model, model_features, model_folder
from crm_mining.models.data import KEYS, NUMERIC
from crm_mining.models.monitor import bin_shares, psi, psi_status
from crm_mining.models.reasons import tree_ensemble, with_reasons
from crm_mining.tables import Lake

SCORE_TABLES = {"churn": "gold.churn_scores", "risk": "gold.risk_scores"}
# Every model's scores in one long table (BI reads one table; a bring-your-own-data model lands here only).
MODEL_SCORES = "gold.model_scores"
MODEL_SCORE_COLUMNS = (*KEYS, "probability", "decile", "band", "model_name", "model_version", "reasons")


def check_columns(df: DataFrame, metadata: dict, table: str) -> None:
    """Refuse a table whose columns or types do not match the model's features (naming them)."""
    fields = {f.name: f.dataType for f in df.schema.fields}
    missing, wrong = [], []
    for f in model_features(metadata):
        if f.name not in fields:
            missing.append(f.name)
            continue
        numeric = isinstance(fields[f.name], NUMERIC)
        if (f.kind == "numeric") != numeric:
            wrong.append(f"{f.name} (model: {f.type}, table: {fields[f.name].simpleString()})")
    if missing or wrong:
        parts = ([f"missing columns: {', '.join(missing)}"] if missing else []) + (
            [f"columns of another type: {', '.join(wrong)}"] if wrong else []
        )
        raise CrmMiningError(
            f"{table} does not match model '{metadata['name']}' version {metadata['version']}: {'; '.join(parts)}"
        )


def band(probability: Column, edges: list[float]) -> Column:
    return F.when(probability >= edges[1], "high").when(probability >= edges[0], "medium").otherwise("low")


def risk_grade(pd_: Column, cutoffs: list[float]) -> Column:
    """1 (PD below cutoffs[0]) to 4 (PD at or above cutoffs[2])."""
    return F.when(pd_ < cutoffs[0], 1).when(pd_ < cutoffs[1], 2).when(pd_ < cutoffs[2], 3).otherwise(4)


def scorecard_points(pd_: Column, settings: ScorecardSettings) -> Column:
    """base_score + pdo / ln 2 x ln(odds / base_odds), odds = (1 - PD) / PD (PD clipped to [1e-9, 1 - 1e-9])."""
    p = F.least(F.greatest(pd_, F.lit(1e-9)), F.lit(1 - 1e-9))
    odds = (1 - p) / p
    return F.lit(settings.base_score) + F.lit(settings.pdo / math.log(2)) * F.log(
        odds / F.lit(settings.base_odds)
    )


def with_scores(
    predicted: DataFrame, keys: list[str], name: str, version: str, settings: ScoreSettings, risk: bool
) -> DataFrame:
    """Model output -> keys, probability, decile (1 = highest, per snapshot), band, model name and version."""
    prob = vector_to_array("probability")[1]
    per = Window.partitionBy("snapshot_date").orderBy(F.col("probability").desc())
    df = predicted.select(*keys, prob.alias("probability"))
    cols = [
        *keys,
        "probability",
        F.ntile(10).over(per).cast("int").alias("decile"),
        band(F.col("probability"), settings.band_edges).alias("band"),
    ]
    if risk:
        cols += [
            F.col("probability").alias("pd"),
            risk_grade(F.col("probability"), settings.grade_cutoffs).cast("int").alias("risk_grade"),
            scorecard_points(F.col("probability"), settings.scorecard).alias("scorecard_points"),
        ]
    return df.select(*cols, F.lit(name).alias("model_name"), F.lit(version).alias("model_version"))


def scoring_snapshots(features: DataFrame, settings: ScoreSettings) -> list:
    # Distinct snapshot dates: bounded by the snapshot count.
    present = sorted(r["snapshot_date"] for r in features.select("snapshot_date").distinct().collect())
    if settings.snapshot_dates:
        unknown = sorted(set(settings.snapshot_dates) - set(present))
        if unknown:
            raise CrmMiningError(
                f"models.score.snapshot_dates {', '.join(map(str, unknown))} not in gold.customer_features "
                f"(snapshots: {', '.join(map(str, present))})"
            )
        return sorted(settings.snapshot_dates)
    return present[-settings.snapshot_count :]


def score_table(
    spark: SparkSession,
    config: Config,
    rows: DataFrame,
    model: PipelineModel,
    metadata: dict,
    folder: str,
    keys: list[str],
    risk: bool,
) -> tuple[DataFrame, DataFrame]:
    """(scores with reasons, the model's output rows with ``__score`` for monitoring)."""
    settings = config.models.score
    predicted = model.transform(rows).cache()
    scores = with_scores(predicted, keys, metadata["name"], metadata["version"], settings, risk)
    ensemble = tree_ensemble(spark, f"{folder}/pipeline")
    reasons = with_reasons(predicted, ensemble, metadata["feature_order"], settings.reason_count, keys)
    monitored = predicted.withColumn("__score", vector_to_array("probability")[1])
    return scores.join(reasons, keys), monitored


def monitoring_rows(spark: SparkSession, monitored: DataFrame, metadata: dict, config: Config) -> DataFrame:
    """PSI of the score and each feature between the reference snapshot and each scored snapshot."""
    settings = config.models.monitor
    reference = metadata["reference"]
    # (snapshot, column, bin) shares: bounded by snapshots x columns x bins.
    actual: dict = {}
    for r in bin_shares(monitored, reference, group="snapshot_date").collect():
        actual.setdefault((r["snapshot_date"], r["column"]), {})[r["bin"]] = r["share"]
    rows = []
    for (snapshot, column), shares in sorted(actual.items()):
        value = psi(reference[column].get("shares", {}), shares)
        rows.append(
            (
                metadata["name"],
                metadata["version"],
                snapshot,
                metadata.get("reference_snapshot"),
                "score" if column == "__score" else column,
                "score" if column == "__score" else "feature",
                value,
                psi_status(value, settings.psi_warning, settings.psi_alert),
            )
        )
    return spark.createDataFrame(
        rows,
        "model_name string, model_version string, snapshot_date date, reference_snapshot string, "
        "variable string, kind string, psi double, status string",
    )


def write_snapshots(lake: Lake, spark: SparkSession, df: DataFrame, table: str, condition: str) -> None:
    """Overwrite the rows matching ``condition`` (reruns replace, other snapshots stay)."""
    if lake.exists(spark, table):
        lake.write(df, table, mode="overwrite", replace_where=condition)
    else:
        lake.write(df, table, mode="overwrite")


def score_customers(spark: SparkSession, config: Config) -> dict:
    """Entry point of `crm-mining score`; see the module docstring. Returns a JSON-able summary."""
    settings = config.models
    if settings.input.source != "lake":
        from crm_mining.models.byod import score_byod

        return score_byod(spark, config)
    lake = Lake(config)
    features = lake.read(spark, "gold.customer_features")
    snapshots = scoring_snapshots(features, settings.score)
    summary = {"snapshots": [str(s) for s in snapshots], "models": []}
    for name in settings.specs:
        spec = getattr(settings, name)
        folder = model_folder(config, name, settings.score.model_version)
        model, metadata = load_model(folder)
        check_columns(features, metadata, "gold.customer_features")
        rows = features.where(F.col("snapshot_date").isin(*snapshots))
        if spec.population == "not_in_default":
            rows = rows.where(F.coalesce(F.col(spec.in_default_column), F.lit(0)) < config.labels.default_dpd)
        scores, monitored = score_table(
            spark, config, rows, model, metadata, folder, list(KEYS), name == "risk"
        )
        dates = ", ".join(f"DATE'{s}'" for s in snapshots)
        write_snapshots(lake, spark, scores, SCORE_TABLES[name], f"snapshot_date IN ({dates})")
        # From the table just written: scoring and SHAP reasons run once.
        written = lake.read(spark, SCORE_TABLES[name]).where(F.col("snapshot_date").isin(*snapshots))
        write_snapshots(
            lake,
            spark,
            written.select(*MODEL_SCORE_COLUMNS),
            MODEL_SCORES,
            f"model_name = '{name}' AND snapshot_date IN ({dates})",
        )
        monitoring = monitoring_rows(spark, monitored, metadata, config)
        write_snapshots(
            lake,
            spark,
            monitoring,
            "gold.model_monitoring",
            f"model_name = '{name}' AND snapshot_date IN ({dates})",
        )
        alerts = monitoring.where(F.col("status") == "alert").select("variable").distinct().collect()
        summary["models"].append(
            {
                "model": name,
                "version": metadata["version"],
                "table": SCORE_TABLES[name],
                "rows": lake.read(spark, SCORE_TABLES[name])
                .where(F.col("snapshot_date").isin(*snapshots))
                .count(),
                "psi_alerts": sorted(r["variable"] for r in alerts),
            }
        )
    return summary
