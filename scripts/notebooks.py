"""Write notebooks/ from the stage registry: an overview that runs the pipeline, and one per stage.

Each is a Databricks source-format notebook with no logic of its own: widgets (conf, lakehouse, set)
give the config, one cell runs the stage, and one cell per table it writes `display()`s the table.
Run it after adding a stage (a test checks the notebooks are current):

    .venv/bin/python scripts/notebooks.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

from crm_mining import __version__  # noqa: E402
from crm_mining.stages import STAGES, Stage  # noqa: E402

FOLDER = Path(__file__).resolve().parents[1] / "notebooks"
CELL = "\n\n# COMMAND ----------\n\n"
WHEEL = f"/Volumes/main/crm/raw/wheels/crm_mining-{__version__}-py3-none-any.whl"
WIDGETS = (
    "Widgets: `conf` (a YAML path or an environment name, default `databricks`), `lakehouse` (the lake "
    "root), `set` (`section.key=value` overrides separated by `;`)."
)


def markdown(*lines: str) -> str:
    return "\n".join(f"# MAGIC {line}".rstrip() for line in lines)


def header(title: str, *lines: str) -> str:
    return "# Databricks notebook source\n" + markdown("%md", f"# {title}", *lines, "", WIDGETS)


def tables_text(names: tuple[str, ...]) -> str:
    return ", ".join(f"`{n}`" for n in names) or "none"


def stage_notebook(stage: Stage) -> str:
    imports = "lake_table, notebook_config" if stage.writes else "notebook_config"
    cells = [
        header(
            f"crm-mining {stage.name}",
            stage.help[0].upper() + stage.help[1:] + ".",
            "",
            f"Reads {tables_text(stage.reads)}; writes {tables_text(stage.writes)}.",
        ),
        markdown(f"%pip install {WHEEL}"),
        f"from crm_mining.notebook import {imports}\n"
        "from crm_mining.stages import stage\n\n"
        'config = notebook_config(globals().get("dbutils"))',
        # Its own cell, so the tables can be looked at again without running the stage again.
        f'summary = stage("{stage.name}").run_marked(spark, config)\nsummary',
        *(f'display(lake_table(spark, config, "{name}"))' for name in stage.writes),
    ]
    return CELL.join(cells) + "\n"


def overview_notebook() -> str:
    cells = [
        header(
            "crm-mining: the whole pipeline",
            "Every stage of the stage registry (`crm_mining.stages`), in its order, audited in "
            "`ops.pipeline_runs`; the notebooks numbered after this one run one stage each.",
        ),
        markdown(f"%pip install {WHEEL}"),
        "from crm_mining.notebook import notebook_config, run_rows\n"
        "from crm_mining.pipeline import run_pipeline\n\n"
        'config = notebook_config(globals().get("dbutils"))\n'
        "summary = run_pipeline(spark, config)\n"
        'summary["summary_file"]',
        'display(run_rows(spark, config, summary["run_id"]))',
    ]
    return CELL.join(cells) + "\n"


def notebooks() -> dict[str, str]:
    built = [s for s in STAGES if s.built]
    files = {"00_pipeline.py": overview_notebook()}
    files |= {f"{n:02d}_{s.name}.py": stage_notebook(s) for n, s in enumerate(built, start=1)}
    return files


if __name__ == "__main__":
    wanted = notebooks()
    for stale in FOLDER.glob("*.py"):
        if stale.name not in wanted:
            stale.unlink()
    for name, text in wanted.items():
        (FOLDER / name).write_text(text)
    print(f"wrote {len(wanted)} notebooks to {FOLDER}")
