"""Stage `fraud`: transaction fraud alerts with reasons. Entry point: ``detect_fraud(spark, config) -> summary``.

See docs/fraud.md.
"""

from crm_mining.fraud.run import detect_fraud

__all__ = ["detect_fraud"]
