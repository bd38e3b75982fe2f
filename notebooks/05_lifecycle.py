# Databricks notebook source
# MAGIC %md
# MAGIC # crm-mining lifecycle
# MAGIC Lifecycle stages, SCD2 history, transitions, actions and customer value.
# MAGIC
# MAGIC Reads `gold.customer_features`, `gold.labels`, `silver.transactions`; writes `gold.lifecycle_stage`, `gold.lifecycle_history`, `gold.lifecycle_transitions`, `gold.lifecycle_actions`, `gold.customer_value`, `gold.value_backtest`, `gold.lifecycle_backtest`.
# MAGIC
# MAGIC Widgets: `conf` (a YAML path or an environment name, default `databricks`), `lakehouse` (the lake root), `set` (`section.key=value` overrides separated by `;`).

# COMMAND ----------

# MAGIC %pip install /Volumes/main/crm/raw/wheels/crm_mining-0.1.0-py3-none-any.whl

# COMMAND ----------

from crm_mining.notebook import lake_table, notebook_config
from crm_mining.stages import stage

config = notebook_config(globals().get("dbutils"))

# COMMAND ----------

summary = stage("lifecycle").run_marked(spark, config)
summary

# COMMAND ----------

display(lake_table(spark, config, "gold.lifecycle_stage"))

# COMMAND ----------

display(lake_table(spark, config, "gold.lifecycle_history"))

# COMMAND ----------

display(lake_table(spark, config, "gold.lifecycle_transitions"))

# COMMAND ----------

display(lake_table(spark, config, "gold.lifecycle_actions"))

# COMMAND ----------

display(lake_table(spark, config, "gold.customer_value"))

# COMMAND ----------

display(lake_table(spark, config, "gold.value_backtest"))

# COMMAND ----------

display(lake_table(spark, config, "gold.lifecycle_backtest"))
