"""Cells: the groups of responses an indicator or a confidentiality rule is computed on.

Pure numpy/pandas, no Django import. A table "by category × channel" has one *cell* per
observed combination of the ``by`` values. The cells are numbered once (:func:`group_codes`),
and every per-cell sum is an ``np.bincount`` over those numbers — no Python loop per cell, so a
table for a million responses takes milliseconds. :mod:`analysis.disclosure` numbers the cells of
a published table with the same function, so a cell is the same thing for both.

Also here: the validated inputs of an indicator (numeric answers, weights), the answers grouped
by cell with their sizes n, W and n_eff (Kish), and the layout of a table for secondary
suppression (:func:`table_layout`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

__all__ = ["Groups", "Cells", "group_codes", "number_observed", "numeric_column", "weight_column",
           "answered_cells", "prepare", "cells_frame", "table_layout", "as_list", "DK_SUFFIX",
           "dont_know_column"]

#: suffix of the boolean column that flags a don't-know answer to ``<column>`` (dashboard frame)
DK_SUFFIX = "__dk"

#: Above this many possible key combinations, cells are numbered with np.unique (a sort)
#: instead of a dense bincount over the cartesian product.
DENSE_LIMIT = 1 << 22


@dataclass(frozen=True)
class Groups:
    """The cells of a table: ``codes[i]`` is the cell of row i (-1: in no cell)."""

    codes: np.ndarray
    keys: pd.DataFrame  # one row per cell, the ``by`` columns, index 0..ngroups-1
    has_missing: bool = False  # some rows are in no cell (codes == -1)

    @property
    def ngroups(self) -> int:
        return len(self.keys)


def as_list(by: str | Iterable[str] | None) -> list[str]:
    """``by`` as a list of column names (None: no column; a string: one column)."""
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def number_observed(combined: np.ndarray, total: int) -> tuple[np.ndarray, np.ndarray]:
    """Renumber integer keys in 0..total−1 as 0..k−1 in sorted order: (observed keys, numbers).

    A dense bincount when the key space is small enough, else a sort (np.unique); both give
    the same numbering.
    """
    if total <= DENSE_LIMIT:
        present = np.bincount(combined, minlength=total) > 0
        observed = np.flatnonzero(present)
        lookup = np.full(total, -1, dtype=np.int64)
        lookup[observed] = np.arange(observed.size)
        return observed, lookup[combined]
    observed, inverse = np.unique(combined, return_inverse=True)
    return observed, inverse.reshape(-1)


def _factorize(s: pd.Series, dropna: bool) -> tuple[np.ndarray, object, int]:
    """Integer codes (-1 = missing), something to rebuild the key values from, cardinality."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes = s.cat.codes.to_numpy().astype(np.int64, copy=False)
        k = len(s.cat.categories)
        rebuild: object = s.dtype
    else:
        codes, uniques = pd.factorize(s, sort=True, use_na_sentinel=True)
        codes = codes.astype(np.int64, copy=False)
        k = len(uniques)
        rebuild = uniques
    if not dropna and (codes < 0).any():
        codes = np.where(codes < 0, k, codes)
        k += 1  # the last code stands for "missing"
    return codes, rebuild, k


def _key_values(rebuild: object, codes: np.ndarray, name: str) -> pd.Series:
    if isinstance(rebuild, pd.CategoricalDtype):
        k = len(rebuild.categories)
        codes = np.where(codes >= k, -1, codes)
        return pd.Series(pd.Categorical.from_codes(codes, dtype=rebuild), name=name)
    uniques = pd.Index(rebuild)
    k = len(uniques)
    missing = codes >= k
    out = pd.Series(uniques.take(np.where(missing, 0, codes)), name=name)
    if missing.any():
        out = out.where(~missing)
    return out


def _mixed_radix(parts: list, n_rows: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """One integer per row for its combination of codes (first column most significant)."""
    valid = np.ones(n_rows, dtype=bool)
    for codes, _, _ in parts:
        valid &= codes >= 0
    all_valid = bool(valid.all())
    combined = np.zeros(n_rows, dtype=np.int64)
    for codes, _, k in parts:
        combined *= max(k, 1)
        combined += codes if all_valid else np.where(codes >= 0, codes, 0)
    return combined, valid, all_valid


def group_codes(df: pd.DataFrame, by: str | Sequence[str] | None, dropna: bool = True) -> Groups:
    """Number the observed cells of ``df`` by ``by`` (sorted like ``groupby(sort=True)``)."""
    cols = as_list(by)
    n_rows = len(df)
    if not cols:
        return Groups(np.zeros(n_rows, dtype=np.int64), pd.DataFrame(index=pd.RangeIndex(1)))
    for col in cols:
        if col not in df.columns:
            raise KeyError(f"column {col!r} not found")
    parts = [_factorize(df[col], dropna) for col in cols]
    shape = tuple(max(k, 1) for _, _, k in parts)
    combined, valid, all_valid = _mixed_radix(parts, n_rows)
    total_f = float(np.prod(shape, dtype=np.float64))
    if total_f >= 2.0 ** 62:  # the mixed-radix code would overflow int64
        raise ValueError(f"too many combinations of {', '.join(cols)} to tabulate")
    if all_valid:
        observed, out = number_observed(combined, int(total_f))
    else:
        observed, numbers = number_observed(combined[valid], int(total_f))
        out = np.full(n_rows, -1, dtype=np.int64)
        out[valid] = numbers
    key_codes = np.unravel_index(observed, shape) if observed.size else [
        np.zeros(0, dtype=np.int64) for _ in cols
    ]
    keys = pd.concat(
        [_key_values(rebuild, np.asarray(kc), col) for (_, rebuild, _), kc, col in
         zip(parts, key_codes, cols)],
        axis=1,
    )
    keys.index = pd.RangeIndex(len(keys))
    return Groups(out, keys, not all_valid)


# --------------------------------------------------------------------------------------------
# Inputs of an indicator
# --------------------------------------------------------------------------------------------
def numeric_column(df: pd.DataFrame, col: str) -> np.ndarray:
    """Column ``col`` as float64 (NaN = missing); a column that is not numeric raises."""
    if col not in df.columns:
        raise KeyError(f"column {col!r} not found")
    s = df[col]
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
        return s.to_numpy(dtype=np.float64, na_value=np.nan)
    try:
        return pd.to_numeric(s, errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"column {col!r} is not numeric") from exc


def weight_column(
    df: pd.DataFrame, weight: str | None, answered: np.ndarray | None = None
) -> np.ndarray | None:
    """The weights (validated: finite where used, ≥ 0), or None when unweighted."""
    if weight is None:
        return None
    w = numeric_column(df, weight)
    check = ~np.isfinite(w) if answered is None else (~np.isfinite(w) & answered)
    if check.any():
        raise ValueError(f"column {weight!r} has a missing or infinite weight")
    if (w < 0).any():
        raise ValueError(f"column {weight!r} has a negative weight")
    if w.size and w[0] > 0 and (w == w[0]).all():
        return None  # equal weights give the unweighted figures: skip the weighted sums
    return w


class Cells:
    """Answers restricted to rows in a cell with a non-missing answer.

    ``w is None`` means unweighted (all weights 1), which skips the weighted sums.
    The sizes (n, W, n_eff) are computed once and shared by the indicators of a question.

    ``dk``: the don't-know answers per cell (unweighted counts; zeros when the frame says nothing
    of don't-know). They never enter n, W or any denominator.
    """

    __slots__ = ("y", "w", "c", "G", "_sizes", "dk")

    def __init__(self, y: np.ndarray, w: np.ndarray | None, c: np.ndarray, G: int,
                 dk: np.ndarray | None = None):
        self.y, self.w, self.c, self.G = y, w, c, G
        self.dk = np.zeros(G, dtype=np.int64) if dk is None else dk
        self._sizes = None

    def sum(self, values: np.ndarray | None = None) -> np.ndarray:
        """Σ values per cell (a count when values is None)."""
        return np.bincount(self.c, weights=values, minlength=self.G)

    def wsum(self, values: np.ndarray) -> np.ndarray:
        """Σ w·values per cell."""
        return self.sum(values if self.w is None else self.w * values)

    def sizes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """n, W = Σw, n_eff = W²/Σw² (Kish)."""
        if self._sizes is None:
            n = np.bincount(self.c, minlength=self.G)
            if self.w is None:
                W = n.astype(np.float64)
                n_eff = np.where(n > 0, W, np.nan)
            else:
                W = self.sum(self.w)
                W2 = self.sum(self.w * self.w)
                with np.errstate(invalid="ignore", divide="ignore"):
                    n_eff = np.where(W2 > 0, W * W / np.where(W2 > 0, W2, 1.0), np.nan)
            self._sizes = (n, W, n_eff)
        return self._sizes

    def dont_know_figures(self) -> dict[str, np.ndarray]:
        """``n_dont_know`` and ``dont_know_share`` = n_dont_know / (n + n_dont_know) per cell.

        Same weights rule as ``n``: both are *unweighted* counts of answers, whether the
        indicator is weighted or not (the share says how many respondents could not answer, it is
        not an estimate). NaN share where the cell has neither answers nor don't-know.
        """
        n = self.sizes()[0]
        total = n + self.dk
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(total > 0, self.dk / np.where(total > 0, total, 1), np.nan)
        return {"n_dont_know": self.dk.astype(np.int64, copy=False), "dont_know_share": share}


def dont_know_column(df: pd.DataFrame, col: str) -> np.ndarray | None:
    """The don't-know flags of ``col`` (column ``col + DK_SUFFIX``), or None when the frame has none."""
    name = col + DK_SUFFIX
    if name not in df.columns:
        return None
    return df[name].to_numpy(dtype=bool, na_value=False)


def answered_cells(y: np.ndarray, w: np.ndarray | None, groups: Groups,
                   dk: np.ndarray | None = None) -> Cells:
    """The answers ``y`` (and weights ``w``) of the rows that are in a cell and answered.

    ``dk`` (one flag per row): the don't-know answers, counted per cell apart from the answers
    (a row with an answer is never counted as don't-know).
    """
    answered = ~np.isnan(y)
    ok = answered & (groups.codes >= 0) if groups.has_missing else answered
    idx = np.flatnonzero(ok)  # flatnonzero + take is several times faster than y[ok]
    dk_counts = None
    if dk is not None:
        flagged = dk & ~answered & (groups.codes >= 0)
        dk_counts = np.bincount(groups.codes[flagged], minlength=groups.ngroups).astype(np.int64)
    return Cells(y.take(idx), None if w is None else w.take(idx), groups.codes.take(idx),
                 groups.ngroups, dk_counts)


def prepare(df: pd.DataFrame, score: str, by, weight: str | None,
            dropna: bool) -> tuple[Cells, Groups]:
    """The cells of ``df`` by ``by`` and the answers to ``score`` in them (weighted or not)."""
    groups = group_codes(df, by, dropna=dropna)
    y = numeric_column(df, score)
    w = weight_column(df, weight, answered=~np.isnan(y))
    return answered_cells(y, w, groups, dont_know_column(df, score)), groups


def cells_frame(groups: Groups, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per cell: its ``by`` values, then ``columns`` (one value per cell each)."""
    return pd.concat([groups.keys, pd.DataFrame(columns, index=groups.keys.index)], axis=1)


# --------------------------------------------------------------------------------------------
# Suppression inputs
# --------------------------------------------------------------------------------------------
def table_layout(by: Sequence[str]) -> dict[str, list[str] | None]:
    """How a table by ``by`` is laid out for secondary suppression.

    One column: a single line whose margin is the overall figure. Two columns: rows × columns
    with both margins. More: the leading columns slice independent rows × columns tables.
    """
    by = list(by)
    if not by:
        return {"by_rows": None, "by_cols": None, "slice_by": None}
    if len(by) == 1:
        return {"by_rows": by, "by_cols": None, "slice_by": None}
    return {"by_rows": [by[-2]], "by_cols": [by[-1]], "slice_by": by[:-2] or None}
