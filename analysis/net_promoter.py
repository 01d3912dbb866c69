"""Net Promoter Score per cell (methodology.md, "Net Promoter Score").

Pure numpy/pandas, no Django import. On the 0–10 recommendation scale, promoters answer 9–10
and detractors 0–6: NPS = 100 · (p_P − p_D). Its interval is the adjusted Wald of Rocks (2016)
on m = n_eff, clipped to ±100; ``se`` is the plain Wald standard error, the one the wave
comparison uses.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .cells import Cells, cells_frame, prepare
from .intervals import Z, low_precision

__all__ = ["NPS_PROMOTER_MIN", "NPS_DETRACTOR_MAX", "nps_figures", "nps"]

#: NPS bands on the 0–10 recommendation scale
NPS_PROMOTER_MIN = 9
NPS_DETRACTOR_MAX = 6


def _adjusted_wald(p_p: np.ndarray, p_d: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CI of 100·(p_P − p_D): add 3/4 promoter, 3/4 detractor (and 3/2 passive), clip to ±100."""
    with np.errstate(invalid="ignore", divide="ignore"):
        pt_p = (p_p * m + 0.75) / (m + 3.0)
        pt_d = (p_d * m + 0.75) / (m + 3.0)
        c = pt_p - pt_d
        half = Z * np.sqrt((pt_p + pt_d - c * c) / (m + 3.0))
        low = np.clip(100.0 * (c - half), -100.0, 100.0)
        high = np.clip(100.0 * (c + half), -100.0, 100.0)
    return low, high


def nps_figures(cells: Cells) -> dict[str, np.ndarray]:
    """n, n_eff, value, ci_low, ci_high, se, p_promoters, p_detractors, low_precision per cell, and
    the cell's don't-know count and share (unweighted, like n; never in p_P, p_D or m)."""
    if cells.y.size and ((cells.y < 0) | (cells.y > 10)).any():
        raise ValueError("NPS answers must lie on the 0-10 scale")
    n, W, n_eff = cells.sizes()
    promoter = (cells.y >= NPS_PROMOTER_MIN).astype(np.float64)
    detractor = (cells.y <= NPS_DETRACTOR_MAX).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_p = cells.wsum(promoter) / W
        p_d = cells.wsum(detractor) / W
        diff = p_p - p_d
        low, high = _adjusted_wald(p_p, p_d, n_eff)
        # plain Wald standard error, the one used to compare waves
        se = 100.0 * np.sqrt(np.maximum(p_p + p_d - diff * diff, 0.0) / n_eff)
    return {
        "n": n,
        "n_eff": n_eff,
        "value": 100.0 * diff,
        "ci_low": low,
        "ci_high": high,
        "se": se,
        "p_promoters": p_p,
        "p_detractors": p_d,
        "low_precision": low_precision(n, (high - low) / 2.0),
        **cells.dont_know_figures(),
    }


def nps(
    df: pd.DataFrame,
    score: str,
    by: str | Sequence[str] | None = None,
    weight: str | None = None,
    *,
    dropna: bool = True,
) -> pd.DataFrame:
    """Net Promoter Score 100·(p_P − p_D), adjusted-Wald CI (m = n_eff) clipped to ±100.

    Columns: by…, n, n_eff, value, ci_low, ci_high, se (plain Wald, used by wave tests),
    p_promoters, p_detractors (0–1), low_precision, n_dont_know, dont_know_share (unweighted,
    outside every denominator). Answers outside 0–10 raise ValueError.
    """
    cells, groups = prepare(df, score, by, weight, dropna)
    return cells_frame(groups, nps_figures(cells))
