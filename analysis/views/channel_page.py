"""Satisfaction by channel: heatmaps channels × categories and bars per channel."""

from __future__ import annotations

import pandas as pd
from django.utils.translation import gettext as _

from .. import charts
from ..filters import Filters
from ..selectors import Dashboard
from ..table_rows import kind_rows, select_rows
from .alt_text import ALL, alt_rows, codes, hidden_note, present
from .common import Block, kind_label

__all__ = ["channel_blocks"]


def channel_blocks(d: Dashboard, f: Filters) -> list[Block]:
    """Heatmap channels × categories and bars per channel (overall satisfaction / NPS by the
    respondent's contact channel; then the questions about each channel)."""
    weight, k, kind = d.weight_column(f), f.min_cell, f.kind
    names = ["contact_grid", "contact_channel", "contact_total"]
    with_questions = bool(d.channel_questions) and kind != "nps"
    if with_questions:
        names += ["question_grid", "question_channel"]
    questions = codes(d.sat_code, d.nps_code, *[q.code for q in d.channel_questions])
    d.prefetch([(n, f.waves, k, weight) for n in names])
    if d.sat_code is None:
        return []

    def table(name: str) -> pd.DataFrame:
        return kind_rows(d.table(name, f.waves, k, weight, questions), kind)

    what = _("Satisfaction globale") if kind != "nps" else _("Recommandation (NPS)")
    value_label = kind_label(kind)
    blocks = [
        _grid_block(d, f, "carte-contact", table("contact_grid"),
                    f"{what} — {value_label}, " + _("par canal de contact et catégorie"), _("Canal de contact")),
        _bar_block(d, f, "barres-contact", table("contact_channel"),
                   f"{what} — {value_label}, " + _("par canal de contact (IC à 95 %)"), _("Canal de contact"),
                   table("contact_total")),
    ]
    if with_questions:
        about = _("Satisfaction à l'égard de chaque canal")
        blocks.append(_grid_block(d, f, "carte-canaux", table("question_grid"),
                                  about + f" — {value_label}, " + _("par catégorie"), _("Canal évalué")))
        blocks.append(_bar_block(d, f, "barres-canaux", table("question_channel"),
                                 about + f" — {value_label} (" + _("IC à 95 %") + ")", _("Canal évalué"), None))
    return blocks


def _grid_block(d: Dashboard, f: Filters, name: str, grid: pd.DataFrame, title: str, row_title: str) -> Block:
    """A heatmap channels × categories, the display filters applied."""
    kind = f.kind
    cat_labels, ch_labels = d.category_labels(f.categories), d.channel_labels(f.channels)
    grid = select_rows(select_rows(grid, "channel", f.channels), "category", f.categories)
    rows = present(ch_labels, grid, "channel")
    cols = present(cat_labels, grid, "category")
    headers, alt = alt_rows(grid, [("channel", (row_title, ch_labels)), ("category", (_("Catégorie"), cat_labels))],
                            kind)
    return Block(name, title, grid, lambda: charts.heatmap(
        grid, rows="channel", cols="category", row_labels=rows, col_labels=cols, kind=kind, title=title,
        value_label=kind_label(kind)), headers, alt, note=hidden_note(grid))


def _bar_block(d: Dashboard, f: Filters, name: str, bars: pd.DataFrame, title: str, row_title: str,
               total: pd.DataFrame | None) -> Block:
    """Bars per channel with their CI (and the "all respondents" bar first when ``total``)."""
    kind = f.kind
    bars = select_rows(bars, "channel", f.channels)
    table = bars if total is None else pd.concat([total.assign(channel=ALL), bars], ignore_index=True)
    labels = present(d.channel_labels(f.channels), bars, "channel")
    everyone = _("Ensemble des répondants")
    headers, alt = alt_rows(table, [("channel", (row_title, {ALL: everyone, **labels}))], kind)
    return Block(name, title, table, lambda: charts.bar_ci(
        bars, by="channel", labels=labels, kind=kind, title=title, value_label=kind_label(kind), total=total,
        total_label=everyone), headers, alt, note=hidden_note(table))
