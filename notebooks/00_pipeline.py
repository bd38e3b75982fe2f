# Databricks notebook source
# MAGIC %md
# MAGIC # crm-mining: the whole pipeline
# MAGIC Generate (if the landing zone is empty) → ingest → features → lifecycle, on this notebook's `spark`.
# MAGIC Widgets: `conf` (YAML path or env name; default `databricks` on Databricks), `lakehouse`, `set` (`k=v;k=v`).

# COMMAND ----------

# MAGIC %pip install /Volumes/main/crm/raw/wheels/crm_mining-0.1.0-py3-none-any.whl

# COMMAND ----------

from crm_mining.notebook import notebook_config
from crm_mining.pipeline import run_pipeline

config = notebook_config(globals().get("dbutils"))
summary = run_pipeline(spark, config)
summary
