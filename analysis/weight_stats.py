"""Diagnostics of a set of weights (``docs/weighting.md``, "Diagnostics of a run").

Pure numpy/pandas, no Django: min, max, mean, CV, Kish's effective size and design effect due
to weighting, the share of weight ratios at a bound, and a histogram of the weights.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["weight_summary", "weight_histogram"]


def weight_summary(weights, g=None, bounds: tuple[float, float] | None = None) -> dict:
    """min, max, mean, cv, n, n_eff (W² / Σ w²), deff (1 + CV²), at_bound (share of g at L or U).

    CV uses the population standard deviation (divisor n), so that n_eff = n / deff exactly.
    """
    w = np.asarray(weights, dtype=np.float64)
    n = int(w.size)
    if n == 0:
        return {"n": 0, "min": None, "max": None, "mean": None, "cv": None, "n_eff": 0.0, "deff": None,
                "at_bound": None}
    mean = float(w.mean())
    cv = float(w.std() / mean) if mean > 0 else float("nan")
    n_eff = float(w.sum() ** 2 / np.square(w).sum()) if np.square(w).sum() > 0 else 0.0
    at_bound = None
    if bounds is not None:
        ratio = w if g is None else np.asarray(g, dtype=np.float64)
        lo, hi = bounds
        eps = 1e-9 * hi
        at_bound = float(np.mean((np.abs(ratio - lo) <= eps) | (np.abs(ratio - hi) <= eps)))
    return {"n": n, "min": float(w.min()), "max": float(w.max()), "mean": mean, "cv": cv,
            "n_eff": n_eff, "deff": 1 + cv * cv, "at_bound": at_bound}


def weight_histogram(weights, bins: int = 30) -> pd.DataFrame:
    """Counts of weights per bin: columns ``low``, ``high``, ``count`` (equal-width bins)."""
    w = np.asarray(weights, dtype=np.float64)
    if w.size == 0:
        return pd.DataFrame({"low": [], "high": [], "count": []})
    lo, hi = float(w.min()), float(w.max())
    if hi - lo < 1e-12:
        hi = lo + 1e-6
    counts, edges = np.histogram(w, bins=bins, range=(lo, hi))
    return pd.DataFrame({"low": edges[:-1], "high": edges[1:], "count": counts.astype(np.int64)})
