"""Display filters on computed tables: rows of some codes, of one indicator kind; hidden cells."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .filters import NOT_STATED

__all__ = ["ALL", "select_rows", "kind_rows", "n_hidden"]

ALL = "_ensemble"  # the "all respondents" line (or series) beside the per-channel/category ones


def select_rows(table: pd.DataFrame, column: str, codes: Sequence) -> pd.DataFrame:
    """Display filter: the rows of ``table`` whose ``column`` is in ``codes`` (None = not stated)."""
    if not codes or column not in table.columns:
        return table
    wanted = [c for c in codes if c is not None and c != NOT_STATED]
    keep = table[column].isin(wanted).to_numpy().copy()
    if NOT_STATED in codes or None in codes:
        keep |= table[column].isna().to_numpy()
    return table[keep].reset_index(drop=True)


def kind_rows(table: pd.DataFrame, kind: str, question: str | None = None) -> pd.DataFrame:
    """The rows of a long indicator table for one indicator kind (and question)."""
    if not len(table) or "kind" not in table.columns:
        return table.iloc[0:0]
    keep = (table["kind"].astype(object) == kind).to_numpy()
    if question is not None:
        keep &= (table["question"].astype(object) == question).to_numpy()
    return table[keep].reset_index(drop=True)


def n_hidden(table: pd.DataFrame) -> int:
    """How many cells of ``table`` are hidden by the statistical secret."""
    if not len(table) or "suppressed" not in table.columns:
        return 0
    return int(np.asarray(table["suppressed"].fillna(True), dtype=bool).sum())
