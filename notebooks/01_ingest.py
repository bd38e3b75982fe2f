# Databricks notebook source
# MAGIC %md
# MAGIC # Ingest: landing → bronze → silver, quarantine and audit

# COMMAND ----------

from crm_mining.ingest import ingest_lake
from crm_mining.notebook import notebook_config
from crm_mining.tables import Lake

config = notebook_config(globals().get("dbutils"))
summary = ingest_lake(spark, config)

# COMMAND ----------

# The audit trail: read = written + quarantined + duplicates, per source and batch.
audit = Lake(config).read(spark, "ops.ingest_audit")
audit.orderBy("finished_at", ascending=False).limit(20).toPandas()
