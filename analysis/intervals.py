"""Confidence intervals and the "interpret with caution" rule shared by the indicators.

Pure numpy (scipy.special, loaded on first use, for t quantiles): no Django import.
Methodology: 95 % intervals, z = 1.959964; Wilson score interval for a proportion on the
effective size n_eff; t(0.975, n − 1) for a mean; a figure is *low precision* when it rests on
fewer than 30 answers or its CI half-width exceeds 10 points (of %, NPS, or the 0–100 index of a
mean's scale).
"""

from __future__ import annotations

import numpy as np

__all__ = ["Z", "LOW_PRECISION_N", "LOW_PRECISION_HALF_WIDTH", "wilson", "t_quantile",
           "low_precision"]

#: the 0.975 quantile of the standard normal (methodology: z = 1.959964);
#: = scipy.special.ndtri(0.975), written out so that importing this module does not load scipy
Z: float = 1.959963984540054

#: low-precision rule: n below this, or a CI half-width above ``LOW_PRECISION_HALF_WIDTH`` points
LOW_PRECISION_N = 30
LOW_PRECISION_HALF_WIDTH = 10.0


def wilson(p: np.ndarray, m: np.ndarray, z: float = Z) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion p with (effective) size m, clipped to [0, 1]."""
    with np.errstate(invalid="ignore", divide="ignore"):
        z2 = z * z
        denom = 1.0 + z2 / m
        centre = (p + z2 / (2.0 * m)) / denom
        half = z * np.sqrt(p * (1.0 - p) / m + z2 / (4.0 * m * m)) / denom
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def t_quantile(df: np.ndarray, q: float = 0.975) -> np.ndarray:
    """Student t quantile t(q, df), vectorised (scipy.special: lighter than scipy.stats)."""
    # Imported on first use, not to hide a cycle: importing the indicators stays scipy-free.
    from scipy import special

    return special.stdtrit(df, q)


def low_precision(n: np.ndarray, half_width_points: np.ndarray) -> np.ndarray:
    """n < 30 or a CI half-width above 10 points; an undefined (NaN) half-width counts as wide."""
    with np.errstate(invalid="ignore"):
        wide = ~(half_width_points <= LOW_PRECISION_HALF_WIDTH)  # NaN -> wide
    return (n < LOW_PRECISION_N) | wide
