# Databricks notebook source
# MAGIC %md
# MAGIC # crm-mining: the whole pipeline
# MAGIC Every stage of the stage registry (`crm_mining.stages`), in its order, audited in `ops.pipeline_runs`; the notebooks numbered after this one run one stage each.
# MAGIC
# MAGIC Widgets: `conf` (a YAML path or an environment name, default `databricks`), `lakehouse` (the lake root), `set` (`section.key=value` overrides separated by `;`).

# COMMAND ----------

# MAGIC %pip install /Volumes/main/crm/raw/wheels/crm_mining-0.1.0-py3-none-any.whl

# COMMAND ----------

from crm_mining.notebook import notebook_config, run_rows
from crm_mining.pipeline import run_pipeline

config = notebook_config(globals().get("dbutils"))
summary = run_pipeline(spark, config)
summary["summary_file"]

# COMMAND ----------

display(run_rows(spark, config, summary["run_id"]))
