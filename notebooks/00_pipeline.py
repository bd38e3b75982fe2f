# Databricks notebook source
# MAGIC %md
# MAGIC # crm-mining: the whole pipeline
# MAGIC Every built stage of the stage registry (`crm_mining.stages`), in its order, on this notebook's `spark`.
# MAGIC Widgets: `conf` (YAML path or env name; default `databricks` on Databricks), `lakehouse`, `set` (`k=v;k=v`).

# COMMAND ----------

# MAGIC %pip install /Volumes/main/crm/raw/wheels/crm_mining-0.1.0-py3-none-any.whl

# COMMAND ----------

from crm_mining.notebook import notebook_config
from crm_mining.pipeline import run_pipeline
from crm_mining.stages import pipeline_stages

config = notebook_config(globals().get("dbutils"))
stages = [stage.name for stage in pipeline_stages()]
stages

# COMMAND ----------

summary = run_pipeline(spark, config)
summary
