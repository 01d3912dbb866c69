"""Plotly figures of the question pages (choices, numbers, matrices) and of the overview's curve.

Like :mod:`analysis.charts`: nothing here computes a statistic; the tables come suppressed. A
suppressed group draws nothing: its axis label says "secret", and the data table under the chart
(what a screen reader reaches) says why (:func:`secret_note`). Colours are the Okabe–Ito palette of
:data:`analysis.charts.PALETTE` (colour-blind safe). The question pages also use the dashboards'
own :func:`analysis.charts.bar_ci` (all respondents) and :func:`analysis.charts.heatmap` (answers ×
categories or channels, every value written in its cell).
"""

from __future__ import annotations

import re
from typing import Mapping

import pandas as pd
import plotly.graph_objects as go
from django.utils.translation import gettext as _

from . import charts

__all__ = ["secret_note", "secret_text", "number_ranges", "cumulative_lines"]


def secret_note(rec: Mapping, min_cell: int | None = None) -> str:
    """Why a cell is hidden: primary (too few answers) or protecting another cell (secondary, linked).

    ``min_cell``: the threshold to quote; by default the one written in the reason ("primary: n < 5").
    """
    reason = str(rec.get("suppression_reason") or "")
    if reason.startswith("primary"):
        if min_cell is None:
            found = re.search(r"\d+", reason)
            min_cell = int(found.group()) if found else 5
        return _("secret primaire : moins de %(k)s réponses") % {"k": min_cell}
    return _("secret secondaire : masquée pour protéger une autre case")


def secret_text(rec: Mapping) -> str:
    """« secret¹ » (primary) or « secret² » (protects another cell): the table's footnote marks."""
    reason = str(rec.get("suppression_reason") or "")
    return charts.SECRET() + ("\u00b9" if reason.startswith("primary") else "\u00b2")


def _colour(k: int) -> str:
    palette = [c for c in charts.PALETTE[:8] if c != "#F0E442"]  # yellow: too pale on white for bars
    return palette[k % len(palette)]


def _layout(title: str, n_rows: int, **extra) -> dict:
    return charts._base_layout(title, height=max(260, 110 + 28 * n_rows), **extra)


def number_ranges(table: pd.DataFrame, *, group: str, group_labels: Mapping, title: str,
                  value_label: str) -> go.Figure:
    """Per group: the interquartile range as a bar, the median as a tick, the mean with its interval."""
    rows = []
    for gcode, glabel in group_labels.items():
        part = table[table[group].map(charts._key) == charts._key(gcode)] if len(table) else table
        if len(part):
            rows.append((charts._wrap(charts._esc(glabel), 30), part.iloc[0].to_dict()))
    y, base, width, med, mean, plus, minus, custom = [], [], [], [], [], [], [], []
    for name, rec in rows:
        hidden = bool(rec.get("suppressed", False)) or charts.is_missing(rec.get("value"))
        y.append(name + (f" ({charts.SECRET()})" if hidden and bool(rec.get("suppressed", False)) else ""))
        if hidden:
            for lst in (base, width, med, mean, plus, minus):
                lst.append(None)
            custom.append(["", "", "", ""])
            continue
        q1, q3, v = rec.get("q1"), rec.get("q3"), float(rec["value"])
        base.append(float(q1)), width.append(float(q3) - float(q1)), med.append(float(rec["median"]))
        mean.append(v)
        lo, hi = rec.get("ci_low"), rec.get("ci_high")
        plus.append(None if charts.is_missing(hi) else float(hi) - v)
        minus.append(None if charts.is_missing(lo) else v - float(lo))
        custom.append([charts.fmt_n(rec.get("n")), charts.ci_text(lo, hi, "mean"), charts.fmt_value(q1, "mean"),
                       charts.fmt_value(q3, "mean")])
    traces = [
        go.Bar(x=width, base=base, y=y, orientation="h", name=_("Quartiles (Q1 à Q3)"),
               marker={"color": charts._rgba(_colour(4), 0.45), "line": {"color": _colour(0), "width": 1}},
               customdata=custom, hovertemplate="%{y}<br>Q1 – Q3 : %{customdata[2]} – %{customdata[3]}<extra></extra>"),
        go.Scatter(x=med, y=y, mode="markers", name=_("Médiane"),
                   marker={"symbol": "line-ns", "size": 22, "line": {"color": "#161616", "width": 3}},
                   hovertemplate="%{y}<br>" + _("Médiane") + " : %{x}<extra></extra>"),
        go.Scatter(x=mean, y=y, mode="markers", name=_("Moyenne (IC à 95 %)"), customdata=custom,
                   marker={"symbol": "diamond", "size": 11, "color": _colour(5)},
                   error_x={"type": "data", "array": plus, "arrayminus": minus, "symmetric": False,
                            "color": _colour(5), "thickness": 1.5, "width": 5},
                   hovertemplate=("%{y}<br>" + _("Moyenne") + " : %{x}<br>" + _("IC à 95 %")
                                  + " : %{customdata[1]}<br>n = %{customdata[0]}<extra></extra>")),
    ]
    return go.Figure(traces, layout=_layout(
        title, 2 * len(y), barmode="overlay",
        legend={"orientation": "h", "y": -0.15, "yanchor": "top"},
        xaxis={"title": {"text": charts._esc(value_label)}, "gridcolor": "#e5e5e5", "automargin": True,
               "rangemode": "tozero"},
        yaxis={"autorange": "reversed", "automargin": True},
        margin={"l": 10, "r": 10, "t": 20, "b": 90},
    ))


def cumulative_lines(table: pd.DataFrame, *, wave_labels: Mapping, title: str) -> go.Figure:
    """Complete responses over time, cumulated, one line per wave (``table``: wave, day, n, cumulative)."""
    traces = []
    for k, (code, label) in enumerate(wave_labels.items()):
        part = table[table["wave"] == code] if len(table) else table
        if not len(part):
            continue
        traces.append(go.Scatter(
            x=[str(d) for d in part["day"]], y=[int(v) for v in part["cumulative"]], mode="lines+markers",
            name=charts._esc(label), showlegend=True, line={"color": _colour(k), "width": 2, "shape": "hv"},
            marker={"size": 5},
            hovertemplate=charts._esc(label) + "<br>%{x}<br>" + _("réponses complètes cumulées") + " : %{y}<extra></extra>"))
    return go.Figure(traces, layout=charts._base_layout(
        title, height=340, legend={"orientation": "h", "y": -0.2, "yanchor": "top"},
        xaxis={"type": "date", "automargin": True, "gridcolor": "#e5e5e5"},
        yaxis={"title": {"text": _("réponses complètes cumulées")}, "rangemode": "tozero", "gridcolor": "#e5e5e5",
               "automargin": True},
        margin={"l": 10, "r": 10, "t": 20, "b": 80},
    ))
