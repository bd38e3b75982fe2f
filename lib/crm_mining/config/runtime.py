"""Settings for the Spark runtime and the lake's location (shared by every stage)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from crm_mining.config.validate import ConfigError


@dataclass(frozen=True)
class SparkSettings:
    """How the session is built. On Databricks and under spark-submit, master and most conf are the cluster's."""

    # Local runs only; under spark-submit and on Databricks the cluster decides.
    master: str = "local[*]"
    app_name: str = "crm-mining"
    # spark.sql.shuffle.partitions for local runs (2 cores here: small is faster).
    shuffle_partitions: int = field(default=4, metadata={"min": 1})
    # spark.databricks.delta.snapshotPartitions for local runs: Delta's default of 50 tasks per log
    # replay made every small commit take 3-6 s on 2 cores; 2 makes it about 1 s.
    delta_snapshot_partitions: int = field(default=2, metadata={"min": 1})
    # Spark UI for local runs (off: tests and CI run many sessions).
    ui_enabled: bool = False
    # Spark's own log level; `--verbose` raises it to INFO.
    log_level: Literal["ERROR", "WARN", "INFO", "DEBUG"] = "WARN"
    # Delta's JVM artifact version. 4.4.1 jars are not published where our machines reach
    # Maven Central; 4.4.0 is the same 4.4 line for Spark 4.2 and serves the 4.4.1 Python API.
    delta_version: str = "4.4.0"
    # Offline path: a folder of jars (Delta and its dependencies) put on spark.jars; Ivy is skipped.
    jars_dir: str | None = None
    # Ivy cache; None keeps Spark's default (~/.ivy2.5.2), which repeated runs and CI reuse.
    ivy_dir: str | None = None
    # Try `mvn dependency:copy-dependencies` when Ivy cannot resolve the Delta jars.
    maven_fallback: bool = True
    # Local driver JVM heap (spark.driver.memory).
    driver_memory: str = "4g"
    # Local driver JVM options (added to spark.driver.extraJavaOptions). The local driver is also the
    # executor, CPU-bound on few cores: the throughput collector took a first ingest of the 3,000 x 8
    # sample in 0.91x the time of the default G1 (median of two interleaved rounds, bench_gc.md).
    # -XX:-DontCompileHugeMethods lets the JIT compile Spark's generated methods over 8,000 bytes of
    # bytecode (ingest's row checks are one), which HotSpot otherwise interprets for ever: ingest's
    # check step 0.76x on 2.7M transactions (docs/ingest.md "Performance").
    driver_java_options: str = "-XX:+UseParallelGC -XX:-DontCompileHugeMethods"
    # Extra Spark conf; under spark-submit the cluster's own values win.
    conf: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LakeSettings:
    """Where tables live. ``path`` mode: Delta folders under ``root``; ``catalog`` mode: catalog.schema tables."""

    # Lake root folder (path mode); `--lakehouse` overrides it.
    root: str = "./lakehouse"
    # path: Delta folders under root; catalog: <catalog>.<schema>.<layer>_<table> tables.
    mode: Literal["path", "catalog"] = "path"
    # Catalog for catalog mode (e.g. Unity Catalog `main`).
    catalog: str | None = None
    # Schema (database) for catalog mode.
    schema: str = "crm"
    # Raw landing files; default <root>/landing.
    landing: str | None = None
    # Generator ground truth; default <root>/truth.
    truth: str | None = None
    # Streaming checkpoints; default <root>/_checkpoints.
    checkpoints: str | None = None

    def validate(self, path: str) -> None:
        if self.mode == "catalog" and not self.catalog:
            raise ConfigError(f"'{path}.catalog' is required when '{path}.mode' is catalog")

    def landing_dir(self) -> str:
        return self.landing or f"{self.root.rstrip('/')}/landing"

    def truth_dir(self) -> str:
        return self.truth or f"{self.root.rstrip('/')}/truth"

    def checkpoint_dir(self) -> str:
        return self.checkpoints or f"{self.root.rstrip('/')}/_checkpoints"
