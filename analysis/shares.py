"""Shares per cell: % satisfied (top-2-box) and the distribution of the answer codes.

Pure numpy/pandas, no Django import. % satisfied = 100 · Σw·[y ≥ threshold] / W with the
Wilson interval on n_eff (methodology.md, "% satisfied"); the distribution gives every
code's weighted share of the cell's answers (stacked bars).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .cells import Cells, cells_frame, prepare
from .intervals import low_precision, wilson

__all__ = ["satisfied_figures", "pct_satisfied", "distribution"]


def satisfied_figures(cells: Cells, threshold: float) -> dict[str, np.ndarray]:
    """n, n_eff, value, ci_low, ci_high, se, low_precision of % satisfied, one value per cell, and
    the cell's don't-know count and share (unweighted, like n; never in W or n_eff)."""
    n, W, n_eff = cells.sizes()
    hit = (cells.y >= threshold).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = cells.wsum(hit) / W
        se = np.sqrt(p * (1.0 - p) / n_eff)
    low, high = wilson(p, n_eff)
    return {
        "n": n,
        "n_eff": n_eff,
        "value": 100.0 * p,
        "ci_low": 100.0 * low,
        "ci_high": 100.0 * high,
        "se": 100.0 * se,
        "low_precision": low_precision(n, 100.0 * (high - low) / 2.0),
        **cells.dont_know_figures(),
    }


def pct_satisfied(
    df: pd.DataFrame,
    score: str,
    by: str | Sequence[str] | None = None,
    weight: str | None = None,
    threshold: float = 4,
    *,
    dropna: bool = True,
) -> pd.DataFrame:
    """% satisfied (top-2-box: answer ≥ ``threshold``), 0–100, Wilson interval on n_eff.

    Columns: by…, n, n_eff, value, ci_low, ci_high, se (Wald, for wave tests), low_precision,
    n_dont_know, dont_know_share (unweighted, outside every denominator).
    """
    cells, groups = prepare(df, score, by, weight, dropna)
    return cells_frame(groups, satisfied_figures(cells, threshold))


def _code_positions(y: np.ndarray, code_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Position of each answer among the sorted ``code_values``, and whether it is one of them."""
    K = code_values.size
    idx = np.searchsorted(code_values, y)
    idx_c = np.minimum(idx, max(K - 1, 0))
    known = (idx < K) & (code_values[idx_c] == y) if K else np.zeros(y.size, bool)
    return idx, known


def distribution(
    df: pd.DataFrame,
    score: str,
    by: str | Sequence[str] | None = None,
    weight: str | None = None,
    *,
    codes: Sequence[float] | None = None,
    dropna: bool = True,
) -> pd.DataFrame:
    """Weighted share of each answer code, long format (for stacked bars).

    Columns: by…, code, share (0–1; each cell's shares sum to 1), n (answers with that code),
    n_cell (answers in the cell — the count to check for confidentiality:
    ``disclosure.suppress(table, n_col="n_cell", ...)``), n_dont_know and dont_know_share =
    n_dont_know / (n_cell + n_dont_know) (unweighted counts, like n_cell; the shares above
    exclude don't-know). Every cell lists every code (observed
    ones, or ``codes``), zeros included, so bars line up. Answers not in ``codes`` are ignored.
    """
    cells, groups = prepare(df, score, by, weight, dropna)
    if codes is None:
        code_values = np.unique(cells.y)
    else:
        code_values = np.asarray(sorted(codes), dtype=np.float64)
    K = code_values.size
    idx, known = _code_positions(cells.y, code_values)
    flat = cells.c[known] * K + idx[known]
    size = groups.ngroups * K
    counts = np.bincount(flat, minlength=size)
    w_known = None if cells.w is None else cells.w[known]
    wsum = np.bincount(flat, weights=w_known, minlength=size).astype(np.float64)
    n_cell = np.bincount(cells.c[known], minlength=groups.ngroups)
    W = np.bincount(cells.c[known], weights=w_known, minlength=groups.ngroups).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = wsum / np.repeat(W, K)
    out = groups.keys.loc[np.repeat(np.arange(groups.ngroups), K)].reset_index(drop=True)
    whole = np.all(code_values == np.round(code_values))
    out["code"] = np.tile(code_values.astype(np.int64) if whole else code_values, groups.ngroups)
    out["share"] = share
    out["n"] = counts
    out["n_cell"] = np.repeat(n_cell, K)
    total = n_cell + cells.dk  # don't-know: beside the distribution, never in its shares
    with np.errstate(invalid="ignore", divide="ignore"):
        dk_share = np.where(total > 0, cells.dk / np.where(total > 0, total, 1), np.nan)
    out["n_dont_know"] = np.repeat(cells.dk, K)
    out["dont_know_share"] = np.repeat(dk_share, K)
    return out
