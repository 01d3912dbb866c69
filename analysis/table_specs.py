"""Which dashboard tables exist, how each one is computed and which margins link it to others.

A :class:`TableSpec` names the indicator function (from the pure core) behind a table, its cell
keys and the layout it is published with; :mod:`analysis.selectors` caches and links the tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Sequence

import pandas as pd

from surveys.models import QuestionType

from . import disclosure, distributions, indicators

if TYPE_CHECKING:
    from .selectors import Dashboard

__all__ = ["TableSpec", "SPECS", "spec_of", "GRID_LAYOUT", "CHANNEL_LAYOUT", "CATEGORY_LAYOUT"]

GRID_LAYOUT = {"by_rows": ["channel"], "by_cols": ["category"]}
CHANNEL_LAYOUT = {"by_rows": ["channel"]}
CATEGORY_LAYOUT = {"by_rows": ["category"]}


@dataclass(frozen=True)
class TableSpec:
    """A dashboard table: ``compute(dashboard, frame, weight, min_cell)`` → suppressed table.

    ``keys``: the cell key columns; ``layout``: the margins it is published with (for the
    secondary rule when linking); ``margin_of``: (other table, "row"|"column") whose lines with a
    single hidden cell are cells of this table to hide.
    """

    compute: Callable
    keys: tuple[str, ...]
    layout: dict
    margin_of: tuple[tuple[str, str], ...] = ()


def _contact(by: Sequence[str]) -> Callable:
    def compute(d: Dashboard, frame: pd.DataFrame, weight: str | None, min_cell: int) -> pd.DataFrame:
        return indicators.by_contact_channel(frame, sat_col=d.sat_code, nps_col=d.nps_code, by=list(by),
                                             weight=weight, min_cell=min_cell, dropna=False)
    return compute


def _channel_questions(by: Sequence[str]) -> Callable:
    def compute(d: Dashboard, frame: pd.DataFrame, weight: str | None, min_cell: int) -> pd.DataFrame:
        questions = [{"code": q.code, "channel": q.channel, "type": q.type, "threshold": q.threshold or 4}
                     for q in d.channel_questions]
        return indicators.channel_table(frame, questions, by=list(by), weight=weight, min_cell=min_cell)
    return compute


SPECS: dict[str, TableSpec] = {
    # overall satisfaction (mean, % satisfied) and NPS by the respondent's contact channel
    "contact_grid": TableSpec(_contact(["channel", "category"]), ("channel", "category"), GRID_LAYOUT),
    "contact_channel": TableSpec(_contact(["channel"]), ("channel",), CHANNEL_LAYOUT,
                                 margin_of=(("contact_grid", "row"),)),
    "contact_total": TableSpec(_contact([]), (), {}),
    # satisfaction with each channel (the questions tied to a channel), by category
    "question_grid": TableSpec(_channel_questions(["channel", "category"]), ("channel", "category"), GRID_LAYOUT),
    "question_channel": TableSpec(_channel_questions(["channel"]), ("channel",), CHANNEL_LAYOUT,
                                  margin_of=(("question_grid", "row"),)),
}


def _distribution_spec(d: Dashboard, code: str) -> TableSpec:
    q = d.question(code)
    codes = list(range(1, 6)) if q.type == QuestionType.SATISFACTION else list(range(0, 11))

    def compute(d: Dashboard, frame: pd.DataFrame, weight: str | None, min_cell: int) -> pd.DataFrame:
        table = indicators.distribution(frame, code, by=["category"], weight=weight, codes=codes)
        return disclosure.suppress(table, min_cell=min_cell, n_col="n_cell", **CATEGORY_LAYOUT)

    margin_of = (("contact_grid", "column"),) if code in (d.sat_code, d.nps_code) else ()
    return TableSpec(compute, ("category",), CATEGORY_LAYOUT, margin_of=margin_of)


def _distribution_total_spec(d: Dashboard, code: str) -> TableSpec:
    q = d.question(code)
    codes = list(range(1, 6)) if q.type == QuestionType.SATISFACTION else list(range(0, 11))

    def compute(d: Dashboard, frame: pd.DataFrame, weight: str | None, min_cell: int) -> pd.DataFrame:
        table = indicators.distribution(frame, code, by=None, weight=weight, codes=codes)
        return disclosure.suppress(table, min_cell=min_cell, n_col="n_cell")

    return TableSpec(compute, (), {})


def spec_of(d: Dashboard, name: str) -> TableSpec:
    """The spec of table ``name`` (a fixed table, or ``dist:CODE`` / ``disttotal:CODE``)."""
    if name in SPECS:
        return SPECS[name]
    kind, _, code = name.partition(":")
    if kind == "dist":
        return _distribution_spec(d, code)
    if kind == "disttotal":
        return _distribution_total_spec(d, code)
    found = _question_spec(d, kind, code)  # choice, number and matrix questions (issue 22)
    if found is not None:
        return found
    raise KeyError(name)


# -- single/multiple choice, number and matrix questions (their own pages, issue 22) ----------------
#: the question types these pages cover (scored questions keep their own page; text: verbatims)
QUESTION_PAGE_TYPES = (QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.NUMBER, QuestionType.MATRIX)
QUESTION_TABLES = {"qgrid": (("channel", "category"), GRID_LAYOUT, ()),
           "qchannel": (("channel",), CHANNEL_LAYOUT, (("qgrid", "row"),)),
           "qcategory": (("category",), CATEGORY_LAYOUT, (("qgrid", "column"),)),
           "qtotal": ((), {}, ())}


def question_info(d, code: str):
    for q in d.questions_with_choices:
        if q.code == code:
            return q
    raise KeyError(code)


def _question_raw(d, code: str, frame: pd.DataFrame, by: list[str], weight: str | None) -> pd.DataFrame:
    q = question_info(d, code)
    choices = [c for c, _fr, _en in q.choices]
    if q.type == QuestionType.SINGLE:
        return distributions.choice_shares(frame, code, choices, by, weight, dropna=False)
    if q.type == QuestionType.MULTIPLE:
        cols = {c: f"{code}__{c}" for c in choices if f"{code}__{c}" in frame.columns}
        return distributions.multiple_shares(frame, cols, by, weight, dropna=False)
    if q.type == QuestionType.NUMBER:
        return distributions.number_summary(frame, code, by, weight, dropna=False)
    cols = {c: f"{code}__{c}" for c in choices if f"{code}__{c}" in frame.columns}
    return distributions.matrix_items(frame, cols, by, weight, threshold=q.threshold or 4, dropna=False)


def _question_spec(d, kind: str, code: str) -> TableSpec | None:
    """The :class:`TableSpec` of ``kind:code`` (None when ``kind`` is not one of these tables)."""
    if kind not in QUESTION_TABLES:
        return None
    keys, layout, margin_of = QUESTION_TABLES[kind]
    margin_of = tuple((f"{parent}:{code}", line) for parent, line in margin_of)

    def compute(d, frame: pd.DataFrame, weight: str | None, min_cell: int) -> pd.DataFrame:
        return distributions.protect(_question_raw(d, code, frame, list(keys), weight), min_cell, **layout)

    return TableSpec(compute, keys, layout, margin_of=margin_of)
