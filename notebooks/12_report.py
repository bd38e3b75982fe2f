# Databricks notebook source
# MAGIC %md
# MAGIC # crm-mining report
# MAGIC One self-contained HTML report of the gold tables (offline: inline SVG charts, no CDN).
# MAGIC
# MAGIC Reads `ops.ingest_audit`, `ops.quarantine`, `gold.product_coverage`, `gold.product_depth`, `gold.cross_sell_rules`, `gold.offer_evaluation`, `gold.offer_exclusions`, `gold.exclusion_validation`, `gold.risk_rules`, `gold.segment_profiles`, `gold.segment_k_selection`, `gold.customer_segments`, `gold.model_metrics`, `gold.model_gains`, `gold.model_calibration`, `gold.model_importances`, `gold.risk_scores`, `gold.model_monitoring`, `gold.lifecycle_stage`, `gold.lifecycle_transitions`, `gold.lifecycle_actions`, `gold.customer_value`; writes none.
# MAGIC
# MAGIC Widgets: `conf` (a YAML path or an environment name, default `databricks`), `lakehouse` (the lake root), `set` (`section.key=value` overrides separated by `;`).

# COMMAND ----------

# MAGIC %pip install /Volumes/main/crm/raw/wheels/crm_mining-0.1.0-py3-none-any.whl

# COMMAND ----------

from crm_mining.notebook import notebook_config
from crm_mining.stages import stage

config = notebook_config(globals().get("dbutils"))

# COMMAND ----------

summary = stage("report").run_marked(spark, config)
summary
