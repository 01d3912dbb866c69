"""The look shared by every analyst chart: palette, fonts, layout, label wrapping, the "secret" mark.

Used by :mod:`analysis.charts` and by the other figure modules (verbatims, weighting); nothing
here reads a statistic, it only dresses figures. Database text is HTML-escaped (plotly reads a
small subset of HTML in its labels).
"""

from __future__ import annotations

import html
import json
from typing import Mapping

import plotly.graph_objects as go

from .formatting import SECRET, is_french, is_missing, label_of

#: scale of each indicator kind (colour scale bounds, axis range)
KIND_RANGE: dict[str, tuple[float, float]] = {"satisfied": (0, 100), "mean": (1, 5), "nps": (-100, 100),
                                              "mean10": (0, 10), "share": (0, 100)}

BLUE = "#000091"
LIGHT_BLUE = "#6a6af4"
GREY = "#3a3a3a"
FONT = "Marianne, Arial, sans-serif"
#: colour-blind-safe qualitative palette (Okabe–Ito), then plotly's defaults
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
           "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
#: sequential scale, light to dark blue (text colour is chosen by plotly for contrast)
HEAT_SCALE = [[0.0, "#f5f5fe"], [0.5, "#8585f6"], [1.0, "#000091"]]
#: diverging 5-point scale for answer distributions (1 = worst → 5 = best)
DIVERGING = ["#b2182b", "#ef8a62", "#d9d9d9", "#67a9cf", "#2166ac"]
#: the same for 0–10 scales (ColorBrewer RdBu, colour-blind safe; grey middle, visible on white) — issue 22
DIVERGING_11 = ["#67001f", "#b2182b", "#d6604d", "#f4a582", "#fddbc7", "#d9d9d9", "#d1e5f0", "#92c5de", "#4393c3",
                "#2166ac", "#053061"]

#: plotly's config object (passed to Plotly.newPlot by charts.js)
PLOTLY_CONFIG = {
    "responsive": True,
    "displaylogo": False,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


def _esc(text) -> str:
    return html.escape(str(text), quote=False)


def _wrap(text: str, width: int) -> str:
    """A long label on several lines (plotly's <br>), cut between words."""
    lines, line = [], ""
    for word in str(text).split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "<br>".join(lines)


def _name(labels: Mapping, code, width: int) -> str:
    """The escaped, wrapped label of a code, as drawn on an axis."""
    return _wrap(_esc(label_of(labels, code)), width)


def _base_layout(title: str, **extra) -> dict:
    # The page shows the title as a heading above the chart; the figure keeps it in ``meta``
    # (no second title drawn on the chart).
    layout = {
        "template": "none",
        "meta": {"title": _esc(title)},
        "font": {"family": FONT, "size": 13, "color": "#161616"},
        "separators": ", " if is_french() else ".,",
        "margin": {"l": 10, "r": 10, "t": 20, "b": 40},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "hoverlabel": {"font": {"family": FONT}},
    }
    layout.update(extra)
    return layout


def _secret_annotation(x, y, **extra) -> dict:
    # italic through font.style (CSSOM), not <i>: plotly turns <i> into a style="" attribute,
    # which the CSP (style-src 'self') blocks
    ann = {"x": x, "y": y, "text": SECRET(), "showarrow": False,
           "font": {"color": GREY, "size": 12, "style": "italic"}}
    ann.update(extra)
    return ann


def _suppressed(row) -> bool:
    return bool(row.get("suppressed", False)) if not is_missing(row.get("suppressed", False)) else True


def _key(code):
    """Join key for a cell code (NaN, the "not stated" cell, compares equal to itself)."""
    return None if is_missing(code) else code


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def figure_json(fig: go.Figure, config: Mapping | None = None) -> dict:
    """The figure as a JSON-ready dict {data, layout, config} for ``json_script``."""
    payload = json.loads(fig.to_json())
    payload["config"] = dict(config or PLOTLY_CONFIG)
    return payload
