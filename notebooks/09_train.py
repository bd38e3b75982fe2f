# Databricks notebook source
# MAGIC %md
# MAGIC # crm-mining train
# MAGIC Train GBT churn and credit-risk models, tuned with hyperopt, with baselines and metrics.
# MAGIC
# MAGIC Reads `gold.customer_features`, `gold.labels`; writes `gold.model_metrics`, `gold.model_calibration`, `gold.model_gains`, `gold.model_importances`.
# MAGIC
# MAGIC Widgets: `conf` (a YAML path or an environment name, default `databricks`), `lakehouse` (the lake root), `set` (`section.key=value` overrides separated by `;`).

# COMMAND ----------

# MAGIC %pip install /Volumes/main/crm/raw/wheels/crm_mining-0.1.0-py3-none-any.whl

# COMMAND ----------

from crm_mining.notebook import lake_table, notebook_config
from crm_mining.stages import stage

config = notebook_config(globals().get("dbutils"))

# COMMAND ----------

summary = stage("train").run_marked(spark, config)
summary

# COMMAND ----------

display(lake_table(spark, config, "gold.model_metrics"))

# COMMAND ----------

display(lake_table(spark, config, "gold.model_calibration"))

# COMMAND ----------

display(lake_table(spark, config, "gold.model_gains"))

# COMMAND ----------

display(lake_table(spark, config, "gold.model_importances"))
