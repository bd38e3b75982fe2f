"""Cross-sell: coverage against targets with the gaps, product depth against activity and churn, the
rules network, the top rules, next-best-offer against its baselines, and the risk-rule exclusions."""

from __future__ import annotations

import numpy as np
from matplotlib import cm, colors
from matplotlib.patches import FancyArrowPatch
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)

from crm_mining.config.report import ReportSettings
from crm_mining.report.charts import COLOURS, chart, label, percent_axis
from crm_mining.report.page import Section, table
from crm_mining.report.source import Source, latest, rows


def crosssell_section(source: Source, settings: ReportSettings) -> Section:
    section = Section("crosssell", "Cross-sell")
    blocks = []
    coverage = source.table("gold.product_coverage")
    if coverage is None:
        section.missing("Product coverage", "rules")
    else:
        # One row per product (12 and TOTAL).
        cov = rows(latest(coverage).orderBy(F.desc("holders")))
        if cov:
            blocks.append(
                chart(
                    "coverage",
                    f"Share of each product's holders who also hold {cov[0].target_product}, against the target; labels = customers in the gap.",
                    lambda fig: coverage_chart(fig, cov),
                    size=(6.8, 3.8),
                )
            )
    depth = source.table("gold.product_depth")
    if depth is None:
        section.missing("Product depth", "rules")
    else:
        # Four rows: 1, 2, 3, 4+ products.
        dep = rows(latest(depth).orderBy("products_held"))
        if dep:
            blocks.append(
                chart(
                    "product-depth",
                    "Activity (a transaction in 90 days), churn and default rate by number of products held; churn and default over labelled customers.",
                    lambda fig: depth_chart(fig, dep),
                )
            )
    section.grid(blocks)

    rules = source.table("gold.cross_sell_rules")
    if rules is None:
        section.missing("Cross-sell rules", "rules")
    else:
        products = latest(rules).where(F.col("basket_source") == "products")
        # The strongest ``top_rules`` rules by lift: bounded by config.
        top = rows(products.orderBy(F.desc("lift"), F.desc("confidence")).limit(settings.top_rules))
        if top:
            section.grid(
                [
                    chart(
                        "rules-network",
                        "Products as nodes, rules as arrows from each antecedent product to the consequent: width = lift, colour = confidence.",
                        lambda fig: network_chart(fig, top),
                        size=(6.4, 5.6),
                    )
                ]
            )
            section.heading(f"Top {len(top)} rules by lift (snapshot {top[0].snapshot_date})")
            section.add(
                table(
                    ["if the customer holds", "then also", "support", "confidence", "lift", "customers"],
                    [
                        (
                            " + ".join(r.antecedent),
                            " + ".join(r.consequent),
                            r.support,
                            r.confidence,
                            r.lift,
                            r["count"],
                        )
                        for r in top
                    ],
                    2,
                )
            )
        else:
            section.note("The rules stage found no product rules at the latest snapshot.")

    section.heading("Next-best-offer against the baselines")
    evaluation = source.table("gold.offer_evaluation")
    if evaluation is None:
        section.missing("Offer evaluation", "rules")
    else:
        # Three rows per evaluation snapshot (rules, popularity, random).
        ev = rows(latest(evaluation).orderBy("method"))
        if ev:
            section.grid(
                [
                    chart(
                        "offer-evaluation",
                        f"Top-{ev[0].k} offers at {ev[0].snapshot_date} against the products customers opened in the next {ev[0].horizon_months} months ({ev[0].customers:,} customers).",
                        lambda fig: evaluation_chart(fig, ev),
                    )
                ]
            )
        else:
            section.note("No evaluation snapshot had later products opened.")

    section.heading("Risk-rule exclusions")
    exclusions, validation, risk_rules = (
        source.table(n) for n in ("gold.offer_exclusions", "gold.exclusion_validation", "gold.risk_rules")
    )
    if exclusions is None:
        section.missing("Offer exclusions", "rules")
        return section
    # One row per reason code.
    reasons = rows(
        latest(exclusions)
        .groupBy("reason")
        .agg(F.countDistinct("customer_id").alias("customers"))
        .orderBy(F.desc("customers"))
    )
    blocks = []
    if validation is not None:
        val = rows(latest(validation))  # four groups
        if val:
            blocks.append(
                chart(
                    "exclusion-validation",
                    f"Default rate within the default horizon after {val[0].snapshot_date}: customers excluded from offers against those kept.",
                    lambda fig: validation_chart(fig, val),
                )
            )
    else:
        section.note("Exclusion validation needs a snapshot whose default window has closed.")
    section.add(table(["reason", "customers excluded"], [(r.reason, r.customers) for r in reasons]))
    section.grid(blocks)
    if risk_rules is not None:
        # The excluding rules are few (bounded by the risk rule limits); show the strongest.
        excluding = rows(
            latest(risk_rules).where("excludes").orderBy(F.desc("lift")).limit(settings.top_rules)
        )
        if excluding:
            section.add(
                table(
                    ["attributes", "risk level", "support", "confidence", "lift"],
                    [
                        (" + ".join(r.antecedent), r.risk_level, r.support, r.confidence, r.lift)
                        for r in excluding
                    ],
                )
            )
    return section


def coverage_chart(figure, cov) -> None:
    axes = figure.add_subplot()
    names = [r["product"] for r in cov]
    x = np.arange(len(names))
    axes.bar(
        x,
        [r.coverage_pct for r in cov],
        color=["#2b6cb0" if r["product"] != "TOTAL" else "#102a43" for r in cov],
    )
    targets = [(i, r.target_pct) for i, r in enumerate(cov) if r.target_pct is not None]
    if targets:
        axes.scatter(
            [i for i, _ in targets],
            [t for _, t in targets],
            marker="_",
            s=400,
            color="#c53030",
            linewidths=2.5,
            label="target",
            zorder=3,
        )
        axes.legend(fontsize=8)
    for i, r in enumerate(cov):
        if r.gap_customers:
            axes.text(i, r.coverage_pct + 1, f"{r.gap_customers:,}", ha="center", fontsize=7, color="#c53030")
    axes.set_xticks(x, names, rotation=40, ha="right")
    label(
        axes, f"{cov[0].target_product} coverage among each product's holders", "product held", "coverage (%)"
    )


def depth_chart(figure, dep) -> None:
    axes = figure.add_subplot()
    x = np.arange(len(dep))
    for i, (field, name) in enumerate(
        (("activity_rate", "active 90d"), ("churn_rate", "churn"), ("default_rate", "default"))
    ):
        axes.bar(
            x + (i - 1) * 0.27,
            [getattr(r, field) or 0.0 for r in dep],
            width=0.27,
            label=name,
            color=COLOURS[i],
        )
    axes.set_xticks(x, [f"{r.products_held}\n(n={r.customers:,})" for r in dep])
    percent_axis(axes)
    axes.legend(fontsize=8)
    label(axes, "Product depth against activity and churn", "products held", "rate (% of customers)")


def network_chart(figure, top) -> None:
    axes = figure.add_subplot()
    nodes = sorted({p for r in top for p in [*r.antecedent, *r.consequent]})
    angle = np.linspace(0, 2 * np.pi, len(nodes), endpoint=False)
    where = {n: (np.cos(a), np.sin(a)) for n, a in zip(nodes, angle, strict=True)}
    norm = colors.Normalize(vmin=min(r.confidence for r in top), vmax=max(r.confidence for r in top) + 1e-9)
    cmap = plt_cmap()
    lifts = [r.lift for r in top]
    low, high = min(lifts), max(lifts)
    for r in top:
        width = 0.8 + 4.0 * ((r.lift - low) / (high - low) if high > low else 0.5)
        for a in r.antecedent:
            for c in r.consequent:
                axes.add_patch(
                    FancyArrowPatch(
                        where[a],
                        where[c],
                        arrowstyle="-|>",
                        mutation_scale=12,
                        lw=width,
                        color=cmap(norm(r.confidence)),
                        alpha=0.8,
                        connectionstyle="arc3,rad=0.12",
                        shrinkA=14,
                        shrinkB=14,
                    )
                )
    for n, (x, y) in where.items():
        axes.scatter([x], [y], s=900, color="#edf2f7", edgecolors="#2d3748", zorder=3)
        axes.text(x, y, n, ha="center", va="center", fontsize=7, zorder=4)
    axes.set_xlim(-1.3, 1.3)
    axes.set_ylim(-1.3, 1.3)
    axes.set_aspect("equal")
    axes.axis("off")
    figure.colorbar(cm.ScalarMappable(norm=norm, cmap=cmap), ax=axes, shrink=0.7, label="confidence (share)")
    axes.set_title(f"Cross-sell rules network (top {len(top)} by lift {low:.2f}-{high:.2f}; width = lift)")


def plt_cmap():
    from matplotlib import colormaps

    return colormaps["viridis"]


def evaluation_chart(figure, ev) -> None:
    axes = figure.add_subplot()
    x = np.arange(len(ev))
    for i, field in enumerate(("hit_rate", "precision", "map")):
        axes.bar(
            x + (i - 1) * 0.27,
            [getattr(r, field) or 0.0 for r in ev],
            width=0.27,
            label=field.replace("_", " "),
            color=COLOURS[i],
        )
    axes.set_xticks(x, [r.method for r in ev])
    axes.set_ylim(0, 1)
    axes.legend(fontsize=8)
    label(axes, "Next-best-offer against popularity and random", "method", "score (0-1)")


def validation_chart(figure, val) -> None:
    axes = figure.add_subplot()
    names = [r.group.replace("_", " ") for r in val]
    axes.bar(
        names,
        [r.default_rate or 0.0 for r in val],
        color=["#c53030" if r.group != "kept" else "#2f855a" for r in val],
    )
    for i, r in enumerate(val):
        axes.text(i, (r.default_rate or 0.0), f"n={r.labelled:,}", ha="center", va="bottom", fontsize=7)
    percent_axis(axes)
    axes.tick_params(axis="x", labelsize=8)
    label(axes, "Later default rate: excluded vs kept", "group", "default rate (% of labelled)")
