"""Mean score of a question per cell, with its t interval (methodology.md, "Mean score").

Pure numpy/pandas, no Django import. ȳ = Σwy / W; the variance is linearised,
v = n/(n−1) · Σ w²(y − ȳ)² / W² (= s²/n unweighted), and CI = ȳ ± t(0.975, n−1)·√v.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .cells import Cells, cells_frame, prepare
from .intervals import low_precision, t_quantile

__all__ = ["mean_figures", "mean_score", "index_0_100"]


def mean_figures(cells: Cells, scale: tuple[float, float]) -> dict[str, np.ndarray]:
    """n, n_eff, value, ci_low, ci_high, se, low_precision of the mean, one value per cell, and the
    cell's don't-know count and share (unweighted, like n; never in the denominators)."""
    n, W, n_eff = cells.sizes()
    with np.errstate(invalid="ignore", divide="ignore"):
        ybar = cells.wsum(cells.y) / W
        # two passes (deviations from the cell mean) so that equal answers give exactly 0
        dev = cells.y - ybar.take(cells.c)
        if cells.w is not None:
            dev *= cells.w
        q = cells.sum(dev * dev)
        v = np.where(n >= 2, n / np.maximum(n - 1, 1) * q / (W * W), np.nan)
        se = np.sqrt(v)
        t = t_quantile(np.where(n >= 2, n - 1, np.nan))
        half = t * se
    lo, hi = scale
    points = 100.0 / (hi - lo)
    return {
        "n": n,
        "n_eff": n_eff,
        "value": ybar,
        "ci_low": ybar - half,
        "ci_high": ybar + half,
        "se": se,
        "low_precision": low_precision(n, half * points),
        **cells.dont_know_figures(),
    }


def mean_score(
    df: pd.DataFrame,
    score: str,
    by: str | Sequence[str] | None = None,
    weight: str | None = None,
    *,
    scale: tuple[float, float] = (1, 5),
    dropna: bool = True,
) -> pd.DataFrame:
    """Mean score ȳ = Σwy/W with a t interval on the linearised variance.

    v = n/(n−1) · Σ w²(y − ȳ)² / W² (= s²/n unweighted); CI = ȳ ± t(0.975, n−1)·√v.
    n = 0: value NaN; n = 1: value defined, CI and se NaN.
    Columns: by…, n, n_eff, value, ci_low, ci_high, se, low_precision, n_dont_know,
    dont_know_share (unweighted, outside every denominator: :meth:`Cells.dont_know_figures`).
    ``scale`` (min, max of the answer scale) only serves the low-precision rule.
    """
    cells, groups = prepare(df, score, by, weight, dropna)
    return cells_frame(groups, mean_figures(cells, scale))


def index_0_100(mean: float | np.ndarray | pd.Series, scale: tuple[float, float] = (1, 5)):
    """Index 0–100 of a mean on a (min, max) scale: (ȳ − min)/(max − min)·100."""
    lo, hi = scale
    return (mean - lo) / (hi - lo) * 100.0
