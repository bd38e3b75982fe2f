# Databricks notebook source
# MAGIC %md
# MAGIC # crm-mining cube
# MAGIC OLAP cube for BI: month x region x segment x lifecycle stage x product.
# MAGIC
# MAGIC Reads `gold.customer_features`, `gold.labels`, `gold.customer_segments`, `gold.lifecycle_stage`; writes `gold.crm_cube`.
# MAGIC
# MAGIC Widgets: `conf` (a YAML path or an environment name, default `databricks`), `lakehouse` (the lake root), `set` (`section.key=value` overrides separated by `;`).

# COMMAND ----------

# MAGIC %pip install /Volumes/main/crm/raw/wheels/crm_mining-0.1.0-py3-none-any.whl

# COMMAND ----------

from crm_mining.notebook import lake_table, notebook_config
from crm_mining.stages import stage

config = notebook_config(globals().get("dbutils"))

# COMMAND ----------

summary = stage("cube").run_marked(spark, config)
summary

# COMMAND ----------

display(lake_table(spark, config, "gold.crm_cube"))
