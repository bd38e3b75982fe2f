# Databricks notebook source
# MAGIC %md
# MAGIC # crm-mining ingest
# MAGIC Landing -> bronze -> silver Delta tables, with quarantine and audit.
# MAGIC
# MAGIC Reads none; writes `bronze.products`, `bronze.customers`, `bronze.accounts`, `bronze.balances`, `bronze.transactions`, `bronze.repayments`, `bronze.interactions`, `silver.products`, `silver.customers`, `silver.accounts`, `silver.balances`, `silver.transactions`, `silver.repayments`, `silver.interactions`, `ops.quarantine`, `ops.ingest_audit`, `ops.unread_files`, `ops.skipped_files`.
# MAGIC
# MAGIC Widgets: `conf` (a YAML path or an environment name, default `databricks`), `lakehouse` (the lake root), `set` (`section.key=value` overrides separated by `;`).

# COMMAND ----------

# MAGIC %pip install /Volumes/main/crm/raw/wheels/crm_mining-0.1.0-py3-none-any.whl

# COMMAND ----------

from crm_mining.notebook import lake_table, notebook_config
from crm_mining.stages import stage

config = notebook_config(globals().get("dbutils"))

# COMMAND ----------

summary = stage("ingest").run_marked(spark, config)
summary

# COMMAND ----------

display(lake_table(spark, config, "bronze.products"))

# COMMAND ----------

display(lake_table(spark, config, "bronze.customers"))

# COMMAND ----------

display(lake_table(spark, config, "bronze.accounts"))

# COMMAND ----------

display(lake_table(spark, config, "bronze.balances"))

# COMMAND ----------

display(lake_table(spark, config, "bronze.transactions"))

# COMMAND ----------

display(lake_table(spark, config, "bronze.repayments"))

# COMMAND ----------

display(lake_table(spark, config, "bronze.interactions"))

# COMMAND ----------

display(lake_table(spark, config, "silver.products"))

# COMMAND ----------

display(lake_table(spark, config, "silver.customers"))

# COMMAND ----------

display(lake_table(spark, config, "silver.accounts"))

# COMMAND ----------

display(lake_table(spark, config, "silver.balances"))

# COMMAND ----------

display(lake_table(spark, config, "silver.transactions"))

# COMMAND ----------

display(lake_table(spark, config, "silver.repayments"))

# COMMAND ----------

display(lake_table(spark, config, "silver.interactions"))

# COMMAND ----------

display(lake_table(spark, config, "ops.quarantine"))

# COMMAND ----------

display(lake_table(spark, config, "ops.ingest_audit"))

# COMMAND ----------

display(lake_table(spark, config, "ops.unread_files"))

# COMMAND ----------

display(lake_table(spark, config, "ops.skipped_files"))
