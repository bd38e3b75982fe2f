# Databricks notebook source
# MAGIC %md
# MAGIC # crm-mining features
# MAGIC Customer 360 features, labels and RFM per snapshot.
# MAGIC
# MAGIC Reads `silver.customers`, `silver.accounts`, `silver.balances`, `silver.transactions`, `silver.repayments`, `silver.interactions`, `gold.interaction_insights`; writes `gold.customer_features`, `gold.labels`, `gold.rfm`.
# MAGIC
# MAGIC Widgets: `conf` (a YAML path or an environment name, default `databricks`), `lakehouse` (the lake root), `set` (`section.key=value` overrides separated by `;`).

# COMMAND ----------

# MAGIC %pip install /Volumes/main/crm/raw/wheels/crm_mining-0.1.0-py3-none-any.whl

# COMMAND ----------

from crm_mining.notebook import lake_table, notebook_config
from crm_mining.stages import stage

config = notebook_config(globals().get("dbutils"))

# COMMAND ----------

summary = stage("features").run_marked(spark, config)
summary

# COMMAND ----------

display(lake_table(spark, config, "gold.customer_features"))

# COMMAND ----------

display(lake_table(spark, config, "gold.labels"))

# COMMAND ----------

display(lake_table(spark, config, "gold.rfm"))
