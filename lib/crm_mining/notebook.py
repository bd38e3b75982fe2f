"""Config for notebooks: Databricks widgets when present, environment variables otherwise.

A notebook calls ``notebook_config(globals().get("dbutils"))`` and then one library function.
- ``conf``: a YAML path, or an environment name (local, cluster, databricks) looked up as
  ``conf/<name>.yaml`` in the working folder or its parents (a Databricks Repo runs notebooks
  from ``notebooks/``). Default: databricks on Databricks, local elsewhere.
- ``lakehouse``: the lake root (overrides lake.root).
- ``set``: ``section.key=value`` overrides separated by ``;``.
Outside Databricks the same three come from CRM_MINING_CONF, CRM_MINING_LAKEHOUSE, CRM_MINING_SET.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crm_mining.config import Config, ConfigError, load_config
from crm_mining.session import on_databricks

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

# Each widget and its default: on Databricks the shipped databricks config, no lake root, no overrides.
WIDGETS = {"conf": "databricks", "lakehouse": "", "set": ""}
SETTINGS = tuple(WIDGETS)


def find_conf(name: str, start: Path | None = None) -> Path:
    """``conf/<name>.yaml`` in ``start`` (default: cwd) or the nearest parent that has it."""
    if name.endswith((".yaml", ".yml")):
        return Path(name)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "conf" / f"{name}.yaml"
        if candidate.is_file():
            return candidate
    raise ConfigError(f"no conf/{name}.yaml in {here} or its parents; pass a YAML path instead")


def notebook_settings(dbutils: Any = None) -> dict[str, str]:
    """The three settings, from widgets (created empty if missing) or the environment."""
    if dbutils is not None:
        for name, default in WIDGETS.items():
            dbutils.widgets.text(name, default)
        return {name: dbutils.widgets.get(name) for name in SETTINGS}
    return {name: os.environ.get(f"CRM_MINING_{name.upper()}", "") for name in SETTINGS}


def notebook_config(dbutils: Any = None) -> Config:
    settings = notebook_settings(dbutils)
    conf = settings["conf"] or ("databricks" if on_databricks() else "local")
    overrides = [item.strip() for item in settings["set"].split(";") if item.strip()]
    return load_config(find_conf(conf), overrides, settings["lakehouse"] or None)


def lake_table(spark: SparkSession, config: Config, name: str) -> DataFrame:
    """A registered table, for a notebook to ``display()``; a table the stage did not write (its summary
    says why) is shown as a one-line note, so the rest of the notebook still runs."""
    from crm_mining.tables import Lake

    lake = Lake(config)
    if not lake.exists(spark, name):
        return spark.createDataFrame(
            [(f"{name} has not been written: see the stage's summary above",)], "note string"
        )
    return lake.read(spark, name)


def run_rows(spark: SparkSession, config: Config, run_id: str) -> DataFrame:
    """One pipeline run's rows of ops.pipeline_runs, stage by stage."""
    from pyspark.sql import functions as F

    from crm_mining.runs import TABLE

    return lake_table(spark, config, TABLE).where(F.col("run_id") == run_id).orderBy("stage_number")
