"""The dashboards' frame of responses: :func:`analysis.frames.load` with wave codes for wave ids.

The loader holds a don't-know as missing (the indicators exclude it from their denominators,
methodology.md). The dashboards also show how many answered don't-know, so their frame
(``dont_know=True``) carries one boolean column ``<column>__dk`` per scored question and matrix
item (:data:`analysis.cells.DK_SUFFIX`), filled from
:func:`surveys.services.dont_know.dont_know_cells`. Other callers (microdata, API) keep the
loader's columns.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from surveys.models import SCORED_TYPES, Question, QuestionType, Wave
from surveys.services.dont_know import dont_know_cells

from .cells import DK_SUFFIX

__all__ = ["load_frame", "add_dont_know_flags"]


def load_frame(waves: Sequence[Wave], questions: Sequence[str] | None = None, *,
               dont_know: bool = False) -> pd.DataFrame:
    """``analysis.frames.load`` for these waves (complete responses; only ``questions`` when
    given), with the wave column as wave codes; with ``dont_know``, the ``__dk`` flag columns."""
    from . import frames

    if not waves:
        return pd.DataFrame(columns=["response_id", "wave", "category", "channel", "weight"])
    frame = frames.load(list(waves), questions=list(questions) if questions is not None else None)
    codes = {w.pk: w.code for w in waves}
    if len(frame) and "wave" in frame.columns:
        col = frame["wave"]
        values = set(col.cat.categories) if isinstance(col.dtype, pd.CategoricalDtype) else set(pd.unique(col))
        if values and values <= set(codes):  # ids → codes
            frame["wave"] = pd.Categorical(frame["wave"].astype(object).map(codes),
                                           categories=[w.code for w in waves])
    if dont_know:
        frame = add_dont_know_flags(frame, _flagged_columns(waves, frame),
                                    dont_know_cells([w.pk for w in waves]))
    return frame


def _flagged_columns(waves: Sequence[Wave], frame: pd.DataFrame) -> list[str]:
    """The frame's columns that can hold a don't-know: scored questions and matrix items."""
    rows = Question.objects.filter(survey_id__in={w.survey_id for w in waves},
                                   type__in=[*SCORED_TYPES, QuestionType.MATRIX]).values_list("code", "type")
    out = []
    for code, qtype in rows:
        if qtype == QuestionType.MATRIX:
            out += [c for c in frame.columns if c.startswith(f"{code}__") and not c.endswith(DK_SUFFIX)]
        elif code in frame.columns:
            out.append(code)
    return out


def add_dont_know_flags(frame: pd.DataFrame, columns: Sequence[str],
                        cells: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """``frame`` with ``<column>__dk`` (bool) for each of ``columns``: True where that response
    answered don't-know (``cells``: (response id, column)); the answer columns are untouched."""
    if not len(columns):
        return frame
    ids = frame["response_id"].astype(str).to_numpy() if "response_id" in frame.columns else np.array([])
    by_column: dict[str, set[str]] = {}
    for rid, column in cells:
        by_column.setdefault(column, set()).add(rid)
    flags = {f"{c}{DK_SUFFIX}": (np.isin(ids, list(by_column[c])) if c in by_column
                                 else np.zeros(len(frame), dtype=bool)) for c in columns}
    out = pd.concat([frame, pd.DataFrame(flags, index=frame.index)], axis=1)
    out.attrs.update(frame.attrs)
    return out
