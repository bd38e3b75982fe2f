# Databricks notebook source
# MAGIC %md
# MAGIC # crm-mining generate
# MAGIC Write a synthetic bank lake (landing files + ground truth).
# MAGIC
# MAGIC Reads none; writes none.
# MAGIC
# MAGIC Widgets: `conf` (a YAML path or an environment name, default `databricks`), `lakehouse` (the lake root), `set` (`section.key=value` overrides separated by `;`).

# COMMAND ----------

# MAGIC %pip install /Volumes/main/crm/raw/wheels/crm_mining-0.1.0-py3-none-any.whl

# COMMAND ----------

from crm_mining.notebook import notebook_config
from crm_mining.stages import stage

config = notebook_config(globals().get("dbutils"))

# COMMAND ----------

summary = stage("generate").run_marked(spark, config)
summary
