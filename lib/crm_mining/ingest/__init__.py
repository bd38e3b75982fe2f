"""Stage `ingest`: landing -> bronze -> silver Delta tables, with quarantine and an audited row count.

Entry point: ``ingest_lake(spark, config) -> summary dict`` (see ``crm_mining.ingest.run``).
"""

from __future__ import annotations

from crm_mining.ingest.run import ingest_lake

__all__ = ["ingest_lake"]
