"""The report built from the sample lake, opened in headless Chromium (Debian's /usr/bin/chromium driven
by the Python playwright package, no browser download): every chart renders, no console errors.

The sample lake is copied first, so the stages this test runs (rules, segment, train, score, cube) never
change the tables other test modules read; tables they already wrote are reused.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
from pathlib import Path

import pytest

from crm_mining.config import Config
from crm_mining.tables import Lake

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As root, on a closed network: no sandbox, no GPU, no background connections (they are refused).
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Set REPORT_SCREENSHOT=docs/report.png to refresh the README's screenshot.
SCREENSHOT = os.environ.get("REPORT_SCREENSHOT")
EXPECTED_CHARTS = {
    "ingest-accounting", "quarantine-reasons", "coverage", "product-depth", "rules-network",
    "offer-evaluation", "exclusion-validation", "segment-profiles", "k-curve", "segment-sizes", "roc-churn", "gains-churn",
    "calibration-churn", "importances-churn", "roc-risk", "gains-risk", "calibration-risk",
    "importances-risk", "risk-grades", "psi", "stage-mix", "funnel", "transitions", "value-by-stage",
    "value-by-segment",
}  # fmt: skip


# The 24-month sample has one snapshot whose 12-month default window has closed (about 9 defaulters): a
# random split with 30% each for validation and test, and at least one defaulter in each, still trains.
RISK_SPLIT = {"method": "random", "validation_fraction": 0.3, "test_fraction": 0.3, "min_per_class": 1}


def replaced(config: Config, section: str, **changes) -> Config:
    return dataclasses.replace(config, **{section: dataclasses.replace(getattr(config, section), **changes)})


@pytest.fixture(scope="module")
def report(spark, sample_lake, tmp_path_factory):
    from crm_mining.cube import build_cube
    from crm_mining.models import score_customers, train_models
    from crm_mining.report import build_report
    from crm_mining.rules import mine_rules
    from crm_mining.segment import segment_customers

    root = tmp_path_factory.mktemp("report") / "lakehouse"
    shutil.copytree(sample_lake.lake.root, root, ignore=shutil.ignore_patterns("landing", "_checkpoints"))
    config = dataclasses.replace(sample_lake, lake=dataclasses.replace(sample_lake.lake, root=str(root)))
    lake = Lake(config)
    # The cheapest settings that still exercise every chart: a small k range, 2 hyperopt trials, and a
    # random split for risk (the 24-month sample has one closed 12-month default window, see test_models_e2e).
    config = replaced(config, "segment", k_min=3, k_max=4, stability_check=False)
    models = config.models
    config = replaced(
        config,
        "models",
        tuning=dataclasses.replace(models.tuning, max_evals=2, startup_trials=1),
        risk=dataclasses.replace(models.risk, split=dataclasses.replace(models.risk.split, **RISK_SPLIT)),
    )
    if not lake.exists(spark, "gold.cross_sell_rules"):
        mine_rules(spark, config)
    if not lake.exists(spark, "gold.segment_profiles"):
        segment_customers(spark, config)
    if not lake.exists(spark, "gold.risk_scores"):
        train_models(spark, config)
        score_customers(spark, config)
    cube = build_cube(spark, config)
    return config, cube, build_report(spark, config)


def test_the_report_names_every_chart_and_misses_nothing(report):
    _, _, summary = report
    html = Path(summary["path"]).read_text()
    assert set(summary["sections"]) == {"quality", "crosssell", "segments", "models", "lifecycle", "value"}
    charts = {name for names in summary["sections"].values() for name in names}
    assert charts == EXPECTED_CHARTS
    assert "not run yet" not in html
    # Offline: nothing is fetched, and no script runs.
    # (SVG namespace names such as xmlns="http://www.w3.org/2000/svg" are names, not fetches.)
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:|url\(\s*["']?https?:|@import""", html)
    assert "<script" not in html


def test_the_cube_total_equals_the_customers_at_the_latest_snapshot(spark, report):
    from pyspark.sql import functions as F  # noqa: N812

    config, cube, _ = report
    lake = Lake(config)
    latest = lake.read(spark, "gold.customer_features").agg(F.max("snapshot_date")).first()[0]
    customers = lake.read(spark, "gold.customer_features").where(F.col("snapshot_date") == latest).count()
    assert cube["latest_customers"] == customers
    assert cube["missing_inputs"] == []


@pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (scripts/setup.sh)"
)
def test_every_chart_renders_in_headless_chromium_without_console_errors(report, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    from PIL import Image

    _, _, summary = report
    problems: list[str] = []
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on(
            "console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None
        )
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
        page.goto(Path(summary["path"]).as_uri(), wait_until="load")
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        if SCREENSHOT:
            page.screenshot(path=SCREENSHOT, full_page=True)
        figures = page.locator("figure.chart")
        assert figures.count() == summary["charts"]
        for i in range(figures.count()):
            figure = figures.nth(i)
            name = figure.get_attribute("data-chart")
            box = figure.locator("svg").bounding_box()
            assert box and box["width"] > 200 and box["height"] > 150, f"{name}: svg box {box}"
            shot = tmp_path / f"{name}.png"
            figure.locator("svg").screenshot(path=str(shot))
            image = Image.open(shot).convert("L")
            drawn = sum(1 for p in image.getdata() if p < 200) / (image.width * image.height)
            assert drawn > 0.01, f"{name}: only {drawn:.2%} of the chart is drawn"
        browser.close()
    assert problems == []
    assert Image.open(tmp_path / "report.png").height > 3000  # the full page, not the viewport
