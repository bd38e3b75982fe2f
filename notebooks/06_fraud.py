# Databricks notebook source
# MAGIC %md
# MAGIC # crm-mining fraud
# MAGIC Transaction fraud alerts: baselines, rules with reasons, PrefixSpan patterns before known fraud.
# MAGIC
# MAGIC Reads `silver.transactions`; writes `gold.fraud_baselines`, `gold.fraud_patterns`, `gold.transaction_alerts`, `gold.fraud_evaluation`.
# MAGIC
# MAGIC Widgets: `conf` (a YAML path or an environment name, default `databricks`), `lakehouse` (the lake root), `set` (`section.key=value` overrides separated by `;`).

# COMMAND ----------

# MAGIC %pip install /Volumes/main/crm/raw/wheels/crm_mining-0.1.0-py3-none-any.whl

# COMMAND ----------

from crm_mining.notebook import lake_table, notebook_config
from crm_mining.stages import stage

config = notebook_config(globals().get("dbutils"))

# COMMAND ----------

summary = stage("fraud").run_marked(spark, config)
summary

# COMMAND ----------

display(lake_table(spark, config, "gold.fraud_baselines"))

# COMMAND ----------

display(lake_table(spark, config, "gold.fraud_patterns"))

# COMMAND ----------

display(lake_table(spark, config, "gold.transaction_alerts"))

# COMMAND ----------

display(lake_table(spark, config, "gold.fraud_evaluation"))
