"""Lifecycle: stage mix over time, the transition heatmap, the funnel and the actions per stage;
customer value by segment and by stage."""

from __future__ import annotations

import numpy as np
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)

from crm_mining.report.charts import COLOURS, chart, label, percent_axis
from crm_mining.report.page import Section, table
from crm_mining.report.source import Source, latest, rows

# The order a customer moves through (the funnel), then the side states.
STAGES = ("acquisition", "build_up", "maturity", "decline", "exit", "dormant", "reactivated")


def ordered(stages) -> list[str]:
    known = [s for s in STAGES if s in set(stages)]
    return known + sorted(set(stages) - set(STAGES))


def lifecycle_section(source: Source) -> Section:
    section = Section("lifecycle", "Lifecycle")
    stage_table = source.table("gold.lifecycle_stage")
    if stage_table is None:
        section.missing("Lifecycle stages", "lifecycle")
        return section
    # One row per snapshot and stage (13 x 7 on the sample lake).
    mix = rows(stage_table.groupBy("snapshot_date", "stage").count().orderBy("snapshot_date"))
    dates = sorted({r.snapshot_date for r in mix})
    stages = ordered({r.stage for r in mix})
    counts = {(r.snapshot_date, r.stage): r["count"] for r in mix}
    blocks = [
        chart(
            "stage-mix",
            "Share of customers in each lifecycle stage at each month-end snapshot.",
            lambda fig: mix_chart(fig, dates, stages, counts),
            size=(7.2, 3.8),
        ),
        chart(
            "funnel",
            f"Customers per stage at the latest snapshot ({dates[-1]}), in lifecycle order.",
            lambda fig: funnel_chart(fig, stages, [counts.get((dates[-1], s), 0) for s in stages]),
        ),
    ]
    transitions = source.table("gold.lifecycle_transitions")
    if transitions is not None:
        # At most 7 x 7 stage pairs.
        moves = rows(transitions.groupBy("from_stage", "to_stage").agg(F.sum("customers").alias("customers")))
        if moves:
            blocks.append(
                chart(
                    "transitions",
                    "Share of a stage's customers found in each stage one snapshot later, all snapshot pairs pooled.",
                    lambda fig: transition_chart(fig, moves),
                    size=(5.6, 4.6),
                )
            )
    else:
        section.missing("Stage transitions", "lifecycle")
    section.grid(blocks)
    actions = source.table("gold.lifecycle_actions")
    section.heading("Actions per stage (latest snapshot)")
    if actions is None:
        section.missing("Lifecycle actions", "lifecycle")
    else:
        # One row per stage and action.
        per = rows(actions.groupBy("stage", "action").count())
        order = {s: i for i, s in enumerate(STAGES)}
        per = sorted(per, key=lambda r: order.get(r.stage, 99))
        section.add(
            table(
                ["stage", "recommended action", "customers"],
                [(r.stage, r.action, r["count"]) for r in per],
                2,
            )
        )
    return section


def mix_chart(figure, dates, stages, counts) -> None:
    axes = figure.add_subplot()
    totals = np.array([sum(counts.get((d, s), 0) for s in stages) for d in dates], dtype=float)
    bottom = np.zeros(len(dates))
    x = np.arange(len(dates))
    for i, stage in enumerate(stages):
        share = np.array([counts.get((d, stage), 0) for d in dates]) / np.maximum(totals, 1)
        axes.bar(x, share, bottom=bottom, color=COLOURS[i % 10], label=stage, width=0.85)
        bottom += share
    axes.set_xticks(x, [d.strftime("%Y-%m") for d in dates], rotation=45, ha="right")
    percent_axis(axes)
    axes.legend(fontsize=7, bbox_to_anchor=(1.01, 1), loc="upper left")
    label(axes, "Lifecycle stage mix over time", "snapshot (month end)", "share of customers")


def funnel_chart(figure, stages, values) -> None:
    axes = figure.add_subplot()
    y = np.arange(len(stages))[::-1]
    widths = np.array(values, dtype=float)
    axes.barh(y, widths, left=-widths / 2, color=[COLOURS[i % 10] for i in range(len(stages))])
    for yi, v in zip(y, values, strict=True):
        axes.text(0, yi, f"{v:,}", ha="center", va="center", fontsize=8, color="white" if v else "black")
    axes.set_yticks(y, stages)
    axes.set_xticks([])
    axes.grid(False)
    label(axes, "Lifecycle funnel (latest snapshot)", "customers (bar width)", "stage")


def transition_chart(figure, moves) -> None:
    stages = ordered({r.from_stage for r in moves} | {r.to_stage for r in moves})
    index = {s: i for i, s in enumerate(stages)}
    matrix = np.zeros((len(stages), len(stages)))
    for r in moves:
        matrix[index[r.from_stage], index[r.to_stage]] += r.customers
    rates = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    axes = figure.add_subplot()
    image = axes.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(stages)):
        for j in range(len(stages)):
            if matrix[i, j]:
                axes.text(
                    j,
                    i,
                    f"{rates[i, j]:.0%}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if rates[i, j] > 0.5 else "black",
                )
    axes.set_xticks(range(len(stages)), stages, rotation=45, ha="right")
    axes.set_yticks(range(len(stages)), stages)
    axes.grid(False)
    figure.colorbar(image, ax=axes, label="share of the from-stage", format="{x:.0%}")
    label(axes, "Stage transitions, one snapshot to the next", "to stage", "from stage")


QUANTILES = [0.1, 0.25, 0.5, 0.75, 0.9]


def value_section(source: Source) -> Section:
    section = Section("value", "Customer value")
    value = source.table("gold.customer_value")
    if value is None:
        section.missing("Customer value", "lifecycle")
        return section
    value = latest(value).select("customer_id", "snapshot_date", "expected_value")
    groups = []
    stage_table = source.table("gold.lifecycle_stage")
    if stage_table is not None:
        groups.append(
            (
                "stage",
                value.join(
                    stage_table.select("customer_id", "snapshot_date", "stage"),
                    ["customer_id", "snapshot_date"],
                ),
            )
        )
    else:
        section.missing("Value by stage", "lifecycle")
    segments = source.table("gold.customer_segments")
    if segments is not None:
        groups.append(
            (
                "segment",
                value.join(
                    latest(segments).select("customer_id", F.col("segment_name").alias("segment")),
                    "customer_id",
                ),
            )
        )
    else:
        section.missing("Value by segment", "segment")
    blocks = []
    for column, frame in groups:
        # Quantiles computed in Spark: one row per stage or segment.
        stats = rows(
            frame.groupBy(column).agg(
                F.percentile_approx("expected_value", QUANTILES, 10000).alias("q"),
                F.avg("expected_value").alias("mean"),
                F.count(F.lit(1)).alias("customers"),
            )
        )
        if not stats:
            continue
        if column == "stage":
            order = {s: i for i, s in enumerate(STAGES)}
            stats = sorted(stats, key=lambda r: order.get(r.stage, 99))
        else:
            stats = sorted(stats, key=lambda r: -r.customers)
        blocks.append(
            chart(
                f"value-by-{column}",
                f"Expected customer value over the value horizon by {column}: box = 25th-75th percentile, line = median, whiskers = 10th and 90th, dot = mean.",
                lambda fig, stats=stats, column=column: value_chart(fig, stats, column),
            )
        )
    section.grid(blocks)
    return section


def value_chart(figure, stats, column) -> None:
    axes = figure.add_subplot()
    boxes = [
        {
            "label": f"{r[column]}\n(n={r.customers:,})",
            "whislo": r.q[0],
            "q1": r.q[1],
            "med": r.q[2],
            "q3": r.q[3],
            "whishi": r.q[4],
            "mean": r.mean,
            "fliers": [],
        }
        for r in stats
    ]
    axes.bxp(
        boxes,
        showmeans=True,
        showfliers=False,
        patch_artist=True,
        boxprops={"facecolor": "#bee3f8"},
        meanprops={"marker": "o", "markerfacecolor": "#c05621", "markeredgecolor": "#c05621"},
    )
    axes.tick_params(axis="x", labelrotation=30, labelsize=7)
    label(axes, f"Expected customer value by {column}", column, "expected value (base currency)")
