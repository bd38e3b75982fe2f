"""Stage `generate`: the synthetic bank lake. Entry point: ``generate_lake(spark, config) -> summary``.

Writes the landing zone (``lake.landing()``) and the ground truth (``lake.truth()``) described in
docs/data_contract.md and docs/generate.md. Everything is built from ``spark.range`` with hashed,
seed-derived draws, so the same settings give the same files whatever the cluster layout.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining import CrmMiningError
from crm_mining.config import Config
from crm_mining.generate.accounts import accounts_frame, current_balance, monthly_frame, repayments_frame
from crm_mining.generate.customers import customer_id, customers_frame
from crm_mining.generate.files import LandingFs
from crm_mining.generate.interactions import interaction_truth, interactions_frame
from crm_mining.generate.landing import SPECS, land_all, record_counts, source_records
from crm_mining.generate.transactions import customer_months, transactions_frame
from crm_mining.generate.truth import affinity_truth, fraud_truth, lifecycle_truth, truth_customers
from crm_mining.generate.window import months_frame, window_end
from crm_mining.tables import Lake

__all__ = ["generate_lake"]

log = logging.getLogger(__name__)

# Bump when the generator's output changes for the same settings, so old lakes are regenerated.
GENERATOR_VERSION = 7


def wanted_settings(config: Config) -> dict:
    """Everything the generated files depend on (compared with the manifest for idempotent runs)."""
    settings = {k: str(v) if hasattr(v, "isoformat") else v for k, v in vars(config.generate).items()}
    life = config.lifecycle
    return {
        "generator_version": GENERATOR_VERSION,
        "generate": settings,
        "lifecycle": {
            "acquisition_max_tenure_months": life.acquisition_max_tenure_months,
            "build_up_max_tenure_months": life.build_up_max_tenure_months,
            "dormant_inactive_days": life.dormant_inactive_days,
        },
    }


def check_window_in_the_past(config: Config) -> None:
    """A window that ends after today lands future-dated records, which ingest quarantines as FUTURE_DATE
    (a whole month of balances and transactions, past the quarantine-rate gate): stop before writing."""
    settings = config.generate
    end, today = window_end(settings), dt.datetime.now(dt.UTC).date()
    if end > today:
        raise CrmMiningError(
            f"generate.start_date {settings.start_date} + generate.months {settings.months} ends {end}, "
            f"after today ({today}); ingest would quarantine the future months as FUTURE_DATE. "
            "Set an earlier generate.start_date or fewer generate.months"
        )


def generate_lake(spark: SparkSession, config: Config) -> dict:
    """Generate the landing zone and truth; skip when the manifest says they already match the settings.

    Returns a summary: landing and truth paths, rows per source, bad records per source and reason.
    """
    lake = Lake(config)
    landing, truth = lake.landing(), lake.truth()
    if not config.generate.enabled:
        log.info("generate.enabled is false: landing files at %s are the bank's own; not generating", landing)
        return {"skipped": True, "reason": "generate.enabled is false"}
    check_window_in_the_past(config)
    fs = LandingFs(spark, landing)
    wanted = wanted_settings(config)
    manifest_path = lake.truth("manifest.json")
    previous = fs.read_text(spark, manifest_path) if fs.exists(manifest_path) else None
    if previous is None and fs.has_files(landing):
        # Generating replaces the landing zone: never one that this command did not write.
        raise CrmMiningError(
            f"landing zone {landing} holds files that generate did not write (no {manifest_path}); "
            "refusing to replace them. Set generate.enabled=false to ingest them, or use another lakehouse"
        )
    if previous:
        manifest = json.loads(previous)
        if manifest.get("settings") == wanted and fs.exists(landing):
            log.info("landing zone at %s already holds this lake (same settings); skipping generate", landing)
            return {**manifest["summary"], "skipped": True}
    log.info(
        "generating %d customers x %d months into %s",
        config.generate.customers,
        config.generate.months,
        landing,
    )
    fs.delete(landing)
    fs.delete(truth)
    summary = build_lake(spark, config, fs, lake)
    fs.write_text(
        manifest_path, json.dumps({"settings": wanted, "summary": summary}, indent=2, sort_keys=True)
    )
    return {**summary, "skipped": False}


def materialise(df: DataFrame, path: str) -> DataFrame:
    """Write ``df`` to a work Parquet folder and read it back (cuts long lineages, computes once)."""
    df.write.mode("overwrite").parquet(path)
    return df.sparkSession.read.parquet(path)


def build_lake(spark: SparkSession, config: Config, fs: LandingFs, lake: Lake) -> dict:
    settings = config.generate
    landing, work = lake.landing(), lake.truth("_work")
    months = months_frame(spark, settings)
    customers = materialise(
        customers_frame(spark, settings).withColumn("customer_id", customer_id(F.col("cust_num"))),
        f"{work}/customers",
    )
    accounts = accounts_frame(customers, settings)
    accounts = accounts.withColumn("balance", current_balance(accounts, settings))
    monthly = monthly_frame(accounts, months)
    repayments = repayments_frame(monthly, settings)
    cm = customer_months(customers, months)
    started = time.monotonic()
    transactions = materialise(transactions_frame(cm, settings), f"{work}/transactions")
    log.info("generate: transactions computed in %.1fs", time.monotonic() - started)
    interactions = interactions_frame(cm, settings)

    sources = source_records(
        spark, settings, customers, accounts, monthly, repayments, interactions, transactions
    )
    counts = record_counts(sources)
    landed = land_all(spark, settings, fs, landing, sources)
    started = time.monotonic()
    bad = None
    for part in landed.values():
        bad = part.truth if bad is None else bad.unionByName(part.truth)
    bad.coalesce(1).write.mode("overwrite").parquet(lake.truth("bad_records"))
    bad = spark.read.parquet(lake.truth("bad_records"))

    truth_customers(customers).coalesce(1).write.mode("overwrite").parquet(lake.truth("customers"))
    clean_txns = (
        landed["transactions_csv"]
        .good.select("customer_id", "txn_ts")
        .unionByName(landed["transactions_parquet"].good.select("customer_id", "txn_ts"))
    )
    lifecycle = lifecycle_truth(customers, monthly, clean_txns, months, config)
    lifecycle.coalesce(4).write.mode("overwrite").parquet(lake.truth("lifecycle"))
    interaction_truth(interactions).coalesce(1).write.mode("overwrite").parquet(lake.truth("interactions"))
    landed_ids = (
        landed["transactions_csv"]
        .good.select("txn_id")
        .unionByName(landed["transactions_parquet"].good.select("txn_id"))
    )
    fraud_truth(transactions, landed_ids).coalesce(1).write.mode("overwrite").parquet(
        lake.truth("fraud_episodes")
    )
    affinities = affinity_truth(accounts)
    fs.write_text(lake.truth("affinities.json"), json.dumps(affinities, indent=2))
    log.info("generate: truth written in %.1fs", time.monotonic() - started)

    summary = summarise(config, landing, lake, landed, bad, counts)
    for part in landed.values():
        part.cached.unpersist()
    fs.delete(work)
    return summary


def summarise(config: Config, landing: str, lake: Lake, landed: dict, bad: DataFrame, counts: dict) -> dict:
    """Rows landed per source (clean records - replaced + added bad records) and bad records by reason."""
    # Bounded driver read: one row per (source, reason).
    by_reason: dict[str, dict[str, int]] = {}
    for row in bad.groupBy("source", "reason").count().collect():
        by_reason.setdefault(row["source"], {})[row["reason"]] = row["count"]
    extra_rows = {"customers", "accounts"}
    clean = {name: n for name, n in counts.items() if not name.startswith("transactions")}
    clean["transactions"] = counts["transactions_csv"] + counts["transactions_parquet"]
    clean["products"] = 12
    rows = {}
    for source, count in clean.items():
        reasons = by_reason.get(source, {})
        added = sum(
            n
            for reason, n in reasons.items()
            if source in extra_rows or reason in ("DUPLICATE", "NEAR_DUPLICATE")
        )
        rows[source] = count + added
    files: dict[str, int] = {}
    for name, part in landed.items():
        source = SPECS[name].name
        files[source] = files.get(source, 0) + len(part.files)
    files["products"] = 1
    return {
        "landing": landing,
        "truth": lake.truth(),
        "customers": config.generate.customers,
        "months": config.generate.months,
        "clean_records": clean,
        "rows": rows,
        "files": files,
        "bad_records": by_reason,
        "bad_records_total": sum(sum(r.values()) for r in by_reason.values()),
    }
