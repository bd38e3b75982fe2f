# Databricks notebook source
# MAGIC %md
# MAGIC # crm-mining complaints
# MAGIC Topics (LDA) and sentiment of complaint and contact texts, English and Chinese.
# MAGIC
# MAGIC Reads `silver.interactions`; writes `gold.interaction_insights`, `gold.complaint_trends`, `gold.complaint_topics`.
# MAGIC
# MAGIC Widgets: `conf` (a YAML path or an environment name, default `databricks`), `lakehouse` (the lake root), `set` (`section.key=value` overrides separated by `;`).

# COMMAND ----------

# MAGIC %pip install /Volumes/main/crm/raw/wheels/crm_mining-0.1.0-py3-none-any.whl

# COMMAND ----------

from crm_mining.notebook import lake_table, notebook_config
from crm_mining.stages import stage

config = notebook_config(globals().get("dbutils"))

# COMMAND ----------

summary = stage("complaints").run_marked(spark, config)
summary

# COMMAND ----------

display(lake_table(spark, config, "gold.interaction_insights"))

# COMMAND ----------

display(lake_table(spark, config, "gold.complaint_trends"))

# COMMAND ----------

display(lake_table(spark, config, "gold.complaint_topics"))
