"""Don't-know as data in every export: one reserved code per variable, documented in the codebook.

The analysis frame holds a don't-know as missing (indicators exclude it from their denominators,
methodology.md; the dashboards' frame adds ``<column>__dk`` flags so that each indicator shows its
don't-know count and share beside it, :mod:`analysis.dashboard_frame`). Exports write it instead as
the variable's reserved code:

- scores (satisfaction 1–5, scale and NPS 0–10) and matrix items: ``99``;
- single-choice questions: the choice code ``nsp`` in CSV, XLSX and Parquet, and ``99`` once
  coded as integers for SPSS and Stata;
- SPSS (``.sav``): ``99`` is declared a user-missing value of the variable, labelled;
- Stata (``.dta``): the extended missing value ``.d``.

Number, text and multiple-choice questions offer no don't-know. Pure pandas: the cells come from
``surveys.services.dont_know.dont_know_cells``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import pandas as pd

DK_CODE = 99
DK_CHOICE = "nsp"
DK_LABEL = "Ne sait pas / non concerné"
STATA_DK = "d"


def apply_dont_know(frame: pd.DataFrame, cells: Iterable[tuple[str, str]]) -> pd.DataFrame:
    """A copy of the analysis frame with each don't-know cell set to its column's reserved code.

    ``cells``: (response id, column). Numeric columns get ``DK_CODE``, categorical (single-choice)
    columns the category ``DK_CHOICE``; cells of rows or columns not in the frame are ignored.
    """
    by_column: dict[str, set[str]] = defaultdict(set)
    for rid, column in cells:
        by_column[column].add(rid)
    if not by_column or frame.empty:
        return frame
    out = frame.copy()
    ids = out["response_id"].astype(str)
    for column, rids in by_column.items():
        if column not in out.columns:
            continue
        mask = ids.isin(rids).to_numpy()
        if not mask.any():
            continue
        s = out[column]
        if isinstance(s.dtype, pd.CategoricalDtype):
            if DK_CHOICE not in s.cat.categories:
                s = s.cat.add_categories([DK_CHOICE])
            s = s.copy()
            s[mask] = DK_CHOICE
        elif pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            s = s.astype("float64").copy()
            s[mask] = float(DK_CODE)
        else:
            s = s.astype(object).copy()
            s[mask] = DK_CHOICE
        out[column] = s
    out.attrs.update(frame.attrs)
    out.attrs["dont_know"] = sum(int(ids.isin(r).sum()) for c, r in by_column.items() if c in out.columns)
    return out


def count_dont_know(frame: pd.DataFrame, column: str) -> int:
    """Don't-know cells of ``column`` in an exported frame (its reserved code)."""
    s = frame[column]
    if isinstance(s.dtype, pd.CategoricalDtype) or s.dtype == object:
        return int((s.astype(object) == DK_CHOICE).sum())
    return int((s == DK_CODE).sum())
