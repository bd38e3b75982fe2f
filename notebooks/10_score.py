# Databricks notebook source
# MAGIC %md
# MAGIC # crm-mining score
# MAGIC Score customers with the latest models: probability, band, grade, points, reasons, drift.
# MAGIC
# MAGIC Reads `gold.customer_features`; writes `gold.churn_scores`, `gold.risk_scores`, `gold.model_scores`, `gold.model_monitoring`.
# MAGIC
# MAGIC Widgets: `conf` (a YAML path or an environment name, default `databricks`), `lakehouse` (the lake root), `set` (`section.key=value` overrides separated by `;`).

# COMMAND ----------

# MAGIC %pip install /Volumes/main/crm/raw/wheels/crm_mining-0.1.0-py3-none-any.whl

# COMMAND ----------

from crm_mining.notebook import lake_table, notebook_config
from crm_mining.stages import stage

config = notebook_config(globals().get("dbutils"))

# COMMAND ----------

summary = stage("score").run_marked(spark, config)
summary

# COMMAND ----------

display(lake_table(spark, config, "gold.churn_scores"))

# COMMAND ----------

display(lake_table(spark, config, "gold.risk_scores"))

# COMMAND ----------

display(lake_table(spark, config, "gold.model_scores"))

# COMMAND ----------

display(lake_table(spark, config, "gold.model_monitoring"))
