"""The dashboards' frame of responses: :func:`analysis.frames.load` with wave codes for wave ids.

The loader holds a don't-know as missing (the indicators exclude it from their denominators,
methodology.md). The dashboards also show how many answered don't-know, so their frame
(``dont_know=True``) carries one boolean column ``<column>__dk`` per scored question and matrix
item (:data:`analysis.cells.DK_SUFFIX`), filled from
:func:`surveys.services.dont_know.dont_know_cells`. Other callers (microdata, API) keep the
loader's columns.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from surveys.models import SCORED_TYPES, QuestionType, Wave
from surveys.services.dont_know import dont_know_cells

from .cells import DK_SUFFIX

__all__ = ["load_frame", "add_dont_know_flags"]


def load_frame(waves: Sequence[Wave], questions: Sequence[str] | None = None, *,
               dont_know: Mapping[str, str] | None = None) -> pd.DataFrame:
    """``analysis.frames.load`` for these waves (complete responses; only ``questions`` when
    given), with the wave column as wave codes; with ``dont_know`` ({question code: type}, the
    survey's questions as the caller already holds them), the ``__dk`` flag columns."""
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
        flagged = _flagged_columns(dont_know, frame)
        if flagged:
            asked = {code for code, _col in flagged}
            cells = dont_know_cells([w.pk for w in waves], codes=asked,
                                    matrix_codes=[c for c in asked if dont_know[c] == QuestionType.MATRIX])
            frame = add_dont_know_flags(frame, [col for _code, col in flagged], cells)
    return frame


def _flagged_columns(types: Mapping[str, str], frame: pd.DataFrame) -> list[tuple[str, str]]:
    """(question code, column) of the frame's columns that can hold a don't-know: scored
    questions and matrix items."""
    out = []
    for code, qtype in types.items():
        if qtype == QuestionType.MATRIX:
            out += [(code, c) for c in frame.columns if c.startswith(f"{code}__") and not c.endswith(DK_SUFFIX)]
        elif qtype in SCORED_TYPES and code in frame.columns:
            out.append((code, code))
    return out


def add_dont_know_flags(frame: pd.DataFrame, columns: Sequence[str],
                        cells: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """``frame`` with ``<column>__dk`` (bool) for each of ``columns``: True where that response
    answered don't-know (``cells``: (response id, column)); the answer columns are untouched."""
    if not len(columns):
        return frame
    ids = frame["response_id"].astype(str) if "response_id" in frame.columns else pd.Series([], dtype=str)
    position = pd.Index(ids)  # a hash lookup per cell (np.isin on strings compares every pair)
    by_column: dict[str, list[str]] = {}
    for rid, column in cells:
        by_column.setdefault(column, []).append(rid)
    flags = {}
    for c in columns:
        flag = np.zeros(len(frame), dtype=bool)
        if c in by_column:
            found = position.get_indexer(by_column[c])
            flag[found[found >= 0]] = True
        flags[f"{c}{DK_SUFFIX}"] = flag
    out = pd.concat([frame, pd.DataFrame(flags, index=frame.index)], axis=1)
    out.attrs.update(frame.attrs)
    return out
