"""Segments: the profile heatmap (segments x features, ratio to the population mean), the k curve,
and the sizes and names."""

from __future__ import annotations

import numpy as np
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)

from crm_mining.report.charts import chart, label
from crm_mining.report.page import Section, table
from crm_mining.report.source import Source, latest, rows


def segments_section(source: Source) -> Section:
    section = Section("segments", "Segments")
    profiles = source.table("gold.segment_profiles")
    if profiles is None:
        section.missing("Customer segments", "segment")
        return section
    current = latest(profiles)
    # One row per segment (k <= segment.k_max) ...
    sizes = rows(
        current.select(
            "segment_id",
            "segment_name",
            "customers",
            "share",
            "churn_rate",
            "default_rate",
            "mean_expected_value",
        ).orderBy("segment_id")
    )
    # ... and one per segment and feature (k x profile columns).
    stats = rows(
        current.select("segment_id", "segment_name", F.explode("feature_stats").alias("s")).select(
            "segment_id", "segment_name", "s.feature", "s.ratio_to_population"
        )
    )
    blocks = []
    if stats:
        blocks.append(
            chart(
                "segment-profiles",
                "Each segment's feature mean over the population mean (1 = average; colour on a log2 scale).",
                lambda fig: heatmap_chart(fig, sizes, stats),
                size=(8.0, 4.6),
            )
        )
    selection = source.table("gold.segment_k_selection")
    if selection is not None:
        version = current.select(F.max("model_version")).first()[0]
        # One row per k tried (segment.k_min..k_max).
        ks = rows(selection.where(F.col("model_version") == version).orderBy("k"))
        if ks:
            blocks.append(
                chart(
                    "k-curve",
                    f"Silhouette and KMeans cost per k for model {version}; the chosen k is marked.",
                    lambda fig: k_chart(fig, ks),
                )
            )
    blocks.append(
        chart(
            "segment-sizes",
            "Customers per segment at the latest snapshot.",
            lambda fig: sizes_chart(fig, sizes),
        )
    )
    section.grid(blocks)
    section.add(
        table(
            ["segment", "name", "customers", "share", "churn rate", "default rate", "mean expected value"],
            [
                (
                    r.segment_id,
                    r.segment_name,
                    r.customers,
                    r.share,
                    r.churn_rate,
                    r.default_rate,
                    r.mean_expected_value,
                )
                for r in sizes
            ],
            2,
        )
    )
    return section


def heatmap_chart(figure, sizes, stats) -> None:
    features = sorted({r.feature for r in stats})
    names = {r.segment_id: f"{r.segment_id} {r.segment_name}" for r in sizes}
    ids = sorted(names)
    ratio = np.full((len(ids), len(features)), np.nan)
    for r in stats:
        if r.segment_id in names and r.ratio_to_population is not None:
            ratio[ids.index(r.segment_id), features.index(r.feature)] = r.ratio_to_population
    shown = np.log2(np.clip(ratio, 1 / 8, 8))
    axes = figure.add_subplot()
    image = axes.imshow(shown, cmap="RdBu_r", vmin=-3, vmax=3, aspect="auto")
    for i in range(len(ids)):
        for j in range(len(features)):
            if not np.isnan(ratio[i, j]):
                axes.text(j, i, f"{ratio[i, j]:.1f}", ha="center", va="center", fontsize=6)
    axes.set_xticks(range(len(features)), features, rotation=60, ha="right", fontsize=7)
    axes.set_yticks(range(len(ids)), [names[i] for i in ids], fontsize=7)
    axes.grid(False)
    bar = figure.colorbar(image, ax=axes, ticks=[-3, -1, 0, 1, 3])
    bar.ax.set_yticklabels(["1/8", "1/2", "1", "2", "8"])
    bar.set_label("ratio to the population mean")
    label(axes, "Segment profiles", "feature", "segment")


def k_chart(figure, ks) -> None:
    axes = figure.add_subplot()
    k = [r.k for r in ks]
    axes.plot(k, [r.silhouette for r in ks], marker="o", color="#2b6cb0", label="silhouette")
    chosen = [r for r in ks if r.chosen]
    if chosen:
        axes.scatter(
            [chosen[0].k],
            [chosen[0].silhouette],
            s=160,
            facecolors="none",
            edgecolors="#c53030",
            linewidths=2,
            label=f"chosen k = {chosen[0].k}",
            zorder=3,
        )
    axes.set_xticks(k)
    cost = axes.twinx()
    cost.plot(k, [r.training_cost for r in ks], marker="s", linestyle="--", color="#718096", label="cost")
    cost.set_ylabel("KMeans cost (sum of squared distances, standardised units)")
    cost.grid(False)
    lines = axes.get_legend_handles_labels()
    more = cost.get_legend_handles_labels()
    axes.legend(lines[0] + more[0], lines[1] + more[1], fontsize=8)
    label(axes, "Choosing k", "k (segments)", "silhouette (-1 to 1)")


def sizes_chart(figure, sizes) -> None:
    axes = figure.add_subplot()
    ordered = sorted(sizes, key=lambda r: r.customers)
    axes.barh(
        [f"{r.segment_id} {r.segment_name}" for r in ordered], [r.customers for r in ordered], color="#2b6cb0"
    )
    for i, r in enumerate(ordered):
        axes.text(r.customers, i, f" {r.share:.0%}", va="center", fontsize=7)
    label(axes, "Segment sizes", "customers", "segment")
