"""The HTML page: sections of charts and tables in one file, styled inline, with no external resource."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1f2933;background:#f5f7fa}
header{background:#102a43;color:#fff;padding:18px 32px}header h1{margin:0;font-size:24px}
header p{margin:4px 0 0;color:#bcccdc;font-size:13px}
nav{padding:8px 32px;background:#243b53}nav a{color:#d9e2ec;margin-right:18px;font-size:13px;text-decoration:none}
main{padding:8px 32px 40px;max-width:1400px}
section{background:#fff;border-radius:6px;padding:12px 20px;margin:18px 0;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h2{margin:6px 0 10px;font-size:20px;color:#102a43}h3{font-size:15px;margin:14px 0 6px;color:#334e68}
.grid{display:flex;flex-wrap:wrap;gap:12px}
figure.chart{margin:0;padding:6px;border:1px solid #e4e7eb;border-radius:4px;background:#fff;max-width:100%}
figure.chart svg{display:block;max-width:100%;height:auto}
figcaption{font-size:12px;color:#52606d;max-width:620px;margin-top:4px}
table{border-collapse:collapse;font-size:12px;margin:6px 0 12px}
th,td{border-bottom:1px solid #e4e7eb;padding:3px 8px;text-align:right}th{background:#f0f4f8}
td.text,th.text{text-align:left}
.missing{color:#8a4b00;background:#fff7e6;border-left:4px solid #f0b429;padding:6px 10px;font-size:13px}
.note{font-size:12px;color:#52606d}
"""


@dataclass
class Section:
    """One section: an id for the menu, a title, and its blocks (charts, tables, notes) in order."""

    key: str
    title: str
    blocks: list[str] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)

    def add(self, block: str) -> None:
        self.blocks.append(block)

    def chart(self, block: str) -> None:
        self.charts.append(block.split('data-chart="', 1)[1].split('"', 1)[0])
        self.blocks.append(block)

    def heading(self, text: str) -> None:
        self.blocks.append(f"<h3>{html.escape(text)}</h3>")

    def missing(self, what: str, stage: str) -> None:
        """Say that ``what`` needs a stage that has not run, instead of failing."""
        self.blocks.append(
            f'<p class="missing">{html.escape(what)}: not run yet: run <code>crm-mining {stage}</code></p>'
        )

    def note(self, text: str) -> None:
        self.blocks.append(f'<p class="note">{html.escape(text)}</p>')

    def grid(self, blocks: Sequence[str]) -> None:
        for block in blocks:
            if 'data-chart="' in block:
                self.charts.append(block.split('data-chart="', 1)[1].split('"', 1)[0])
        self.blocks.append(f'<div class="grid">{"".join(blocks)}</div>')


def table(headers: Sequence[str], body: Sequence[Sequence[object]], text_columns: int = 1) -> str:
    """An HTML table; the first ``text_columns`` columns are left-aligned, numbers formatted."""

    def cell(value: object, index: int) -> str:
        kind = "text" if index < text_columns else "num"
        return f'<td class="{kind}">{html.escape(fmt(value))}</td>'

    head = "".join(
        f'<th class="{"text" if i < text_columns else "num"}">{html.escape(h)}</th>'
        for i, h in enumerate(headers)
    )
    rows = "".join("<tr>" + "".join(cell(v, i) for i, v in enumerate(r)) + "</tr>" for r in body)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def fmt(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list | tuple):
        return ", ".join(fmt(v) for v in value)
    return str(value)


def page(title: str, subtitle: str, sections: Sequence[Section]) -> str:
    menu = "".join(f'<a href="#{s.key}">{html.escape(s.title)}</a>' for s in sections)
    body = "".join(
        f'<section id="{s.key}"><h2>{html.escape(s.title)}</h2>{"".join(s.blocks)}</section>'
        for s in sections
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)}</p></header>"
        f"<nav>{menu}</nav><main>{body}</main></body></html>"
    )
