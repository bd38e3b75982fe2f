# Databricks notebook source
# MAGIC %md
# MAGIC # crm-mining segment
# MAGIC KMeans customer segments with k selection, named profiles and stability.
# MAGIC
# MAGIC Reads `gold.customer_features`, `gold.labels`, `gold.lifecycle_stage`, `gold.customer_value`; writes `gold.customer_segments`, `gold.segment_profiles`, `gold.segment_k_selection`, `gold.segment_migration`, `gold.segment_stability`.
# MAGIC
# MAGIC Widgets: `conf` (a YAML path or an environment name, default `databricks`), `lakehouse` (the lake root), `set` (`section.key=value` overrides separated by `;`).

# COMMAND ----------

# MAGIC %pip install /Volumes/main/crm/raw/wheels/crm_mining-0.1.0-py3-none-any.whl

# COMMAND ----------

from crm_mining.notebook import lake_table, notebook_config
from crm_mining.stages import stage

config = notebook_config(globals().get("dbutils"))

# COMMAND ----------

summary = stage("segment").run_marked(spark, config)
summary

# COMMAND ----------

display(lake_table(spark, config, "gold.customer_segments"))

# COMMAND ----------

display(lake_table(spark, config, "gold.segment_profiles"))

# COMMAND ----------

display(lake_table(spark, config, "gold.segment_k_selection"))

# COMMAND ----------

display(lake_table(spark, config, "gold.segment_migration"))

# COMMAND ----------

display(lake_table(spark, config, "gold.segment_stability"))
