# Databricks notebook source
# MAGIC %md
# MAGIC # crm-mining rules
# MAGIC FPGrowth cross-sell rules, coverage gaps, next-best-offers, risk rules.
# MAGIC
# MAGIC Reads `gold.customer_features`, `gold.labels`, `gold.transaction_alerts`; writes `gold.frequent_itemsets`, `gold.cross_sell_rules`, `gold.product_coverage`, `gold.product_depth`, `gold.risk_rules`, `gold.offer_exclusions`, `gold.next_best_offers`, `gold.offer_evaluation`, `gold.exclusion_validation`.
# MAGIC
# MAGIC Widgets: `conf` (a YAML path or an environment name, default `databricks`), `lakehouse` (the lake root), `set` (`section.key=value` overrides separated by `;`).

# COMMAND ----------

# MAGIC %pip install /Volumes/main/crm/raw/wheels/crm_mining-0.1.0-py3-none-any.whl

# COMMAND ----------

from crm_mining.notebook import lake_table, notebook_config
from crm_mining.stages import stage

config = notebook_config(globals().get("dbutils"))

# COMMAND ----------

summary = stage("rules").run_marked(spark, config)
summary

# COMMAND ----------

display(lake_table(spark, config, "gold.frequent_itemsets"))

# COMMAND ----------

display(lake_table(spark, config, "gold.cross_sell_rules"))

# COMMAND ----------

display(lake_table(spark, config, "gold.product_coverage"))

# COMMAND ----------

display(lake_table(spark, config, "gold.product_depth"))

# COMMAND ----------

display(lake_table(spark, config, "gold.risk_rules"))

# COMMAND ----------

display(lake_table(spark, config, "gold.offer_exclusions"))

# COMMAND ----------

display(lake_table(spark, config, "gold.next_best_offers"))

# COMMAND ----------

display(lake_table(spark, config, "gold.offer_evaluation"))

# COMMAND ----------

display(lake_table(spark, config, "gold.exclusion_validation"))
