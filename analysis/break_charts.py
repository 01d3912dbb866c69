"""Drawing series breaks on a trend figure (issue 18): no line across, a labelled marker.

A post-processing step on :func:`analysis.charts.trend_lines`'s figure, so the chart code itself
stays as it is: every full-width line (values and CI bands) is split into one trace per segment
between breaks (a band's fill stays paired with its own upper edge), and a dashed vertical line
between the two waves carries « rupture de série » and the reason.
"""

from __future__ import annotations

import copy
from typing import Mapping

import plotly.graph_objects as go
from django.utils.html import escape
from django.utils.translation import gettext as _


def _segments(n: int, cut_after: list[int]) -> list[tuple[int, int]]:
    bounds, start = [], 0
    for i in sorted(cut_after):
        bounds.append((start, i + 1))
        start = i + 1
    bounds.append((start, n))
    return [(a, b) for a, b in bounds if b > a]


def draw_breaks(fig: go.Figure, breaks: Mapping[tuple[str, str], str], wave_labels: Mapping[str, str]) -> go.Figure:
    """``fig`` with its lines cut at each (wave_a, wave_b) break and a marker with the reason."""
    waves = list(wave_labels)
    cuts = [waves.index(a) for (a, b) in breaks if a in waves and b in waves and waves.index(b) == waves.index(a) + 1]
    if not cuts:
        return fig
    n = len(waves)
    full = [t for t in fig.data if t.x is not None and len(t.x) == n and "lines" in (t.mode or "")]
    others = [t for t in fig.data if t not in full]
    traces = []
    for k, (a, b) in enumerate(_segments(n, cuts)):
        for t in full:
            seg = copy.deepcopy(t)
            seg.y = [v if a <= i < b else None for i, v in enumerate(t.y)]
            if k:
                seg.showlegend = False
            traces.append(seg)
    layout = fig.layout
    shapes, notes = list(layout.shapes or ()), list(layout.annotations or ())
    for (wa, wb), reason in breaks.items():
        if wa not in waves or wb not in waves or waves.index(wb) != waves.index(wa) + 1:
            continue
        x = waves.index(wa) + 0.5
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1,
                       "line": {"color": "#b34000", "width": 2, "dash": "dash"}})
        notes.append({"x": x, "y": 1, "xref": "x", "yref": "paper", "yanchor": "bottom", "showarrow": False,
                      "text": f"{_('rupture de série')}<br>{escape(reason)}", "font": {"color": "#b34000"},
                      "bgcolor": "#ffffff"})
    return go.Figure(traces + others, layout=layout.update(shapes=shapes, annotations=notes))
