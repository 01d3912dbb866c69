"""Themes × channel × category: share of verbatims per theme, Wilson CIs, the usual suppression.

A share is a proportion of verbatims (the cell's verbatims whose main theme is this one), so it is
computed by :func:`analysis.indicators.pct_satisfied` on a 0/1 indicator (weighted when the run's
wave is weighted, Wilson interval on the effective size), then suppressed by
:func:`analysis.disclosure.suppress` with the survey's minimum cell (primary and secondary), the
same rules as every published figure.
"""

from __future__ import annotations

from typing import Sequence

import hashlib

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from django.core.cache import cache
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from analysis import charts
from analysis.disclosure import suppress
from analysis.indicators import pct_satisfied

from .models import ThemeRun
from .services import effective_numbers, visible_themes

DIMENSIONS = ("channel", "category")


def members_frame(run: ThemeRun) -> pd.DataFrame:
    """One row per verbatim of the run: its current theme (after merges/deletions), channel, category, weight."""
    m = run.members or {}
    df = pd.DataFrame({k: m.get(k, []) for k in ("answer", "theme", "channel", "category", "weight")})
    mapping = effective_numbers(run)
    df["theme"] = [mapping.get(t) if t >= 0 else None for t in df["theme"]] if len(df) else []
    return df


def theme_shares(run: ThemeRun, by: Sequence[str] = ("channel",)) -> pd.DataFrame:
    """Long table: theme, label, by…, n, n_eff, value (% of verbatims), ci_low, ci_high, suppressed."""
    by = [b for b in by if b in DIMENSIONS]
    df = members_frame(run)
    themes = visible_themes(run)
    cols = ["theme", "label", *by, "n", "n_eff", "value", "ci_low", "ci_high", "suppressed"]
    if not len(df) or not themes:
        return pd.DataFrame(columns=cols)
    weight = "weight" if run.weighted else None
    parts = []
    for t in themes:
        df["y"] = (df["theme"] == t["number"]).astype(float)
        table = pct_satisfied(df, "y", by=by or None, weight=weight, threshold=1)
        table.insert(0, "label", t["label"])
        table.insert(0, "theme", t["number"])
        parts.append(table)
    long = pd.concat(parts, ignore_index=True)
    rows, cols_k = (by[:1], by[1:2]) if by else (None, None)
    out = suppress(long, run.survey.min_cell, by_rows=rows, by_cols=cols_k or None, slice_by=["theme"])
    keep = [c for c in cols + ["low_precision", "suppression_reason"] if c in out.columns]
    return out[keep]


def heatmap_block(run: ThemeRun, table: pd.DataFrame, by: str, labels: dict[str, str]) -> dict:
    """A chart block (the analysis pages' partial): heatmap themes × ``by``, its table, its CSV."""
    themes = {t["number"]: t["label"] for t in visible_themes(run)}
    present = [c for c in labels if c in set(table[by])] if len(table) else []
    col_labels = {c: labels[c] for c in present}
    title = _("Part des verbatims par thème et par canal") if by == "channel" else \
        _("Part des verbatims par thème et par catégorie")
    fig = charts.heatmap(table, rows="theme", cols=by, row_labels=themes, col_labels=col_labels, kind="share",
                         title=title, value_label=_("% des verbatims")) if len(table) else None
    headers = [_("Thème")] + list(col_labels.values())
    index = {(r["theme"], r[by]): r for r in table.to_dict("records")}
    rows = []
    for number, label in themes.items():
        row = [label]
        for code in col_labels:
            rec = index.get((number, code))
            if rec is None:
                row.append("")
            elif rec["suppressed"]:
                row.append(charts.SECRET())
            else:
                row.append(f"{charts.fmt_value(rec['value'], 'share')} "
                           f"{charts.ci_text(rec['ci_low'], rec['ci_high'], 'share')} (n = {charts.fmt_n(rec['n'])})")
        rows.append(row)
    return {"name": f"themes-{by}", "json_id": f"fig-themes-{by}", "title": title,
            "figure_json": charts.figure_json(fig) if fig is not None else None, "headers": headers, "rows": rows,
            "note": _("Cases de moins de %(k)s verbatims masquées (« secret »), ainsi que celles qui "
                      "permettraient de les retrouver.") % {"k": run.survey.min_cell}}


def keyness_block(rows: list[dict], name: str, title: str) -> dict:
    """Horizontal bars of z (top terms first) with the table of δ and z."""
    fig = None
    if rows:
        terms = [r["term"] for r in rows]
        fig = go.Figure(go.Bar(x=[r["z"] for r in rows], y=terms, orientation="h", marker={"color": charts.BLUE},
                               hovertemplate="%{y}<br>z = %{x:.2f}<extra></extra>"),
                        layout=charts._base_layout(title, height=max(220, 70 + 28 * len(rows)), showlegend=False,
                                                   yaxis={"autorange": "reversed", "automargin": True},
                                                   xaxis={"title": {"text": "z"}, "zeroline": True}))
    headers = [_("Terme"), _("Verbatims du groupe"), _("Verbatims des autres"), "δ (log-odds)", "z"]
    table = [[r["term"], charts.fmt_n(r["count_in"]), charts.fmt_n(r["count_out"]),
              charts.fmt_value(r["delta"], "mean"), charts.fmt_value(r["z"], "mean")] for r in rows]
    return {"name": name, "json_id": f"fig-{name}", "title": title, "headers": headers, "rows": table,
            "figure_json": charts.figure_json(fig) if fig is not None else None, "note": ""}


def shares_csv_table(run: ThemeRun) -> pd.DataFrame:
    """Themes × channel × category, suppressed: what the CSV link serves."""
    table = theme_shares(run, DIMENSIONS)
    return table.drop(columns=[c for c in ("suppression_reason",) if c in table.columns])


def shares_are_safe(table: pd.DataFrame) -> bool:
    """No figure left in a suppressed cell (the CSV guard)."""
    hidden = table["suppressed"].astype(bool).to_numpy() if len(table) else np.zeros(0, bool)
    return not table.loc[hidden, ["n", "value", "ci_low", "ci_high"]].notna().any().any()


def _page_blocks(run: ThemeRun, channel_labels: dict, category_labels: dict) -> tuple[list[dict], list[dict]]:
    labels = {"channel": channel_labels, "category": category_labels}
    blocks = []
    for by in DIMENSIONS:
        block = heatmap_block(run, theme_shares(run, (by,)), by, labels[by])
        block["data_url"] = reverse("verbatims:shares_csv", args=[run.survey.slug, run.pk])
        blocks.append(block)
    kw = run.keyness or {}
    keyness_blocks = []
    if kw.get("dissatisfied"):
        keyness_blocks.append(keyness_block(kw["dissatisfied"], "keyness-dissatisfied",
                                            _("Termes propres aux insatisfaits (face aux satisfaits)")))
    for code, rows in sorted((kw.get("channels") or {}).items()):
        keyness_blocks.append(keyness_block(rows, f"keyness-{code}", _("Termes propres au canal « %(c)s »")
                                            % {"c": channel_labels.get(code, code)}))
    return blocks, keyness_blocks


def page_blocks(run: ThemeRun, channel_labels: dict, category_labels: dict) -> tuple[list[dict], list[dict]]:
    """The themes page's charts and tables, cached per run, language and state of its themes
    (a rename, merge, split or deletion changes the key), so the page opens instantly."""
    state = repr(sorted(run.themes.values_list("pk", "label_fr", "label_en", "hidden", "merged_into_id")))
    digest = hashlib.sha256(f"{state}{list(channel_labels.items())}{list(category_labels.items())}".encode())
    key = f"verbatims:blocks:{run.pk}:{get_language()}:{digest.hexdigest()[:24]}"
    found = cache.get(key)
    if found is None:
        found = _page_blocks(run, channel_labels, category_labels)
        cache.set(key, found, 7 * 24 * 3600)
    return found
