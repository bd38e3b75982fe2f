"""The one place that builds a SparkSession: Databricks, spark-submit on a cluster, or local.

- Databricks: the existing session is returned untouched (Delta is built in).
- spark-submit: the cluster's master and conf win; only Delta's SQL extension and catalog
  are filled in when the submit did not set them. Jars come from ``--packages``/``--jars``.
- Local: ``local[*]`` (or ``spark.master``) with Delta's jars, extension and catalog, UI off,
  few shuffle partitions, UTC session time zone, quiet logs, and a stream checkpoint manager that does
  not fork processes on a local disk.

Nothing here runs on import.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from importlib import resources

from pyspark import SparkConf
from pyspark.errors import PySparkRuntimeError
from pyspark.sql import SparkSession

from crm_mining.config import Config
from crm_mining.config.runtime import LakeSettings, SparkSettings
from crm_mining.jars import (
    DeltaJarsError,
    delta_coordinate,
    jars_in,
    remember_jars,
    remembered_jars,
    resolve_with_maven,
    unresolved_message,
)
from crm_mining.tables import URI_SCHEME, absolute

log = logging.getLogger(__name__)

DELTA_SQL_CONF = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
}


def on_databricks() -> bool:
    return "DATABRICKS_RUNTIME_VERSION" in os.environ


def launched_by_spark_submit() -> bool:
    """True when this Python driver was started by spark-submit (its JVM already exists)."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def get_spark(config: Config | None = None, verbose: bool = False) -> SparkSession:
    """Return the SparkSession for this environment; see the module docstring for the rules."""
    settings = (config or Config()).spark
    if on_databricks():
        return SparkSession.builder.getOrCreate()
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    if launched_by_spark_submit():
        spark = submitted_session(settings)
    else:
        lake = (config or Config()).lake
        spark = local_session(settings, warehouse_dir(lake), local_disk_storage(lake))
    set_log_level(spark, "INFO" if verbose else settings.log_level)
    return spark


def submitted_session(settings: SparkSettings) -> SparkSession:
    """Session under spark-submit: fill in only what the cluster's conf leaves unset."""
    submitted = SparkConf()
    builder = SparkSession.builder.appName(settings.app_name)
    wanted = {**DELTA_SQL_CONF, "spark.sql.session.timeZone": "UTC", **settings.conf}
    for key, value in wanted.items():
        if not submitted.contains(key):
            builder = builder.config(key, value)
    spark = builder.getOrCreate()
    ship_wheels_to_executors(spark)
    return spark


def ship_wheels_to_executors(spark: SparkSession) -> None:
    """Make ``--py-files`` wheels importable on executors.

    PySpark puts only .zip/.egg/.jar py-files on the executors' sys.path (the driver gets the
    wheel itself). A pure-Python wheel is a zip archive, so a copy named .zip is added with the
    public ``addPyFile``.
    """
    py_files = spark.sparkContext.getConf().get("spark.submit.pyFiles", "")
    for entry in filter(None, py_files.split(",")):
        local = entry.removeprefix("file:")
        if not local.endswith(".whl") or not os.path.isfile(local):
            continue
        copy = os.path.join(tempfile.mkdtemp(prefix="crm-wheel-"), os.path.basename(local) + ".zip")
        shutil.copyfile(local, copy)
        spark.sparkContext.addPyFile(copy)
        log.info("shipped %s to executors as %s", local, os.path.basename(copy))


def warehouse_dir(lake: LakeSettings) -> str | None:
    """Spark's warehouse folder inside the lake (path mode), so no ``spark-warehouse/`` is left in the
    working folder, also for a lake on object storage run from a local session (``s3a://bank/lake``: a
    Hadoop URI, as Spark's warehouse setting takes); None in catalog mode, where the catalog decides."""
    if lake.mode != "path":
        return None
    if URI_SCHEME.match(lake.root):
        return lake.root.rstrip("/") + "/_spark_warehouse"
    return os.path.join(absolute(lake.root), "_spark_warehouse")


# Hadoop's local file system forks a process for every readlink and chmod when its native library is
# missing, as it is from pip's PySpark. Structured Streaming's default checkpoint manager renames through
# FileContext, which forks readlinks for each checkpoint file: 592 of the 1,512 processes the
# 3,000-customer sample's ingest forked. The FileSystem manager checks the target the same way just before
# the same POSIX rename, without the forks. Delta's log store (HDFSLogStore, 336 more) stays: its
# single-JVM LocalLogStore checks for the commit file before writing its temp file, a window of
# milliseconds in which two runs on one lake could both commit one version.
LOCAL_DISK_CHECKPOINTS = {
    "spark.sql.streaming.checkpointFileManagerClass": (
        "org.apache.spark.sql.execution.streaming.checkpointing.FileSystemBasedCheckpointFileManager"
    )
}


def on_local_disk(path: str) -> bool:
    return path.startswith("file:") or not URI_SCHEME.match(path)


def local_disk_storage(lake: LakeSettings) -> dict[str, str]:
    """The fork-free checkpoint manager (see above) when the stream checkpoints are on a local disk; it
    serves every scheme, so object storage keeps Spark's own choice."""
    return dict(LOCAL_DISK_CHECKPOINTS) if on_local_disk(lake.checkpoint_dir()) else {}


def local_session(
    settings: SparkSettings, warehouse: str | None = None, storage: dict[str, str] | None = None
) -> SparkSession:
    """Local session with Delta; resolves Delta's jars as described in ``crm_mining.jars``."""
    # Python workers run the driver's interpreter (the venv), not whatever `python3` is on PATH:
    # pandas UDFs unpickle crm_mining functions there.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    jars_dir = settings.jars_dir or os.environ.get("CRM_MINING_JARS_DIR")
    if jars_dir:
        return local_builder(settings, jars_in(jars_dir), warehouse=warehouse, storage=storage).getOrCreate()
    coordinate = delta_coordinate(settings.delta_version)
    remembered = remembered_jars(coordinate, settings.ivy_dir)
    if remembered:
        return local_builder(settings, remembered, warehouse=warehouse, storage=storage).getOrCreate()
    try:
        spark = local_builder(
            settings, packages=coordinate, warehouse=warehouse, storage=storage
        ).getOrCreate()
        remember_jars(coordinate, settings.ivy_dir, spark.sparkContext.getConf().get("spark.jars", ""))
        return spark
    except PySparkRuntimeError as exc:
        if "JAVA_GATEWAY_EXITED" not in str(exc):
            raise
        if not settings.maven_fallback:
            raise DeltaJarsError(unresolved_message(coordinate, "spark.maven_fallback is off.")) from None
        log.warning("Ivy could not resolve %s; trying Maven", coordinate)
        try:
            jars = resolve_with_maven(coordinate)
        except DeltaJarsError as maven_error:
            raise DeltaJarsError(
                unresolved_message(coordinate, f"the Maven fallback failed: {maven_error}")
            ) from None
        return local_builder(settings, jars, warehouse=warehouse, storage=storage).getOrCreate()


def local_builder(
    settings: SparkSettings,
    jars: list[str] | None = None,
    packages: str | None = None,
    warehouse: str | None = None,
    storage: dict[str, str] | None = None,
):
    log4j = resources.files("crm_mining") / "resources" / "log4j2.properties"
    builder = (
        SparkSession.builder.master(settings.master)
        .appName(settings.app_name)
        .config("spark.ui.enabled", str(settings.ui_enabled).lower())
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(settings.shuffle_partitions))
        .config("spark.databricks.delta.snapshotPartitions", str(settings.delta_snapshot_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", settings.driver_memory)
        .config(
            "spark.driver.extraJavaOptions",
            f"-Dlog4j2.configurationFile={log4j} {settings.driver_java_options}".strip(),
        )
        .config("spark.databricks.delta.schema.autoMerge.enabled", "false")
    )
    for key, value in DELTA_SQL_CONF.items():
        builder = builder.config(key, value)
    if packages:
        builder = builder.config("spark.jars.packages", packages)
        if settings.ivy_dir:
            builder = builder.config("spark.jars.ivy", os.path.expanduser(settings.ivy_dir))
    if jars:
        builder = builder.config("spark.jars", ",".join(jars))
    if warehouse:
        builder = builder.config("spark.sql.warehouse.dir", warehouse)
    for key, value in {**(storage or {}), **settings.conf}.items():  # the config's spark.conf wins
        builder = builder.config(key, value)
    return builder


# Loggers that repeat a failed job's cause as pages of stack traces: the driver raises the same cause,
# which the CLI prints as one line. They speak only with --verbose (log4j2.properties turns the JVM's off).
FAILURE_ECHOES_JVM = (
    "org.apache.spark.executor.Executor",
    "org.apache.spark.scheduler.TaskSetManager",
    "org.apache.spark.sql.execution.streaming.runtime.MicroBatchExecution",
)
FAILURE_ECHOES_PYTHON = ("DataFrameQueryContextLogger", "SQLQueryContextLogger")


def set_log_level(spark: SparkSession, level: str) -> None:
    verbose = level in ("INFO", "DEBUG")
    try:
        spark.sparkContext.setLogLevel(level)
        if verbose:
            configurator = spark.sparkContext._jvm.org.apache.logging.log4j.core.config.Configurator
            for name in FAILURE_ECHOES_JVM:
                configurator.setLevel(name, spark.sparkContext._jvm.org.apache.logging.log4j.Level.INFO)
    except Exception:  # Spark Connect has no SparkContext; its server owns logging.
        log.debug("could not set Spark's log level")
    from pyspark.logger import PySparkLogger

    for name in FAILURE_ECHOES_PYTHON:
        PySparkLogger.getLogger(name).setLevel(logging.WARNING if verbose else logging.CRITICAL + 1)


@contextlib.contextmanager
def session_conf(spark: SparkSession, settings: dict[str, str]) -> Iterator[None]:
    """The SQL ``settings`` set on ``spark`` within the block; after it each key has its own value again
    (or none), so one step's setting does not leak into the queries that follow."""
    before = {key: spark.conf.get(key, None) for key in settings}
    for key, value in settings.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)
