# Databricks notebook source
# MAGIC %md
# MAGIC # Customer 360 features, labels, RFM, lifecycle and customer value

# COMMAND ----------

from crm_mining.features import build_features
from crm_mining.lifecycle import build_lifecycle
from crm_mining.notebook import notebook_config
from crm_mining.tables import Lake

config = notebook_config(globals().get("dbutils"))
features = build_features(spark, config)
lifecycle = build_lifecycle(spark, config)

# COMMAND ----------

# Stage-to-stage movement between consecutive snapshots.
Lake(config).read(spark, "gold.lifecycle_transitions").limit(50).toPandas()
