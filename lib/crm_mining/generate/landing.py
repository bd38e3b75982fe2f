"""The landing zone: each source's records serialised as banks deliver them, with bad records injected.

Layout (relative to ``lake.landing()``; names are stable for a given seed):
customers/customers.csv, products/products.csv, accounts/accounts.json,
balances/balances_YYYY-MM.csv, repayments/repayments_YYYY-MM.csv, interactions/interactions_YYYY-MM.json,
transactions/{csv,parquet}/drop_date=YYYY-MM-DD/transactions_YYYY-MM-DD.{csv,parquet}.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import reduce

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 (the project convention)

from crm_mining.config.generate import GenerateSettings
from crm_mining.generate import segments as S  # noqa: N812 (short name for design tables)
from crm_mining.generate.bad_records import SourceSpec, as_strings, forced_keys, inject, serialise
from crm_mining.generate.files import LandingFs, write_parquet_files, write_text_files
from crm_mining.generate.window import days_frame, months_frame
from crm_mining.landing import REASON_CODES, source, stream

log = logging.getLogger(__name__)

# Every reason code the generator injects: all but SCHEMA_DRIFT, which is a file-level fault.
ALL_REASONS = [r for r in REASON_CODES if r != "SCHEMA_DRIFT"]
TXN_ROLES = {
    "number": "amount",
    "date": "txn_ts",
    "id": "account_id",
    "orphan": "account_id",
    "amount": "amount",
    "code": "channel",
    "timestamp": "txn_ts",
}


def stream_spec(stream_name: str, reasons: list[str], **options) -> SourceSpec:
    """How one landing stream is serialised: name, format, columns and key come from the landing contract."""
    contract, delivery = stream(stream_name)
    return SourceSpec(contract.name, delivery.fmt, contract.columns, list(contract.key), reasons, **options)


SPECS = {
    "customers": stream_spec(
        "customers",
        ["MALFORMED_ROW", "BAD_DATE", "MISSING_ID", "DUPLICATE"],
        extra_rows=True,
        roles={"date": "birth_date", "id": "customer_id"},
    ),
    "accounts": stream_spec(
        "accounts",
        ["MALFORMED_ROW", "BAD_DATE", "MISSING_ID", "DUPLICATE", "ORPHAN", "UNKNOWN_CODE", "BAD_NUMBER"],
        extra_rows=True,
        roles={
            "date": "open_date",
            "id": "account_id",
            "orphan": "customer_id",
            "code": "product_code",
            "number": "balance",
        },
        unknown_code="GOLDBAR",
    ),
    "balances": stream_spec(
        "balances",
        ["MALFORMED_ROW", "BAD_NUMBER", "DUPLICATE", "ORPHAN", "BAD_DATE"],
        roles={"number": "balance", "orphan": "account_id", "date": "month_end"},
    ),
    "repayments": stream_spec(
        "repayments",
        ["MALFORMED_ROW", "BAD_NUMBER", "NEGATIVE_AMOUNT", "DUPLICATE"],
        roles={"number": "amount_paid", "amount": "amount_due"},
    ),
    "interactions": stream_spec(
        "interactions",
        ["MALFORMED_ROW", "MISSING_ID", "ORPHAN", "FUTURE_DATE", "DUPLICATE", "UNKNOWN_CODE", "BAD_DATE"],
        roles={"id": "interaction_id", "orphan": "customer_id", "date": "interaction_ts", "code": "kind"},
        unknown_code="RANT",
    ),
    "transactions_csv": stream_spec("transactions_csv", ALL_REASONS, roles=TXN_ROLES, unknown_code="TELEX"),
    "transactions_parquet": stream_spec(
        "transactions_parquet",
        [r for r in ALL_REASONS if r != "MALFORMED_ROW"],
        roles=TXN_ROLES,
        unknown_code="TELEX",
    ),
}


@dataclass
class Landed:
    """What one source wrote: its files, the truth rows of its bad records, the cache to release."""

    files: list[str]
    truth: DataFrame
    cached: DataFrame
    good: DataFrame


def monthly_file(prefix: str, ext: str, date_col: str) -> F.Column:
    return F.concat(F.lit(f"{prefix}/{prefix}_"), F.date_format(F.col(date_col), "yyyy-MM"), F.lit(f".{ext}"))


def drop_file(fmt: str, date_col: str) -> F.Column:
    day = F.date_format(F.col(date_col), "yyyy-MM-dd")
    folder = stream(f"transactions_{fmt}")[1].folder
    return F.concat(F.lit(f"{folder}/drop_date="), day, F.lit("/transactions_"), day, F.lit(f".{fmt}"))


def header_rows(files: DataFrame, spec: SourceSpec) -> DataFrame:
    return files.select("file", F.lit(0).alias("order"), F.lit(",".join(spec.columns)).alias("line"))


def timed(name: str, started: float) -> float:
    now = time.monotonic()
    log.info("generate: %s written in %.1fs", name, now - started)
    return now


def text_lines(
    records: DataFrame, files: DataFrame, spec: SourceSpec, settings: GenerateSettings, forced: list[str]
) -> tuple[DataFrame, Landed]:
    """Inject faults into ``records`` (typed columns + file); the source's text lines (file, order, line)
    as CSV or JSON lines, and what it lands (its files are filled in once the lines are written)."""
    good, bad, truth, cached = inject(records, spec, settings.seed, settings.bad_record_rate, forced)
    lines = (
        serialise(good, spec)
        .select("file", F.lit(1).alias("order"), "line")
        .unionByName(bad.select("file", F.lit(1).alias("order"), "line"))
    )
    if spec.kind == "csv":
        lines = lines.unionByName(header_rows(files, spec))
    return lines, Landed([], truth, cached, good)


def land_parquet(
    records: DataFrame,
    spec: SourceSpec,
    settings: GenerateSettings,
    fs: LandingFs,
    root: str,
    partitions: int,
    forced: list[str],
) -> Landed:
    """Transactions delivered as Parquet: every column a string, so bad values reach ingest intact."""
    good, bad, truth, cached = inject(records, spec, settings.seed, settings.bad_record_rate, forced)
    text = as_strings(good, spec.columns)
    rows = good.select("file", *[text[c].alias(c) for c in spec.columns]).unionByName(
        bad.select("file", *spec.columns)
    )
    written = write_parquet_files(
        rows, fs, root, f"{root}/_staging_{spec.name}_parquet", partitions, "txn_id"
    )
    return Landed(written, truth, cached, good)


def products_frame(spark: SparkSession) -> DataFrame:
    rows = [
        (code, name, category, str(credit).lower()) for code, (name, category, credit) in S.PRODUCTS.items()
    ]
    return spark.createDataFrame(rows, ", ".join(f"{c} string" for c in source("products").columns))


def products_lines(spark: SparkSession) -> DataFrame:
    products = products_frame(spark)
    header = ",".join(source("products").columns)
    lines = products.select(
        F.lit("products/products.csv").alias("file"),
        F.lit(1).alias("order"),
        F.concat_ws(",", *products.columns).alias("line"),
    )
    header_df = spark.createDataFrame(
        [("products/products.csv", 0, header)], "file string, order int, line string"
    )
    return lines.unionByName(header_df)


def source_records(
    spark: SparkSession,
    settings: GenerateSettings,
    customers: DataFrame,
    accounts: DataFrame,
    monthly: DataFrame,
    repayments: DataFrame,
    interactions: DataFrame,
    transactions: DataFrame,
) -> dict[str, tuple[DataFrame, DataFrame | None, int]]:
    """Per landing source (SPECS key): (typed records + file, the CSV files needing a header, write tasks)."""
    months = months_frame(spark, settings)
    days = days_frame(spark, settings)
    month_parts = max(1, min(settings.months, 8))
    # Bounded by config: about customers x months x txns_per_customer_month rows, ~300k per write task.
    expected = settings.customers * settings.months * settings.txns_per_customer_month
    txn_parts = int(max(2, min(expected // 300_000 + 1, settings.months * 31)))
    single = spark.createDataFrame([("customers/customers.csv",)], "file string")
    txns = {
        fmt: transactions.where(F.col("fmt") == fmt)
        .withColumn("file", drop_file(fmt, "drop_date"))
        .select(*SPECS[f"transactions_{fmt}"].columns, "file")
        for fmt in ("csv", "parquet")
    }
    return {
        "customers": (
            customers.select(*SPECS["customers"].columns).withColumn(
                "file", F.lit("customers/customers.csv")
            ),
            single,
            1,
        ),
        "accounts": (
            accounts.select(*SPECS["accounts"].columns).withColumn("file", F.lit("accounts/accounts.json")),
            None,
            1,
        ),
        "balances": (
            monthly.select(*SPECS["balances"].columns).withColumn(
                "file", monthly_file("balances", "csv", "month_end")
            ),
            months.select(monthly_file("balances", "csv", "month_end").alias("file")),
            month_parts,
        ),
        "repayments": (
            repayments.select(*SPECS["repayments"].columns).withColumn(
                "file", monthly_file("repayments", "csv", "month_end")
            ),
            months.select(monthly_file("repayments", "csv", "month_end").alias("file")),
            month_parts,
        ),
        "interactions": (
            interactions.select(*SPECS["interactions"].columns, F.to_date("interaction_ts").alias("day"))
            .withColumn("file", monthly_file("interactions", "json", "day"))
            .drop("day"),
            None,
            month_parts,
        ),
        "transactions_csv": (
            txns["csv"],
            days.where(F.col("fmt") == "csv").select(drop_file("csv", "day").alias("file")),
            txn_parts,
        ),
        "transactions_parquet": (txns["parquet"], None, txn_parts),
    }


def record_counts(sources: dict[str, tuple[DataFrame, DataFrame | None, int]]) -> dict[str, int]:
    """Clean records per source in one Spark job (the driver reads one row per source)."""
    parts = [records.select(F.lit(name).alias("source")) for name, (records, _, _) in sources.items()]
    union = parts[0]
    for part in parts[1:]:
        union = union.unionByName(part)
    counts = {row["source"]: row["count"] for row in union.groupBy("source").count().collect()}
    return {name: counts.get(name, 0) for name in sources}


def land_all(
    spark: SparkSession,
    settings: GenerateSettings,
    fs: LandingFs,
    root: str,
    sources: dict[str, tuple[DataFrame, DataFrame | None, int]],
) -> dict[str, Landed]:
    """Write every source (SPECS key -> what it wrote: files, truth rows, good rows)."""
    forced = forced_keys(
        {name: (records, SPECS[name]) for name, (records, _, _) in sources.items()}, settings.seed
    )
    out: dict[str, Landed] = {}
    # Every CSV and JSON source goes out in one write (one plan, one job, one pass of renames): a
    # write per source cost each its planning and job latency, which dominate a small lake.
    texts, text_tasks = [products_lines(spark)], 1
    for name, (records, files, partitions) in sources.items():
        started = time.monotonic()
        spec = SPECS[name]
        if spec.kind == "parquet":
            out[name] = land_parquet(records, spec, settings, fs, root, partitions, forced[name])
            timed(name, started)
        else:
            lines, out[name] = text_lines(records, files, spec, settings, forced[name])
            texts.append(lines)
            text_tasks += partitions
    started = time.monotonic()
    written = write_text_files(
        reduce(DataFrame.unionByName, texts), fs, root, f"{root}/_staging_text", text_tasks
    )
    for name, landed in out.items():
        if SPECS[name].kind != "parquet":
            folder = stream(name)[1].folder + "/"
            landed.files.extend(f for f in written if f.startswith(folder))
    timed("CSV and JSON sources", started)
    return out
