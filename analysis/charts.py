"""Plotly figures drawn from indicator tables.

Every function takes a table already computed (and already suppressed) by
:mod:`analysis.indicators` / :mod:`analysis.disclosure` / :mod:`analysis.waves`, and returns a
:class:`plotly.graph_objects.Figure`. Nothing here computes a statistic: the functions only lay
the table's numbers out (a percentage share is multiplied by 100 for display, that is all).

Confidentiality: a suppressed cell's figures are already NaN in the table. Here it becomes a
*gap* (``None``) with the text "secret" written on it; its n is never written either. So the
figure JSON holds nothing the table hides.

Text coming from the database (category, channel, question labels) is HTML-escaped: plotly
interprets a small subset of HTML in its labels.

The page sends ``figure_json(fig)`` through ``json_script``; ``static/js/charts.js`` draws it with
the vendored plotly.js (no inline script, no CDN). Figures use the empty template ("none") and
set their own fonts and colours, which keeps the JSON small.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go
from django.utils.translation import gettext as _

from .chart_style import (  # noqa: F401 - BLUE, LIGHT_BLUE, _base_layout: used by other figure modules
    BLUE, DIVERGING, DIVERGING_11, GREY, HEAT_SCALE, KIND_RANGE, LIGHT_BLUE, PALETTE, PLOTLY_CONFIG, _base_layout,
    _esc, _key, _name, _rgba, _secret_annotation, _suppressed, _wrap, figure_json,
)
from .formatting import (  # noqa: F401 - re-exported: the tables beside the charts format with them
    SECRET, caution, ci_text, fmt_n, fmt_value, is_french, is_missing, label_of,
)

__all__ = [
    "KIND_RANGE",
    "SECRET",
    "fmt_value",
    "heatmap",
    "bar_ci",
    "trend_lines",
    "stacked_distribution",
    "figure_json",
    "PLOTLY_CONFIG",
]

# --------------------------------------------------------------------------------------------
# Heatmap: rows × columns of one indicator
# --------------------------------------------------------------------------------------------
def heatmap(
    table: pd.DataFrame,
    *,
    rows: str,
    cols: str,
    row_labels: Mapping,
    col_labels: Mapping,
    kind: str,
    title: str,
    value_label: str = "",
) -> go.Figure:
    """One indicator for rows × columns (e.g. channels × categories).

    ``table``: one line per observed cell with ``rows``, ``cols``, ``value``, ``ci_low``,
    ``ci_high``, ``n``, ``suppressed`` and optionally ``low_precision``. Rows and columns are
    shown in the order of ``row_labels``/``col_labels`` (codes → labels; a code absent from
    these mappings is not shown). A suppressed cell is a gap with "secret" written on it;
    a cell without responses stays blank.
    """
    row_codes = list(row_labels)
    col_codes = list(col_labels)
    index = {(r, c): rec for rec in table.to_dict("records")
             for r, c in [(_key(rec[rows]), _key(rec[cols]))]}
    y_names = [_name(row_labels, r, 32) for r in row_codes]
    x_names = [_name(col_labels, c, 14) for c in col_codes]
    z, text, custom, annotations = [], [], [], []
    for i, r in enumerate(row_codes):
        cells = [_heat_cell(index.get((_key(r), _key(c))), kind) for c in col_codes]
        z.append([cell[0] for cell in cells]), text.append([cell[1] for cell in cells])
        custom.append([cell[2] for cell in cells])
        annotations += [_secret_annotation(x_names[j], y_names[i]) for j, cell in enumerate(cells) if cell[3]]
    lo, hi = KIND_RANGE.get(kind, (None, None))
    trace = go.Heatmap(
        z=z, x=x_names, y=y_names, text=text, customdata=custom, texttemplate="%{text}",
        zmin=lo, zmax=hi, colorscale=HEAT_SCALE, hoverongaps=False, xgap=2, ygap=2,
        # no colour bar: every cell carries its value as text, and plotly draws the colour bar's
        # gradient with a style="" attribute that the CSP blocks
        showscale=False,
        hovertemplate=("%{y}<br>%{x}<br>" + _esc(value_label) + " : %{text}<br>"
                       + _("IC à 95 %") + " : %{customdata[1]}<br>n = %{customdata[0]}"
                       + "<br>%{customdata[2]}<extra></extra>"),
    )
    height = max(260, 90 + 44 * len(row_codes))
    fig = go.Figure(trace, layout=_base_layout(
        title, height=height, annotations=annotations,
        xaxis={"side": "top", "automargin": True, "tickangle": 0, "showgrid": False},
        yaxis={"autorange": "reversed", "automargin": True, "showgrid": False},
        margin={"l": 10, "r": 10, "t": 20, "b": 10},
    ))
    return fig


def _heat_cell(rec: dict | None, kind: str) -> tuple[float | None, str, list[str], bool]:
    """One heatmap cell: its value, text, hover data, and whether it is secret."""
    if rec is None:
        return None, "", ["", "", ""], False
    if _suppressed(rec):
        return None, "", ["", "", ""], True
    v = rec["value"]
    mark = "*" if bool(rec.get("low_precision", False)) else ""
    return (None if is_missing(v) else float(v), fmt_value(v, kind) + mark,
            [fmt_n(rec.get("n")), ci_text(rec.get("ci_low"), rec.get("ci_high"), kind),
             caution(rec.get("low_precision", False))], False)


# --------------------------------------------------------------------------------------------
# Bars with 95 % CI error bars
# --------------------------------------------------------------------------------------------
def bar_ci(
    table: pd.DataFrame,
    *,
    by: str,
    labels: Mapping,
    kind: str,
    title: str,
    value_label: str = "",
    total: pd.DataFrame | None = None,
    total_label: str | None = None,
) -> go.Figure:
    """Horizontal bars of one indicator per ``by`` value, with their 95 % CI as error bars.

    ``table``: ``by``, value, ci_low, ci_high, n, suppressed (+ low_precision); ``total``: an
    optional one-line table (same columns but ``by``) drawn first as "all". Bars follow the
    order of ``labels``; suppressed bars are gaps marked "secret"; low-precision bars are paler
    and carry an asterisk.
    """
    records = _bar_records(table, by, labels, total, total_label)
    y = [name for name, _rec in records]
    bars = [_bar(rec, kind) for _name_, rec in records]
    x, plus, minus, colors, text, custom = ([bar[i] for bar in bars] for i in range(6))
    annotations = [_secret_annotation(0, name, xanchor="left", xref="x") for name, rec in records if _suppressed(rec)]
    lo_range, hi_range = KIND_RANGE.get(kind, (None, None))
    if kind == "mean":
        lo_range = 1
    trace = go.Bar(
        x=x, y=y, orientation="h", marker={"color": colors}, text=text, textposition="inside",
        insidetextanchor="start", textfont={"color": "#ffffff"}, customdata=custom,
        error_x={"type": "data", "array": plus, "arrayminus": minus, "symmetric": False,
                 "color": "#161616", "thickness": 1.5, "width": 4},
        hovertemplate=("%{y}<br>" + _esc(value_label) + " : %{text}<br>" + _("IC à 95 %")
                       + " : %{customdata[1]}<br>n = %{customdata[0]}<br>%{customdata[2]}<extra></extra>"),
    )
    height = max(220, 70 + 36 * len(y))
    return go.Figure(trace, layout=_base_layout(
        title, height=height, annotations=annotations, showlegend=False,
        xaxis={"range": [lo_range, hi_range], "title": {"text": _esc(value_label)}, "zeroline": True,
               "gridcolor": "#e5e5e5", "automargin": True},
        yaxis={"autorange": "reversed", "automargin": True},
    ))


def _bar_records(table: pd.DataFrame, by: str, labels: Mapping, total: pd.DataFrame | None,
                 total_label: str | None) -> list[tuple[str, dict]]:
    """(axis name, record) of each bar to draw: the total first, then ``labels``' order."""
    records = []
    if total is not None and len(total):
        records.append((_wrap(_esc(total_label or _("Ensemble")), 32), total.iloc[0].to_dict()))
    index = {_key(rec[by]): rec for rec in table.to_dict("records")}
    return records + [(_name(labels, code, 32), index[_key(code)]) for code in labels if _key(code) in index]


def _bar(rec: dict, kind: str) -> tuple:
    """One bar: value, CI above and below, colour, text, hover data (a gap when secret or empty)."""
    if _suppressed(rec) or is_missing(rec.get("value")):
        return None, None, None, BLUE, "", ["", "", ""]
    v = float(rec["value"])
    lo, hi = rec.get("ci_low"), rec.get("ci_high")
    low_precision = bool(rec.get("low_precision", False))
    return (v, None if is_missing(hi) else float(hi) - v, None if is_missing(lo) else v - float(lo),
            LIGHT_BLUE if low_precision else BLUE, fmt_value(v, kind) + ("*" if low_precision else ""),
            [fmt_n(rec.get("n")), ci_text(lo, hi, kind), caution(low_precision)])


# --------------------------------------------------------------------------------------------
# Trends across waves
# --------------------------------------------------------------------------------------------
def trend_lines(
    table: pd.DataFrame,
    changes: pd.DataFrame | None = None,
    *,
    series: str,
    labels: Mapping,
    wave_labels: Mapping,
    kind: str,
    title: str,
    value_label: str = "",
    emphasis=None,
) -> go.Figure:
    """One line per ``series`` value across waves, with its 95 % CI as a shaded band.

    ``emphasis``: a ``series`` code drawn as a thicker black line (e.g. all respondents).

    ``table``: wave, ``series``, value, ci_low, ci_high, n, suppressed. ``changes``: the wave
    comparisons (:func:`analysis.waves.compare` output with ``series``, ``wave_a``, ``wave_b``);
    a significant change is marked by a star on the later wave. A suppressed point is a gap
    marked "secret".
    """
    waves = list(wave_labels)
    x_names = [_esc(wave_labels[w]) for w in waves]
    index = {(_key(rec["wave"]), _key(rec[series])): rec for rec in table.to_dict("records")}
    traces: list[go.BaseTraceType] = []
    secrets: dict[str, list[str]] = {}
    for k, code in enumerate(labels):
        main = emphasis is not None and _key(code) == _key(emphasis)
        colour = "#161616" if main else [c for c in PALETTE if c != "#000000"][k % (len(PALETTE) - 1)]
        name = _esc(label_of(labels, code))
        points = _trend_points(index, code, waves, x_names, kind)
        for xw in points["secret_at"]:
            secrets.setdefault(xw, []).append(name)
        if points["present"]:
            traces += _trend_series_traces(points, x_names, f"s{k}", name, colour, main, value_label)
    annotations = [_secret_annotation(xw, 0, yref="paper", yanchor="bottom", align="left",
                                      text="<br>".join(f"{n} : {SECRET()}" for n in names))
                   for xw, names in secrets.items()]
    stars = _significance_stars(changes, index, series, labels, wave_labels, kind)
    if stars is not None:
        traces.append(stars)
    lo, hi = KIND_RANGE.get(kind, (None, None))
    return go.Figure(traces, layout=_base_layout(
        title, height=480, annotations=annotations,
        legend={"orientation": "h", "y": -0.12, "yanchor": "top"},
        xaxis={"type": "category", "automargin": True},
        yaxis={"range": [lo, hi], "title": {"text": _esc(value_label)}, "gridcolor": "#e5e5e5", "automargin": True},
        margin={"l": 10, "r": 10, "t": 20, "b": 90},
    ))


def _trend_points(index: Mapping, code, waves: list, x_names: list[str], kind: str) -> dict:
    """One series' values, CI bounds, texts per wave; the waves where it is secret; whether it shows."""
    ys, lows, highs, text, custom, secret_at = [], [], [], [], [], []
    present = False
    for w, xw in zip(waves, x_names):
        rec = index.get((_key(w), _key(code)))
        if rec is None or _suppressed(rec) or is_missing(rec.get("value")):
            ys.append(None), lows.append(None), highs.append(None), text.append("")
            custom.append(["", "", ""])
            if rec is not None and _suppressed(rec):
                present = True
                secret_at.append(xw)
            continue
        present = True
        v = float(rec["value"])
        ys.append(v)
        lows.append(None if is_missing(rec.get("ci_low")) else float(rec["ci_low"]))
        highs.append(None if is_missing(rec.get("ci_high")) else float(rec["ci_high"]))
        text.append(fmt_value(v, kind))
        custom.append([fmt_n(rec.get("n")), ci_text(rec.get("ci_low"), rec.get("ci_high"), kind),
                       caution(rec.get("low_precision", False))])
    return {"ys": ys, "lows": lows, "highs": highs, "text": text, "custom": custom, "secret_at": secret_at,
            "present": present}


def _trend_series_traces(points: dict, x_names: list[str], group: str, name: str, colour: str, main: bool,
                         value_label: str) -> list[go.Scatter]:
    """The CI band (upper edge, lower edge filled to it) and the line of one series."""
    return [
        go.Scatter(x=x_names, y=points["highs"], mode="lines", line={"width": 0}, hoverinfo="skip",
                   showlegend=False, legendgroup=group, connectgaps=False),
        go.Scatter(x=x_names, y=points["lows"], mode="lines", line={"width": 0}, fill="tonexty",
                   fillcolor=_rgba(colour, 0.08), hoverinfo="skip", showlegend=False,
                   legendgroup=group, connectgaps=False),
        go.Scatter(
            x=x_names, y=points["ys"], name=name, mode="lines+markers",
            line={"color": colour, "width": 3.5 if main else 2},
            marker={"size": 7}, legendgroup=group, text=points["text"], customdata=points["custom"],
            connectgaps=False,
            hovertemplate=(name + "<br>%{x}<br>" + _esc(value_label) + " : %{text}<br>"
                           + _("IC à 95 %") + " : %{customdata[1]}<br>n = %{customdata[0]}"
                           + "<br>%{customdata[2]}<extra></extra>"),
        ),
    ]


def _significance_stars(changes: pd.DataFrame | None, index: Mapping, series: str, labels: Mapping,
                        wave_labels: Mapping, kind: str) -> go.Scatter | None:
    """A star on the later wave of each significant change (None when there is none to draw)."""
    if changes is None or not len(changes):
        return None
    unit = "mean" if kind == "mean" else "nps"
    sx, sy, stext = [], [], []
    for rec in changes.to_dict("records"):
        if not bool(rec.get("significant", False)):
            continue
        point = index.get((_key(rec["wave_b"]), _key(rec[series])))
        if point is None or is_missing(point.get("value")) or rec["wave_b"] not in wave_labels:
            continue
        sx.append(_esc(wave_labels[rec["wave_b"]]))
        sy.append(float(point["value"]))
        diff = fmt_value(rec["diff"], unit)
        if kind == "mean" and float(rec["diff"]) > 0:
            diff = "+" + diff
        stext.append(f"{_esc(label_of(labels, rec[series]))} : {diff} "
                     f"({_('IC à 95 %')} {ci_text(rec['ci_low'], rec['ci_high'], unit)})")
    if not sx:
        return None
    return go.Scatter(
        x=sx, y=sy, mode="markers", name=_("Évolution significative"), text=stext,
        marker={"symbol": "star", "size": 16, "color": "#ffffff", "line": {"color": "#161616", "width": 2}},
        hovertemplate="%{text}<extra>" + _("significatif") + "</extra>",
    )


# --------------------------------------------------------------------------------------------
# Answer distribution: stacked bars
# --------------------------------------------------------------------------------------------
def stacked_distribution(
    table: pd.DataFrame,
    *,
    by: str,
    labels: Mapping,
    code_labels: Mapping,
    title: str,
    total: pd.DataFrame | None = None,
    total_label: str | None = None,
) -> go.Figure:
    """Share of each answer code per ``by`` value, as horizontal stacked bars (100 %).

    ``table``: :func:`analysis.indicators.distribution` output after suppression (``by``,
    code, share, n, n_cell, suppressed). ``code_labels`` orders and names the codes. A
    suppressed ``by`` value is an empty bar marked "secret".
    """
    groups: list[tuple[str, pd.DataFrame]] = []
    if total is not None and len(total):
        groups.append((_wrap(_esc(total_label or _("Ensemble")), 32), total))
    for code in labels:
        part = table[table[by].map(_key) == _key(code)] if len(table) else table
        if len(part):
            groups.append((_name(labels, code, 32), part))
    y_names = [name for name, _part in groups]
    codes = list(code_labels)
    palette = DIVERGING if len(codes) == 5 else DIVERGING_11 if len(codes) == 11 else PALETTE  # issue 22
    traces, annotations = [], []
    for name, part in groups:
        if bool(part["suppressed"].fillna(True).any()):
            annotations.append(_secret_annotation(0, name, xanchor="left"))
    for k, code in enumerate(codes):
        xs, custom = [], []
        for name, part in groups:
            row = part[part["code"] == code]
            if not len(row) or bool(row["suppressed"].fillna(True).iloc[0]) or is_missing(row["share"].iloc[0]):
                xs.append(None), custom.append(["", ""])
                continue
            rec = row.iloc[0]
            xs.append(float(rec["share"]) * 100.0)
            custom.append([fmt_n(rec.get("n_cell")), fmt_value(float(rec["share"]) * 100.0, "share")])
        traces.append(go.Bar(
            x=xs, y=y_names, name=_esc(code_labels[code]), orientation="h",
            marker={"color": palette[k % len(palette)]}, customdata=custom,
            hovertemplate=("%{y}<br>" + _esc(code_labels[code]) + " : %{customdata[1]}<br>"
                           + _("n (répondants)") + " = %{customdata[0]}<extra></extra>"),
        ))
    height = max(260, 130 + 46 * len(y_names))
    return go.Figure(traces, layout=_base_layout(
        title, height=height, barmode="stack", annotations=annotations,
        legend={"orientation": "h", "y": -0.2, "traceorder": "normal"},
        xaxis={"range": [0, 100], "ticksuffix": " %", "gridcolor": "#e5e5e5", "automargin": True},
        yaxis={"autorange": "reversed", "automargin": True},
        margin={"l": 10, "r": 10, "t": 20, "b": 100},
    ))


# --------------------------------------------------------------------------------------------
def table_records(table: pd.DataFrame, columns: Sequence[str]) -> list[dict]:
    """Rows of ``table`` restricted to ``columns`` (helper for the text alternatives)."""
    return table[list(columns)].to_dict("records")
