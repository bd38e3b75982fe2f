"""Churn and risk: ROC, gains and lift by decile, calibration, baselines, importances, the risk-grade
distribution and drift (PSI), for the latest version of each trained model."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812 (our standard alias)

from crm_mining.config import Config
from crm_mining.report.charts import COLOURS, chart, label, percent_axis
from crm_mining.report.page import Section, table
from crm_mining.report.source import Source, latest, rows

MODEL_TABLES = ("gold.model_metrics", "gold.model_gains", "gold.model_calibration", "gold.model_importances")


def roc_from_gains(gains: list) -> tuple[list[float], list[float]]:
    """ROC points (FPR, TPR) at the decile cut-offs, from (0, 0): the model ranks the test split into
    deciles of score, so 'flag the top d deciles' is one threshold. ``gains`` rows: decile, rows, events."""
    ordered = sorted(gains, key=lambda r: r["decile"])
    events = sum(r["events"] for r in ordered)
    non_events = sum(r["rows"] - r["events"] for r in ordered)
    fpr, tpr, tp, fp = [0.0], [0.0], 0, 0
    for r in ordered:
        tp += r["events"]
        fp += r["rows"] - r["events"]
        tpr.append(tp / events if events else 0.0)
        fpr.append(fp / non_events if non_events else 0.0)
    return fpr, tpr


def of_version(df: DataFrame, name: str, version: str) -> DataFrame:
    return df.where((F.col("model_name") == name) & (F.col("model_version") == version))


def models_section(source: Source, config: Config) -> Section:
    section = Section("models", "Churn and risk")
    frames = source.tables(*MODEL_TABLES)
    if frames is None:
        section.missing("Churn and risk models", "train")
    else:
        model_blocks(section, frames, config)
    risk = source.table("gold.risk_scores")
    section.heading("Risk grades and drift")
    blocks = []
    if risk is None:
        section.missing("Risk scores", "score")
    else:
        # Four grades at the latest scored snapshot.
        grades = rows(
            latest(risk)
            .groupBy("risk_grade")
            .agg(F.count(F.lit(1)).alias("customers"), F.avg("pd").alias("pd"))
            .orderBy("risk_grade")
        )
        if grades:
            blocks.append(
                chart(
                    "risk-grades",
                    "Customers per risk grade at the latest scored snapshot (grade cut-offs on PD: models.score.grade_cutoffs), with the mean PD.",
                    lambda fig: grades_chart(fig, grades),
                )
            )
    monitoring = source.table("gold.model_monitoring")
    if monitoring is None:
        section.missing("Drift monitoring", "score")
    else:
        # One row per model and variable at the latest snapshot.
        psi = rows(latest(monitoring).orderBy("model_name", F.desc("psi")))
        if psi:
            blocks.append(
                chart(
                    "psi",
                    "Population stability index of the score and each feature, reference (training) snapshot against the latest scored one.",
                    lambda fig: psi_chart(fig, psi, config),
                    size=(6.8, 4.8),
                )
            )
    section.grid(blocks)
    return section


def model_blocks(section: Section, frames: list[DataFrame], config: Config) -> None:
    """Per trained model (its latest version): metrics table, ROC, gains, calibration, importances."""
    metrics, gains, calibration, importances = frames
    # One row per trained model name (churn, risk): the latest version of each.
    versions = rows(
        metrics.groupBy("model_name").agg(F.max("model_version").alias("version")).orderBy("model_name")
    )
    for v in versions:
        name, version = v.model_name, v.version
        section.heading(f"{name} model {version} (test split)")
        # Bounded: 3 models x 10 deciles / bins; importances limited by config.
        met = rows(of_version(metrics, name, version).orderBy(F.desc("auc_roc")))
        gai = rows(of_version(gains, name, version).orderBy("model", "decile"))
        cal = rows(of_version(calibration, name, version).orderBy("model", "bin"))
        imp = rows(of_version(importances, name, version).orderBy("rank").limit(config.report.top_features))
        section.add(
            table(
                ["model", "rows", "events", "AUC-ROC", "AUC-PR", "KS", "Gini", "Brier"],
                [(m.model, m.rows, m.positives, m.auc_roc, m.auc_pr, m.ks, m.gini, m.brier) for m in met],
            )
        )
        by_model: dict[str, list] = {}
        for r in gai:
            by_model.setdefault(r.model, []).append(r)
        blocks = [
            chart(
                f"roc-{name}",
                "ROC at the score-decile cut-offs of the test split, for the GBT and its baselines; AUC from every distinct score.",
                lambda fig, by_model=by_model, met=met, name=name: roc_chart(fig, by_model, met, name),
            ),
        ]
        if "gbt" in by_model:
            blocks.append(
                chart(
                    f"gains-{name}",
                    "GBT test split in deciles of score (1 = highest): lift per decile and cumulative share of events captured.",
                    lambda fig, g=by_model["gbt"], name=name: gains_chart(fig, g, name),
                )
            )
        gbt_cal = [r for r in cal if r.model == "gbt"]
        if gbt_cal:
            blocks.append(
                chart(
                    f"calibration-{name}",
                    "Mean predicted probability against the observed event rate in 10 equal-width bins (test split); point size = rows.",
                    lambda fig, c=gbt_cal, name=name: calibration_chart(fig, c, name),
                )
            )
        if imp:
            blocks.append(
                chart(
                    f"importances-{name}",
                    f"The {len(imp)} most important GBT features (impurity importance, sums to 1 over all features).",
                    lambda fig, imp=imp, name=name: importance_chart(fig, imp, name),
                )
            )
        section.grid(blocks)


def roc_chart(figure, by_model, met, name) -> None:
    axes = figure.add_subplot()
    auc = {m.model: m.auc_roc for m in met}
    for i, (model, g) in enumerate(sorted(by_model.items())):
        fpr, tpr = roc_from_gains([r.asDict() for r in g])
        axes.plot(
            fpr,
            tpr,
            marker="o",
            markersize=3,
            color=COLOURS[i],
            label=f"{model} (AUC {auc.get(model) or 0:.3f})",
        )
    axes.plot([0, 1], [0, 1], linestyle=":", color="#a0aec0", label="random")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1.01)
    axes.legend(fontsize=7, loc="lower right")
    label(
        axes,
        f"ROC, {name}",
        "false positive rate (share of non-events)",
        "true positive rate (share of events)",
    )


def gains_chart(figure, g, name) -> None:
    axes = figure.add_subplot()
    deciles = [r.decile for r in g]
    axes.bar(deciles, [r.lift for r in g], color="#2b6cb0", label="lift")
    axes.axhline(1.0, color="#a0aec0", linestyle=":")
    axes.set_xticks(deciles)
    gains = axes.twinx()
    gains.plot(deciles, [r.gains for r in g], marker="o", color="#c05621", label="cumulative gains")
    gains.set_ylim(0, 1.05)
    percent_axis(gains)
    gains.set_ylabel("events captured (cumulative %)")
    gains.grid(False)
    lines, more = axes.get_legend_handles_labels(), gains.get_legend_handles_labels()
    axes.legend(lines[0] + more[0], lines[1] + more[1], fontsize=8, loc="center right")
    label(
        axes, f"Gains and lift by decile, {name}", "score decile (1 = highest)", "lift (x the average rate)"
    )


def calibration_chart(figure, cal, name) -> None:
    axes = figure.add_subplot()
    total = sum(r.rows for r in cal) or 1
    axes.scatter(
        [r.mean_predicted for r in cal],
        [r.observed_rate for r in cal],
        s=[20 + 400 * r.rows / total for r in cal],
        color="#2b6cb0",
        alpha=0.8,
    )
    axes.plot([r.mean_predicted for r in cal], [r.observed_rate for r in cal], color="#2b6cb0", linewidth=1)
    axes.plot([0, 1], [0, 1], linestyle=":", color="#a0aec0", label="perfect calibration")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    percent_axis(axes)
    percent_axis(axes, "x")
    axes.legend(fontsize=8)
    label(axes, f"Calibration, {name}", "mean predicted probability", "observed event rate")


def importance_chart(figure, imp, name) -> None:
    axes = figure.add_subplot()
    ordered = imp[::-1]
    axes.barh([r.feature for r in ordered], [r.importance for r in ordered], color="#2f855a")
    axes.tick_params(axis="y", labelsize=7)
    label(axes, f"Feature importances, {name}", "importance (share of total)", "feature")


def grades_chart(figure, grades) -> None:
    axes = figure.add_subplot()
    axes.bar(
        [str(r.risk_grade) for r in grades],
        [r.customers for r in grades],
        color=["#2f855a", "#d69e2e", "#dd6b20", "#c53030"][: len(grades)],
    )
    for i, r in enumerate(grades):
        axes.text(i, r.customers, f"PD {r.pd:.1%}", ha="center", va="bottom", fontsize=7)
    label(axes, "Risk-grade distribution", "risk grade (1 = best)", "customers")


def psi_chart(figure, psi, config) -> None:
    monitor = config.models.monitor
    shown = sorted(psi, key=lambda r: r.psi)[-20:]  # the 20 largest: the rest are below them
    axes = figure.add_subplot()
    colour = {"alert": "#c53030", "warning": "#d69e2e"}
    axes.barh(
        [f"{r.model_name}: {r.variable}" for r in shown],
        [r.psi for r in shown],
        color=[colour.get(r.status, "#2f855a") for r in shown],
    )
    axes.axvline(monitor.psi_warning, color="#d69e2e", linestyle="--", label=f"warning {monitor.psi_warning}")
    axes.axvline(monitor.psi_alert, color="#c53030", linestyle="--", label=f"alert {monitor.psi_alert}")
    axes.tick_params(axis="y", labelsize=7)
    axes.legend(fontsize=7, loc="lower right")
    label(axes, "Drift (PSI), latest scored snapshot", "PSI (dimensionless)", "model: variable")
