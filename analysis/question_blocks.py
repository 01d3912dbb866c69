"""The tables and blocks of the question pages for single/multiple choice, number and matrix questions.

Four tables per question, computed by :mod:`analysis.distributions` and protected by
:mod:`analysis.disclosure` like every dashboard table, then cached and *linked* by
:class:`analysis.selectors.Dashboard` (pooled waves, stricter minimum cell size, margins):

* ``qgrid:CODE`` — channel × category, both margins published (the secondary rule runs on the grid);
* ``qchannel:CODE`` / ``qcategory:CODE`` — the grid's row and column margins, hiding what the grid
  cannot protect (a line with a single hidden cell);
* ``qtotal:CODE`` — all respondents.

Category and channel filters only choose the rows shown (the tables are always computed on the whole
population of the selected waves), as on the other pages.
"""

from __future__ import annotations

import itertools

import pandas as pd
from django.utils.translation import gettext as _

from surveys.models import QuestionType

from . import charts, charts_questions, distributions
from .table_rows import n_hidden, select_rows
from .table_specs import QUESTION_PAGE_TYPES as TYPES
from .table_specs import QUESTION_TABLES as _TABLES
from .table_specs import question_info as _info
from .views.alt_text import present as _present
from .views.common import Block

__all__ = ["TYPES", "question_blocks"]
ALL = "_ensemble"

# --------------------------------------------------------------------------------------------
# Blocks (chart + the table behind it + its text alternative)
# --------------------------------------------------------------------------------------------
def _pct(value) -> str:
    return charts.fmt_value(value, "share") if not charts.is_missing(value) else "–"


def _row_cells(q, rec: dict, k: int) -> list[str]:
    """The measure cells of one table line ("secret" with its footnote mark where suppressed)."""
    width = {QuestionType.SINGLE: 3, QuestionType.MULTIPLE: 4, QuestionType.NUMBER: 6, QuestionType.MATRIX: 4}[q.type]
    if bool(rec.get("suppressed", False)):
        return [charts_questions.secret_text(rec)] + [""] * (width - 1) + [
            charts_questions.secret_note(rec, k)]
    caution = charts.caution(rec.get("low_precision", False))
    if q.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        cells = [_pct(rec.get("value")), charts.ci_text(rec.get("ci_low"), rec.get("ci_high"), "share")]
        if q.type == QuestionType.MULTIPLE:
            cells.append(_pct(rec.get("share_mentions")))
        return cells + [charts.fmt_n(rec.get("n_cell")), caution]
    if q.type == QuestionType.NUMBER:
        f = lambda key: charts.fmt_value(rec.get(key), "mean") or "–"  # noqa: E731
        return [f("value"), charts.ci_text(rec.get("ci_low"), rec.get("ci_high"), "mean"), f("median"), f("q1"),
                f("q3"), charts.fmt_n(rec.get("n")), caution]
    return [_pct(rec.get("value")), charts.ci_text(rec.get("ci_low"), rec.get("ci_high"), "share"),
            charts.fmt_value(rec.get("mean"), "mean") or "–", charts.fmt_n(rec.get("n")), caution]


def _headers(q, dims: list[str]) -> list[str]:
    if q.type == QuestionType.NUMBER:
        return dims + [_("Moyenne"), _("IC à 95 %"), _("Médiane"), _("1er quartile"), _("3e quartile"), _("n"),
                       _("Remarque")]
    first = _("Item") if q.type == QuestionType.MATRIX else _("Réponse")
    if q.type == QuestionType.MATRIX:
        return dims + [first, _("% de satisfaits"), _("IC à 95 %"), _("Note moyenne (1 à 5)"), _("n"), _("Remarque")]
    cells = [_("% des répondants"), _("IC à 95 %")]
    if q.type == QuestionType.MULTIPLE:
        cells.append(_("% des mentions"))
    return dims + [first] + cells + [_("n (répondants)"), _("Remarque")]


def _rows(q, table: pd.DataFrame, dims: list[tuple[str, dict]], bar_labels: dict, k: int) -> list[list[str]]:
    rows = []
    order = [list(labels) for _col, labels in dims]
    recs = table.to_dict("records")
    key = lambda rec: tuple(charts._key(rec[col]) for col, _l in dims)  # noqa: E731
    by_key: dict = {}
    for rec in recs:
        by_key.setdefault(key(rec), []).append(rec)
    for combo in itertools.product(*order):
        part = by_key.get(tuple(charts._key(c) for c in combo), [])
        names = [charts.label_of(labels, c) for c, (_col, labels) in zip(combo, dims)]
        if q.type == QuestionType.NUMBER:
            rows += [names + _row_cells(q, rec, k) for rec in part]
            continue
        col = "item" if q.type == QuestionType.MATRIX else "choice"
        index = {rec[col]: rec for rec in part}
        for code, label in bar_labels.items():
            if code in index:
                rows.append(names + [label] + _row_cells(q, index[code], k))
    return rows


def question_blocks(d, f, code: str) -> list:
    """All respondents (bars), categories and channels (heatmaps; a number: ranges), channel × category (table)."""
    q = _info(d, code)
    weight, k = d.weight_column(f), f.min_cell
    d.needed = [code]
    names = [f"{t}:{code}" for t in _TABLES]
    d.prefetch([(n, f.waves, k, weight) for n in names])
    tables = {t: d.table(f"{t}:{code}", f.waves, k, weight) for t in _TABLES}
    grid = select_rows(select_rows(tables["qgrid"], "channel", f.channels), "category", f.categories)
    by_cat = select_rows(tables["qcategory"], "category", f.categories)
    by_channel = select_rows(tables["qchannel"], "channel", f.channels)
    total = tables["qtotal"]
    everyone = _("Ensemble des répondants")
    cat_labels = _present(d.category_labels(f.categories), by_cat, "category")
    ch_labels = _present(d.channel_labels(f.channels), by_channel, "channel")
    bar_labels = q.choice_labels()
    if q.type == QuestionType.NUMBER:
        bar_labels = {}
    first = pd.concat([total.assign(category=ALL), by_cat], ignore_index=True) if len(total) else by_cat
    first_labels = {ALL: everyone, **cat_labels}
    what = {QuestionType.SINGLE: _("% des répondants"), QuestionType.MULTIPLE: _("% des répondants (plusieurs "
            "réponses possibles)"), QuestionType.NUMBER: _("valeur déclarée"),
            QuestionType.MATRIX: _("% de satisfaits (4 ou 5)")}[q.type]

    bar = "item" if q.type == QuestionType.MATRIX else "choice"

    def figure(table: pd.DataFrame, group: str, labels: dict, title: str):
        if q.type == QuestionType.NUMBER:
            return lambda: charts_questions.number_ranges(table, group=group, group_labels=labels, title=title,
                                                          value_label=what)
        if len(labels) == 1:  # all respondents: one bar per answer, its interval, its value written
            return lambda: charts.bar_ci(table, by=bar, labels=bar_labels, kind="share", title=title,
                                         value_label=what)
        # answers × groups: every value written in its cell (no colour to decode), "secret" where hidden
        return lambda: charts.heatmap(table, rows=bar, cols=group, row_labels=bar_labels, col_labels=labels,
                                      kind="share", title=title, value_label=what)

    def note(table: pd.DataFrame) -> str:

        hidden = n_hidden(table.drop_duplicates([c for c in ("channel", "category") if c in table.columns]))
        return (_("%(n)s case(s) masquée(s) par le secret statistique.") % {"n": hidden}) if hidden else ""

    cat_dim, ch_dim = (_("Catégorie"), first_labels), (_("Canal de contact"), ch_labels)
    blocks = []
    if q.type == QuestionType.NUMBER:
        t1 = f"{q.code} — {what}, " + _("ensemble et par catégorie (IC à 95 %)")
        blocks.append(Block("ensemble", t1, first, figure(first, "category", first_labels, t1),
                            _headers(q, [cat_dim[0]]), _rows(q, first, [("category", first_labels)], bar_labels, k),
                            note=note(first)))
    else:
        t0 = f"{q.code} — {what}, " + _("ensemble des répondants (IC à 95 %)")
        t1 = f"{q.code} — {what}, " + _("par catégorie")
        everyone_only = total.assign(category=ALL) if len(total) else total
        blocks.append(Block("ensemble", t0, everyone_only, figure(everyone_only, "category", {ALL: everyone}, t0),
                            _headers(q, [cat_dim[0]]), _rows(q, everyone_only, [("category", {ALL: everyone})],
                                                             bar_labels, k), note=note(everyone_only)))
        blocks.append(Block("categories", t1, by_cat, figure(by_cat, "category", cat_labels, t1),
                            _headers(q, [cat_dim[0]]), _rows(q, by_cat, [("category", cat_labels)], bar_labels, k),
                            note=note(by_cat)))
    t2 = f"{q.code} — {what}, " + _("par canal de contact (IC à 95 %)")
    t3 = f"{q.code} — {what}, " + _("par canal de contact et catégorie")
    blocks.append(Block("canaux", t2, by_channel, figure(by_channel, "channel", ch_labels, t2), _headers(q, [ch_dim[0]]),
                        _rows(q, by_channel, [("channel", ch_labels)], bar_labels, k), note=note(by_channel)))
    grid_block = Block("canal-categorie", t3, grid, None, _headers(q, [ch_dim[0], cat_dim[0]]),
                       _rows(q, grid, [("channel", ch_labels), ("category", cat_labels)], bar_labels, k),
                       note=note(grid))
    grid_block.closed = True  # a long table: folded like the tables under the charts
    blocks.append(grid_block)
    return blocks
