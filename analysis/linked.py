"""Linked tables: hide in one table the cells another published table hides for the same population.

Pure pandas/numpy, no Django. :mod:`analysis.disclosure` protects one table (primary and secondary
suppression); the dashboards publish several tables over the same populations (a wave and the
pooled waves, two minimum cell sizes, a grid and its margins), and a cell hidden in one of them
must not be recoverable from another. :func:`link` adds such cells to a table's mask, then runs
the secondary rule again (``disclosure.secondary_mask``) so that every row and column of the
table still holds 0 or ≥ 2 hidden cells.

Why a union of masks is enough for the cases of ``analysis.selectors``: every table there is
computed on the *full* population of its waves (category and channel filters only choose which
rows and columns are displayed), and when two published tables overlap, the larger mask is
applied to both, so the same cell is either shown everywhere or hidden everywhere.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from . import disclosure

__all__ = ["cell_key", "hidden_keys", "link", "single_cell_margins"]


def _norm(value):
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def cell_key(table: pd.DataFrame, cols: Sequence[str]) -> list[tuple]:
    """The key of each row as a tuple (missing values as None, so "not stated" matches itself)."""
    if not cols:
        return [()] * len(table)
    columns = [table[c].astype(object).tolist() for c in cols]
    return [tuple(_norm(v) for v in row) for row in zip(*columns)]


def hidden_keys(table: pd.DataFrame, cols: Sequence[str]) -> set[tuple]:
    """Keys of the hidden cells of a suppressed table."""
    if "suppressed" not in table.columns or not len(table):
        return set()
    keys = cell_key(table, cols)
    flags = table["suppressed"].fillna(True).to_numpy(dtype=bool)
    return {k for k, f in zip(keys, flags) if f}


def link(
    table: pd.DataFrame,
    extra: Iterable[tuple],
    *,
    by_rows: Sequence[str] | None = None,
    by_cols: Sequence[str] | None = None,
    slice_by: Sequence[str] | None = None,
    reason: str = "linked: hidden in a related table",
    n_col: str = "n",
) -> pd.DataFrame:
    """Hide the cells whose key is in ``extra`` (keys over ``slice_by + by_rows + by_cols``),
    then restore the secondary rule. Keys absent from ``table`` are ignored.

    The table must come from :mod:`analysis.disclosure` (``suppressed`` and
    ``suppression_reason`` columns). Rows sharing a key (several indicators of one cell) share
    the mask. Returns a new table; the input is not modified.
    """
    rows_k, cols_k, slice_k = list(by_rows or []), list(by_cols or []), list(slice_by or [])
    key_cols = slice_k + rows_k + cols_k
    t = table.copy()
    if not len(t):
        return t
    keys = cell_key(t, key_cols)
    uniq = list(dict.fromkeys(keys))
    cell_of = {k: i for i, k in enumerate(uniq)}
    cell = np.array([cell_of[k] for k in keys], dtype=np.int64)
    G = len(uniq)
    was_hidden_row = t["suppressed"].fillna(True).to_numpy(dtype=bool)
    hidden = np.bincount(cell, weights=was_hidden_row, minlength=G) > 0
    extra = set(extra)
    hidden |= np.array([k in extra for k in uniq], dtype=bool)
    n = pd.to_numeric(table[n_col], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    cell_n = np.zeros(G)
    np.maximum.at(cell_n, cell, np.where(np.isnan(n), 0.0, n))
    if rows_k or cols_k:
        width = len(slice_k)
        slices = [k[:width] for k in uniq]
        row_vals = [k[width:width + len(rows_k)] for k in uniq]
        col_vals = [k[width + len(rows_k):] for k in uniq]
        for s in dict.fromkeys(slices):
            idx = np.array([i for i, sk in enumerate(slices) if sk == s], dtype=np.int64)
            r = _codes([row_vals[i] for i in idx])
            c = _codes([col_vals[i] for i in idx])
            hidden[idx] = disclosure.secondary_mask(r, c, cell_n[idx], hidden[idx])
    hidden_row = hidden[cell]
    new = hidden_row & ~was_hidden_row
    if new.any():
        for col in disclosure.MEASURES:
            if col not in t.columns:
                continue
            if pd.api.types.is_integer_dtype(t[col].dtype):
                t[col] = t[col].astype("Int64")
            elif not pd.api.types.is_float_dtype(t[col].dtype):
                t[col] = t[col].astype("float64")
            t[col] = t[col].mask(new)
        if "low_precision" in t.columns:
            t["low_precision"] = t["low_precision"].astype(bool) & ~hidden_row
        t["suppressed"] = hidden_row
        reasons = t["suppression_reason"].astype(object).to_numpy() if "suppression_reason" in t.columns \
            else np.full(len(t), "", dtype=object)
        reasons = np.where(new, reason, reasons)
        t["suppression_reason"] = pd.array(reasons.astype(str), dtype="str")
    return t


def _codes(values: list[tuple]) -> np.ndarray:
    index = {v: i for i, v in enumerate(dict.fromkeys(values))}
    return np.array([index[v] for v in values], dtype=np.int64)


def single_cell_margins(table: pd.DataFrame, by_rows: Sequence[str], by_cols: Sequence[str]) -> dict[str, set]:
    """Margins that equal one hidden cell (a row or column holding a single cell, hidden).

    Such a margin must be hidden wherever it is published (``{"row": {row keys}, "column":
    {column keys}}``); no suppression inside the table can protect it.
    """
    rows_k, cols_k = list(by_rows), list(by_cols)
    out: dict[str, set] = {"row": set(), "column": set()}
    if not len(table):
        return out
    rkeys = cell_key(table, rows_k)
    ckeys = cell_key(table, cols_k)
    hidden = table["suppressed"].fillna(True).to_numpy(dtype=bool)
    cells: dict[tuple, bool] = {}
    for r, c, h in zip(rkeys, ckeys, hidden):
        cells[(r, c)] = cells.get((r, c), False) or bool(h)
    for kind, pos in (("row", 0), ("column", 1)):
        members: dict[tuple, list[bool]] = {}
        for key, h in cells.items():
            members.setdefault(key[pos], []).append(h)
        out[kind] = {k for k, flags in members.items() if len(flags) == 1 and flags[0]}
    return out
