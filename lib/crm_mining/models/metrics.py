"""Binary-classifier metrics computed in Spark from (label, score) rows: what a bank's validation team reads.

- AUC-ROC: trapezoids over the ROC curve at every distinct score (ties handled as scikit-learn does);
- AUC-PR: average precision, sum over distinct scores of (recall step) x precision (scikit-learn's
  ``average_precision_score``);
- KS: the largest gap between the cumulative score distributions of events and non-events, max(TPR - FPR);
- Gini: 2 x AUC - 1; Brier: mean squared error of the probability.

The curve is aggregated per distinct score first, then a running sum over scores in order
(``with_running_sums``: a sorted, range-partitioned frame, so no window holds every score in one task).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F


def roc_points(scored: DataFrame) -> DataFrame:
    """Per distinct score, highest first: cumulative true/false positives at 'score >= threshold'."""
    by_score = scored.groupBy("score").agg(
        F.sum(F.col("label")).alias("pos"), F.sum(1 - F.col("label")).alias("neg")
    )
    running = with_running_sums(by_score, [F.col("score").desc()], ["pos", "neg"])
    return running.select("score", "pos", "neg", F.col("pos_upto").alias("tp"), F.col("neg_upto").alias("fp"))


def binary_metrics(scored: DataFrame) -> dict:
    """AUC-ROC, AUC-PR, KS, Gini, Brier, rows and positives of ``scored`` (columns label 0/1, score)."""
    totals = scored.agg(
        F.count(F.lit(1)).alias("rows"),
        F.sum("label").alias("positives"),
        F.avg((F.col("score") - F.col("label")) ** 2).alias("brier"),
    ).first()
    rows, positives = int(totals["rows"]), int(totals["positives"] or 0)
    negatives = rows - positives
    result = {"rows": rows, "positives": positives, "brier": float(totals["brier"])}
    if positives == 0 or negatives == 0:
        return {**result, "auc_roc": None, "auc_pr": None, "ks": None, "gini": None}
    pts = roc_points(scored)
    prev_tp, prev_fp = F.col("tp") - F.col("pos"), F.col("fp") - F.col("neg")
    agg = pts.agg(
        F.sum((F.col("fp") - prev_fp) * (F.col("tp") + prev_tp) / 2.0).alias("auc_area"),
        F.sum(F.col("pos") * F.col("tp") / (F.col("tp") + F.col("fp"))).alias("ap_sum"),
        F.max(F.col("tp") / positives - F.col("fp") / negatives).alias("ks"),
    ).first()
    auc = float(agg["auc_area"]) / (positives * negatives)
    return {
        **result,
        "auc_roc": auc,
        "auc_pr": float(agg["ap_sum"]) / positives,
        "ks": float(agg["ks"]),
        "gini": 2.0 * auc - 1.0,
    }


def gains_table(scored: DataFrame, groups: int = 10) -> DataFrame:
    """Deciles of score (1 = highest scores) with events, rate, gains (cumulative capture), lift.

    Rows are ranked by score descending (ties broken by label, events last, so the table never flatters
    the model) and cut into ``groups`` near-equal groups (``ntile``). Columns: decile, rows, events,
    event_rate, min_score, max_score, capture_rate (share of all events in this decile), gains (cumulative
    capture up to this decile), lift (decile rate / overall rate), cumulative_lift.
    """
    ranked = with_positions(scored.select("score", "label"), F.col("score").desc(), F.col("label").asc())
    deciles = ranked.select("score", "label", ntile_of_position(groups).alias("decile"))
    per = deciles.groupBy("decile").agg(
        F.count(F.lit(1)).alias("rows"),
        F.sum("label").cast("long").alias("events"),
        F.min("score").alias("min_score"),
        F.max("score").alias("max_score"),
    )
    per = per.join(F.broadcast(cumulative(per, "decile", ["events", "rows"], include_self=True)), "decile")
    total_events, total_rows = F.col("events_total"), F.col("rows_total")
    overall = total_events / total_rows
    cum_events, cum_rows = F.col("events_cum"), F.col("rows_cum")
    return per.select(
        F.col("decile").cast("int").alias("decile"),
        F.col("rows").cast("long").alias("rows"),
        "events",
        (F.col("events") / F.col("rows")).alias("event_rate"),
        "min_score",
        "max_score",
        (F.col("events") / total_events).alias("capture_rate"),
        (cum_events / total_events).alias("gains"),
        (F.col("events") / F.col("rows") / overall).alias("lift"),
        (cum_events / cum_rows / overall).alias("cumulative_lift"),
    )


def with_running_sums(df: DataFrame, order: list[Column], columns: list[str]) -> DataFrame:
    """``df`` with ``<c>_upto`` (the sum of ``c`` over the rows before it in ``order`` and itself) and
    ``<c>_total`` for each of ``columns``, without a window over all rows.

    ``Window.orderBy`` with no partition moves every row into one task. Here a range-partitioned sort
    numbers rows within each partition (``monotonically_increasing_id``: partition id in the upper bits);
    the running sums are taken within each partition, plus the partition's offset: the sums of the
    partitions before it, from a table of one row per partition. Rows that tie on ``order`` may swap
    places, which no aggregate over them can see.

    Every column of ``df`` must be a sort key or one of ``columns``: a column only one side of the join
    below reads would be pruned from the other side's sort, which then could not be reused (see below).
    """
    # ``numbered`` feeds both sides of the join below. Spark plans its sort's shuffle once and reuses it
    # (spark.sql.exchange.reuse, on by default), so both sides see the same partitions; with reuse off,
    # a second range sampling could draw other boundaries and sums would repeat or go missing.
    numbered = df.orderBy(*order).withColumn("_id", F.monotonically_increasing_id())
    numbered = numbered.withColumn("_part", F.shiftright("_id", 33))
    per_part = numbered.groupBy("_part").agg(*[F.sum(c).alias(c) for c in columns])
    offsets = cumulative(per_part, "_part", columns, include_self=False)
    within = (
        Window.partitionBy("_part").orderBy("_id").rowsBetween(Window.unboundedPreceding, Window.currentRow)
    )
    return numbered.join(F.broadcast(offsets), "_part").select(
        *df.columns,
        *[(F.col(f"{c}_cum") + F.sum(c).over(within)).alias(f"{c}_upto") for c in columns],
        *[f"{c}_total" for c in columns],
    )


def cumulative(small: DataFrame, key: str, columns: list[str], include_self: bool) -> DataFrame:
    """Per ``key`` of ``small`` (one row per key, a few rows: partitions, deciles): ``<c>_cum``, the sum of
    ``c`` over the keys before it (and itself when ``include_self``), and ``<c>_total``.

    A non-equi self-join of the few rows, not a window: Spark runs a window without a partition in one
    task and warns about it on every query, whatever its size.
    """
    other = small.select(F.col(key).alias("_other"), *[F.col(c).alias(f"_other_{c}") for c in columns])
    counted = F.col("_other") <= F.col(key) if include_self else F.col("_other") < F.col(key)
    return (
        small.select(key)
        .join(F.broadcast(other), counted, "left")
        .groupBy(key)
        .agg(*[F.coalesce(F.sum(f"_other_{c}"), F.lit(0)).alias(f"{c}_cum") for c in columns])
        .crossJoin(small.agg(*[F.sum(c).alias(f"{c}_total") for c in columns]))
    )


def with_positions(df: DataFrame, *order: Column) -> DataFrame:
    """``df`` with ``position`` (0-based rank in ``order``) and ``row_count`` (``with_running_sums``)."""
    counted = with_running_sums(df.withColumn("_one", F.lit(1)), list(order), ["_one"])
    return counted.select(
        *df.columns, (F.col("_one_upto") - 1).alias("position"), F.col("_one_total").alias("row_count")
    )


def ntile_of_position(groups: int) -> Column:
    """SQL ``ntile(groups)`` from ``position`` and ``row_count``: the first ``row_count % groups`` groups
    hold one row more than the others."""
    size = F.floor(F.col("row_count") / groups)
    larger = F.col("row_count") % groups  # groups of size + 1
    in_larger = larger * (size + 1)
    return (
        F.when(F.col("position") < in_larger, F.floor(F.col("position") / (size + 1)))
        .otherwise(larger + F.floor((F.col("position") - in_larger) / F.greatest(size, F.lit(1))))
        .cast("int")
        + 1
    )


def calibration_table(scored: DataFrame, bins: int = 10) -> DataFrame:
    """Equal-width probability bins over [0, 1]: rows, mean predicted, observed event rate per bin."""
    bin_no = F.least(F.floor(F.col("score") * bins), F.lit(bins - 1)).cast("int") + 1
    return (
        scored.withColumn("bin", bin_no)
        .groupBy("bin")
        .agg(
            F.count(F.lit(1)).alias("rows"),
            F.avg("score").alias("mean_predicted"),
            F.avg("label").alias("observed_rate"),
        )
        .select(
            F.col("bin").cast("int").alias("bin"),
            ((F.col("bin") - 1) / bins).alias("bin_low"),
            (F.col("bin") / bins).alias("bin_high"),
            F.col("rows").cast("long").alias("rows"),
            "mean_predicted",
            "observed_rate",
        )
    )
