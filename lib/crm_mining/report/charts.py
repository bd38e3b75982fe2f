"""Charts as inline SVG (matplotlib, Agg backend): no JavaScript, no CDN, no fonts to fetch.

Text is drawn as paths (``svg.fonttype = path``), so the report looks the same on a closed network.
Every chart is a ``<figure class="chart" data-chart=NAME>`` holding one ``<svg>``; the browser test
finds them by that class.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")
from matplotlib import pyplot as plt  # noqa: E402 (the backend is chosen first)
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

plt.rcParams.update(
    {
        "svg.fonttype": "path",
        "svg.hashsalt": "crm-mining",  # stable ids: the same data gives the same file
        "font.size": 9,
        "axes.titlesize": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
    }
)

COLOURS = plt.get_cmap("tab10").colors


def svg_of(figure: Figure) -> str:
    """The figure as an inline ``<svg>`` element (no XML prolog or doctype), closed afterwards."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def chart(
    name: str, caption: str, draw: Callable[[Figure], None], size: tuple[float, float] = (6.4, 3.6)
) -> str:
    """A ``<figure>`` with the chart ``draw`` makes on a fresh figure of ``size`` inches."""
    figure = plt.figure(figsize=size)
    draw(figure)
    slug = re.sub(r"[^a-z0-9_-]+", "-", name.lower())
    return (
        f'<figure class="chart" data-chart="{slug}">{svg_of(figure)}'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def label(axes: Axes, title: str, x: str, y: str) -> None:
    axes.set_title(title)
    axes.set_xlabel(x)
    axes.set_ylabel(y)


def percent_axis(axes: Axes, which: str = "y") -> None:
    from matplotlib.ticker import PercentFormatter

    (axes.yaxis if which == "y" else axes.xaxis).set_major_formatter(PercentFormatter(1.0))
