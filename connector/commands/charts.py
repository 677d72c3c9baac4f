"""Charts for the HTML report: matplotlib figures as inline SVG that loads nothing and keeps text as text.

Matplotlib is imported inside the functions so that every other command starts without it.
Each SVG is made fit for inlining in an HTML page: no XML prolog or DOCTYPE, no namespace
URLs, ids prefixed per chart (several charts share one document), a `<title>` and `<desc>`
for screen readers, and sizes left to CSS so it shrinks on a phone.
"""

from __future__ import annotations

import html
import io
import math
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PROMOTER = "#1b7f62"
PASSIVE = "#8a8f98"
DETRACTOR = "#c4520f"
INK = "#1d2733"
MUTED = "#5b6675"
GRID = "#e3e7ec"
SERIES = ("#1f77b4", "#9467bd", "#e377c2", "#17becf", "#bcbd22", "#8c564b")
MAX_SEGMENT_LINES = len(SERIES)

_RC: dict[Any, Any] = {  # matplotlib types its keys as a Literal of every rcParam name
    "svg.fonttype": "none",  # text stays <text>: selectable, searchable, and no font embedded or loaded
    "svg.hashsalt": "nps-report",  # fixed clip-path/marker ids: the same data gives the same page
    "text.parse_math": False,  # a segment named "$x$" is text, not mathtext
    "font.size": 11,
    "axes.edgecolor": GRID,
    "axes.labelcolor": MUTED,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "legend.frameon": False,
}
_PROLOG = re.compile(r"<\?xml[^>]*\?>\s*|<!DOCTYPE[^>]*>\s*", re.DOTALL)
_ROOT = re.compile(r"<svg\b[^>]*>")
_VIEWBOX = re.compile(r'viewBox="0 0 ([\d.]+) ([\d.]+)"')
_DEFS_STYLE = re.compile(r"<defs>\s*<style[^>]*>.*?</style>\s*</defs>\s*", re.DOTALL)
_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'url\(#([^)]+)\)|xlink:href="#([^"]+)"')


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _svg(fig: Figure, key: str, title: str, desc: str) -> str:
    """The figure as an inline `<svg>` with ids prefixed by `key` and an accessible title and description."""
    buffer = io.StringIO()
    # No metadata block: no creation date (deterministic) and no creator URL in the page.
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    text = _PROLOG.sub("", buffer.getvalue())
    text = _DEFS_STYLE.sub("", text, count=1)  # its `*{stroke-linejoin…}` would style the whole page
    text = _ID.sub(lambda m: f'id="{key}-{m.group(1)}"', text)
    text = _REF.sub(
        lambda m: f"url(#{key}-{m.group(1)})" if m.group(1) else f'xlink:href="#{key}-{m.group(2)}"',
        text,
    )
    box = _VIEWBOX.search(text)
    width, height = (float(box.group(1)), float(box.group(2))) if box else (460.0, 230.0)
    # The natural size in CSS px (1 pt = 4/3 px) caps the width; CSS shrinks it to a phone's width.
    root = (
        f'<svg viewBox="0 0 {width:g} {height:g}" role="img" aria-labelledby="{key}-title {key}-desc" '
        f'class="chart" style="max-width:{math.ceil(width * 4 / 3)}px">'
        f'<title id="{key}-title">{html.escape(title)}</title><desc id="{key}-desc">{html.escape(desc)}</desc>'
    )
    return _ROOT.sub(lambda _: root, text, count=1).strip()


def _number(value: float | None) -> str:
    if value is None:
        return "no value"
    return f"{value:g}"


def trend_chart(months: Sequence[str], series: Mapping[str, Sequence[float | None]]) -> str:
    """Monthly rolling-window NPS: the portal (the first series) bold, each further series a thin line."""
    import matplotlib

    with matplotlib.rc_context(_RC):
        fig = _figure(6.4, 3.2)
        ax = fig.subplots()
        xs = list(range(len(months)))
        for i, (name, values) in enumerate(series.items()):
            ys = [math.nan if v is None else v for v in values]
            first = i == 0
            ax.plot(
                xs,
                ys,
                color=INK if first else SERIES[(i - 1) % len(SERIES)],
                linewidth=2.6 if first else 1.4,
                marker="o",
                markersize=4.5 if first else 3,
                label=_label(name),
                zorder=3 if first else 2,
            )
        ax.axhline(0, color=MUTED, linewidth=0.8, zorder=1)
        ax.set_xticks(xs, months, rotation=45, ha="right", fontsize=9)
        ax.set_ylabel("NPS")
        ax.grid(axis="y", color=GRID, linewidth=0.8)
        _pad_limits(ax, [v for values in series.values() for v in values if v is not None])
        if len(series) > 1:
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9)
        portal = next(iter(series.items()), ("", []))
        desc = "NPS at each month end, " + ", ".join(
            f"{m}: {_number(v)}" for m, v in zip(months, portal[1], strict=False)
        )
        return _svg(fig, "trend-chart", f"Rolling-window NPS by month ({portal[0]})", desc)


def _label(name: str) -> str:
    # A legend leaves out labels starting with "_"; a segment can be named so.
    return "\u200b" + name if name.startswith("_") else name


def _pad_limits(ax: Any, values: Sequence[float]) -> None:
    low = min([*values, 0.0])
    high = max([*values, 0.0])
    span = max(high - low, 20.0)
    ax.set_ylim(max(-100.0, low - span * 0.15), min(100.0, high + span * 0.15) + 0.5)


def distribution_chart(counts: Sequence[int]) -> str:
    """Bars of the voices per answer 0-10, coloured detractor (0-6), passive (7-8), promoter (9-10)."""
    import matplotlib
    from matplotlib.patches import Patch

    with matplotlib.rc_context(_RC):
        fig = _figure(6.4, 3.0)
        ax = fig.subplots()
        colours = [DETRACTOR if s <= 6 else PASSIVE if s <= 8 else PROMOTER for s in range(11)]
        bars = ax.bar(range(11), counts, color=colours, width=0.72)
        ax.bar_label(bars, labels=[str(c) for c in counts], padding=2, fontsize=9, color=INK)
        ax.set_xticks(range(11), [str(s) for s in range(11)])
        ax.set_xlabel("Answer (0-10)")
        ax.set_ylabel("Contacts")
        ax.set_ylim(0, max([*counts, 1]) * 1.15)
        ax.grid(axis="y", color=GRID, linewidth=0.8)
        ax.set_axisbelow(True)
        ax.legend(
            handles=[
                Patch(color=DETRACTOR, label="detractor 0-6"),
                Patch(color=PASSIVE, label="passive 7-8"),
                Patch(color=PROMOTER, label="promoter 9-10"),
            ],
            loc="upper left",
            fontsize=9,
        )
        desc = "Contacts per answer: " + ", ".join(f"{s}: {c}" for s, c in enumerate(counts))
        return _svg(fig, "distribution-chart", "Distribution of the NPS answers counted (0-10)", desc)


def benchmark_chart(portal: float | None, margin: float | None, benchmarks: Mapping[str, float]) -> str:
    """Horizontal bars: the portal NPS (with its margin of error) against each benchmark line."""
    import matplotlib

    with matplotlib.rc_context(_RC):
        names = ["This portal", *benchmarks]
        values = [portal, *benchmarks.values()]
        fig = _figure(6.4, 0.5 + 0.42 * len(names))
        ax = fig.subplots()
        ys = list(range(len(names)))[::-1]
        shown = [0.0 if v is None else v for v in values]
        colours = [INK, *([PASSIVE] * len(benchmarks))]
        ax.barh(ys, shown, color=colours, height=0.62)
        if portal is not None and margin is not None:
            ax.errorbar([portal], [ys[0]], xerr=[[margin], [margin]], fmt="none", ecolor=DETRACTOR, capsize=4)
        for y, v in zip(ys, values, strict=True):
            text = "no value" if v is None else f"{v:g}"
            ax.annotate(
                text,
                (0 if v is None else v, y),
                xytext=(4 if (v or 0) >= 0 else -4, 0),
                textcoords="offset points",
                ha="left" if (v or 0) >= 0 else "right",
                va="center",
                fontsize=9,
                color=INK,
            )
        ax.set_yticks(ys, [_label(n) for n in names])
        low = min([*shown, 0.0]) - (margin or 0) - 12
        high = max([*shown, 0.0]) + (margin or 0) + 12
        ax.set_xlim(max(-100.0, low), min(100.0, high))
        ax.axvline(0, color=MUTED, linewidth=0.8)
        ax.set_xlabel("NPS")
        ax.grid(axis="x", color=GRID, linewidth=0.8)
        ax.set_axisbelow(True)
        desc = f"Portal NPS {_number(portal)}; " + ", ".join(f"{n}: {v:g}" for n, v in benchmarks.items())
        return _svg(fig, "benchmark-chart", "Portal NPS against the benchmark lines", desc)
