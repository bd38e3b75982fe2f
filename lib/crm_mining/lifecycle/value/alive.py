"""BG/NBD probability of being alive per customer and snapshot, each snapshot fitted on its own past.

Lifecycle reads it where account closures are unknown (transactions only): a customer silent for the
dormancy period whose P(alive) has fallen below ``lifecycle.exit_p_alive_below`` is an inferred exit
before the long silence of ``exit_inactive_days`` would say so. Point in time: the snapshot's BG/NBD is
fitted on purchases on or before it, so a stage never reads a later purchase, even through the fit.
"""

from __future__ import annotations

import datetime as dt
import logging

from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)

from crm_mining import CrmMiningError
from crm_mining.config.lifecycle import ValueSettings
from crm_mining.lifecycle.value import fit_sample
from crm_mining.lifecycle.value.fit import fit_bgnbd
from crm_mining.lifecycle.value.score import p_alive
from crm_mining.lifecycle.value.summaries import purchase_days, summaries_from_days

log = logging.getLogger(__name__)
SCHEMA = (("customer_id", "string"), ("snapshot_date", "date"), ("p_alive", "double"))
ALIVE_COLUMNS = tuple(c for c, _ in SCHEMA)


def p_alive_by_snapshot(transactions: DataFrame, dates: list[dt.date], settings: ValueSettings) -> DataFrame:
    """``ALIVE_COLUMNS`` for every customer with a purchase on or before each of ``dates``.

    A snapshot whose history cannot be fitted (fewer than 10 repeat buyers) is left out, with a log line:
    its customers keep the silence rule only.
    """
    days = purchase_days(transactions).cache()
    parts = []
    # One count and one bounded fit sample (value.max_fit_customers) per snapshot: the loop runs over the
    # batch's snapshot dates (config), and each snapshot needs its own point-in-time fit.
    for as_of in sorted(dates):
        summaries = summaries_from_days(days, as_of)
        try:
            sample = fit_sample(summaries, settings, summaries.count())
            params = fit_bgnbd(
                sample["frequency"], sample["recency_days"], sample["t_days"], settings.penalizer
            )
        except CrmMiningError as exc:
            log.info(
                "lifecycle: no P(alive) at %s (%s); exit there is inferred from silence only", as_of, exc
            )
            continue
        parts.append(
            summaries.select(
                F.col("customer_id").cast("string").alias("customer_id"),
                F.lit(as_of).cast("date").alias("snapshot_date"),
                p_alive(params).cast("double").alias("p_alive"),
            )
        )
    if not parts:
        days.unpersist()
        return transactions.sparkSession.createDataFrame([], ", ".join(f"{c} {t}" for c, t in SCHEMA))
    union = parts[0]
    for part in parts[1:]:
        union = union.unionByName(part)
    # Materialised once (customers x snapshots, three columns), so the purchase days can be let go.
    alive = union.select(*ALIVE_COLUMNS).localCheckpoint(eager=True)
    days.unpersist()
    return alive
