"""Calibration on margins with bounds (in the manner of Insee's CALMAR), and trimming.

Pure numpy/pandas, no Django import. The notation is ``docs/weighting.md``'s.

Calibration (Deville & Särndal 1992) looks for weights w_i = d_i · g_i as close as possible to the
design weights d_i (all 1 when there are none) under a distance G, such that the weighted margins
of every calibration variable equal its targets: Σ_i w_i x_i = X, x_i the row's category
indicators. The solution is w_i = d_i · F(x_i'λ), F the inverse of G's derivative, with λ the
root of φ(λ) = Σ_i d_i F(x_i'λ) x_i − X, found by Newton's method:
λ ← λ + [Σ_i d_i F'(x_i'λ) x_i x_i']⁻¹ (X − Σ_i d_i F(x_i'λ) x_i).

Distances (CALMAR's methods): ``linear`` F(u) = 1 + u (GREG; negative weights possible);
``raking`` F(u) = exp(u) (raking ratio: the same weights as iterative proportional fitting);
``logit`` F(u) = [L(U−1) + U(1−L)e^{Au}] / [(U−1) + (1−L)e^{Au}], A = (U−L)/((1−L)(U−1)),
which keeps L < g < U; ``linear`` and ``raking`` with bounds are *truncated*: F clipped to
[L, U] (CALMAR's "linéaire tronquée"), its derivative 0 where clipped.

The ratio g depends only on the row's combination of categories, so Newton runs on the table of
observed combinations (a few dozen cells for a million rows). Targets are shares or counts,
normalised to shares of Σ d_i, so with d_i = 1 the weights have mean 1 and the bounds read as
"at most U times, at least L times the average". Impossible bounds (a category that would need g
above U or below L), non-convergence and an empty target cell raise
:class:`~analysis.weighting.WeightingError` naming the margin and its gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from .weighting import WeightingError, check_inputs, combination_cells, prepared_margins, \
    target_shares

__all__ = ["METHODS", "CalibrationResult", "TrimResult", "calibrate", "trim", "margin_gaps"]

METHODS = ("linear", "raking", "logit")


@dataclass(frozen=True)
class CalibrationResult:
    weights: pd.Series  # w_i = d_i · g_i, aligned on df.index, sum Σ d_i
    g: pd.Series  # the weight ratios w_i / d_i
    method: str
    bounds: tuple[float, float] | None
    converged: bool
    iterations: int  # Newton steps
    max_rel_error: float  # max over margins of |achieved − target| / target


@dataclass(frozen=True)
class TrimResult:
    weights: pd.Series
    iterations: int
    trimmed: int  # weights set to a bound


def _logit(lo: float, hi: float):
    """(F, F', Ψ) of the logit distance, L < g < U."""
    a = (hi - lo) / ((1 - lo) * (hi - 1))
    shift = np.log((1 - lo) / (hi - 1))

    def share(u):  # p = 1 / (1 + e^{−(Au + ln((1−L)/(U−1)))}), so F = L + (U − L)·p
        return 0.5 * (1 + np.tanh((a * u + shift) / 2))

    def f(u):
        return lo + (hi - lo) * share(u)

    def fprime(u):
        p = share(u)
        return a * (hi - lo) * p * (1 - p)

    def psi(u):  # ∫ F = L·u + (U−L)/A · ln((U−1) + (1−L)e^{Au})
        return lo * u + (hi - lo) / a * np.logaddexp(np.log(hi - 1), np.log(1 - lo) + a * u)
    return f, fprime, psi


def _truncated(base, base_prime, base_psi, inverse, lo: float, hi: float):
    """F clipped to [L, U]; Ψ continues linearly beyond the kinks (convex, C¹)."""
    u_lo = inverse(lo) if lo > 0 else -np.inf
    u_hi = inverse(hi)

    def f(u):
        return np.clip(base(u), lo, hi)

    def fprime(u):
        return np.where((u > u_lo) & (u < u_hi), base_prime(u), 0.0)

    def psi(u):
        inside = base_psi(np.clip(u, u_lo if np.isfinite(u_lo) else -700, u_hi))
        return inside + hi * np.maximum(u - u_hi, 0) + (lo * np.minimum(u - u_lo, 0) if lo > 0 else 0.0)
    return f, fprime, psi


def _distance(method: str, bounds: tuple[float, float] | None):
    """(F, F', Ψ) for a method and its bounds on g; Ψ' = F is the dual objective's integrand."""
    if method not in METHODS:
        raise WeightingError(f"unknown calibration method {method!r} (one of {', '.join(METHODS)})")
    if bounds is not None:
        lo, hi = (float(b) for b in bounds)
        if not (np.isfinite(lo) and np.isfinite(hi)) or not 0 <= lo < 1 < hi:
            raise WeightingError(f"bounds must satisfy 0 ≤ L < 1 < U, got L={lo:g}, U={hi:g}")
    if method == "logit":
        if bounds is None:
            raise WeightingError("the logit method needs bounds L < 1 < U")
        return _logit(lo, hi)
    if method == "linear":
        base, base_prime = (lambda u: 1 + u), (lambda u: np.ones_like(u))
        base_psi, inverse = (lambda u: u + u * u / 2), (lambda g: g - 1)
    else:
        base = base_prime = (lambda u: np.exp(np.clip(u, -700, 700)))
        base_psi, inverse = (lambda u: np.exp(np.clip(u, -700, 700)) - 1), np.log
    if bounds is None:
        return base, base_prime, base_psi
    return _truncated(base, base_prime, base_psi, inverse, lo, hi)


def _feasible(x: np.ndarray, cell_d: np.ndarray, big_x: np.ndarray, bounds) -> bool:
    """Whether some g within the bounds solves the calibration equations (a small LP on cells)."""
    from scipy.optimize import linprog

    res = linprog(np.zeros(cell_d.size), A_eq=(x * cell_d[:, None]).T, b_eq=big_x,
                  bounds=[(float(bounds[0]), float(bounds[1]))] * cell_d.size, method="highs")
    return res.status != 2  # 2: infeasible


def margin_gaps(df: pd.DataFrame, margins: Mapping[str, Mapping], weights) -> pd.DataFrame:
    """Achieved vs target share of every margin: variable, category, target, achieved, gap.

    Targets are normalised to shares; ``gap`` = achieved − target. For reports and errors.
    """
    w = np.asarray(weights, dtype=np.float64)
    total = w.sum()
    rows = []
    for var, targets in margins.items():
        shares = target_shares(var, targets)
        achieved = pd.Series(w, index=df.index).groupby(df[var], observed=True).sum()
        for cat, t in shares.items():
            a = float(achieved.get(cat, 0.0)) / total if total > 0 else 0.0
            rows.append({"variable": var, "category": cat, "target": t, "achieved": a, "gap": a - t})
    return pd.DataFrame(rows, columns=["variable", "category", "target", "achieved", "gap"])


def _worst(prepared: list, cell_codes, cw: np.ndarray, total: float) -> tuple[float, str]:
    """Largest relative margin error, and a sentence naming that margin and its gap."""
    worst, text = 0.0, ""
    for (var, _, target, cats), cc in zip(prepared, cell_codes):
        achieved = np.bincount(cc, weights=cw, minlength=target.size) / total
        err = np.where(target > 0, np.abs(achieved - target) / np.where(target > 0, target, 1),
                       np.abs(achieved))
        k = int(np.argmax(err))
        if err[k] > worst or not text:
            cat = cats[k]
            worst = float(err[k])
            text = (f"margin {var}={cat!r} reaches {achieved[k]:.6g} against a target of "
                    f"{target[k]:.6g} (gap {achieved[k] - target[k]:+.3g})")
    return worst, text


def _design_weights(design_weights, n_rows: int) -> np.ndarray:
    if design_weights is None:
        return np.ones(n_rows, dtype=np.float64)
    d = np.asarray(design_weights, dtype=np.float64)
    if d.shape != (n_rows,) or not np.isfinite(d).all() or (d <= 0).any():
        raise WeightingError("design weights must be finite, positive, one per row")
    return d


def _calibration_margins(df: pd.DataFrame, margins: Mapping[str, Mapping]) -> list[tuple]:
    """Per variable (name, codes, target shares, categories); a 0 target with respondents raises."""
    prepared = []
    for var, codes, target in prepared_margins(df, margins):
        cats = list(margins[var])
        present = np.bincount(codes, minlength=target.size) > 0
        zero = np.flatnonzero((target == 0) & present)
        if zero.size:
            raise WeightingError(
                f"target category {cats[zero[0]]!r} of variable {var!r} has a target of 0 but "
                "has respondents: calibration cannot give them no weight; drop the category")
        prepared.append((var, codes, target, cats))
    return prepared


def _check_bounds(prepared: list, cell_codes, cell_d: np.ndarray, total: float, bounds) -> None:
    """Necessary condition: each category's weighted total lies within [L, U] × Σ d."""
    lo, hi = float(bounds[0]), float(bounds[1])
    for (var, _, target, cats), cc in zip(prepared, cell_codes):
        dsum = np.bincount(cc, weights=cell_d, minlength=target.size)
        need = target * total / dsum
        for k in np.flatnonzero((need > hi * (1 + 1e-12)) | (need < lo * (1 - 1e-12))):
            raise WeightingError(
                f"bounds [{lo:g}, {hi:g}] cannot reach margin {var}={cats[k]!r}: it needs an "
                f"average ratio g = {need[k]:.4g} (target share {target[k]:.4g}, sample share "
                f"{dsum[k] / total:.4g}); widen the bounds")


def _design_matrix(prepared: list, cell_codes, total: float) -> tuple[np.ndarray, np.ndarray]:
    """x (cells × categories) and the target totals X.

    Every category of the first variable, all but the last of the others (their totals are
    implied by the first variable's), so the Jacobian is invertible. Categories nobody is in
    (allowed when their target is 0) give no column.
    """
    blocks, totals = [], []
    for i, ((_, _, target, _), cc) in enumerate(zip(prepared, cell_codes)):
        keep = np.flatnonzero(np.bincount(cc, minlength=target.size) > 0)
        keep = keep if i == 0 else keep[:-1]
        blocks.append(np.eye(target.size)[cc][:, keep])
        totals.append(target[keep] * total)
    return np.hstack(blocks), np.concatenate(totals)


def _newton(x: np.ndarray, big_x: np.ndarray, cell_d: np.ndarray, distance, worst,
            total: float, tol: float, max_iter: int) -> tuple[np.ndarray, float, str, int]:
    """Solve φ(λ) = 0 on the cells: (g per cell, max relative error, worst margin, steps).

    ``worst(cell weights)`` gives the largest relative margin error and the sentence naming it.
    """
    f, fprime, psi = distance
    lam = np.zeros(x.shape[1])

    def dual(lam_: np.ndarray) -> float:  # convex; its gradient is −(X − Σ d F(x'λ) x)
        return float(cell_d @ psi(x @ lam_) - lam_ @ big_x)

    g = f(x @ lam)
    error, text = worst(cell_d * g)
    iterations = 0
    ridge = 1e-15 * total  # keeps the Jacobian invertible when every cell is at a bound
    while error > tol and iterations < max_iter:
        iterations += 1
        u = x @ lam
        residual = big_x - x.T @ (cell_d * f(u))
        jac = (x * (cell_d * fprime(u))[:, None]).T @ x
        step = np.linalg.solve(jac + ridge * np.eye(lam.size), residual)
        # The full Newton step when it brings the margins closer; else damped: halve it until
        # the dual objective decreases enough (Armijo). A plain Newton step may jump over the
        # kinks of a truncated distance and cycle.
        g_new = f(x @ (lam + step))
        new_error, new_text = worst(cell_d * g_new) if np.isfinite(g_new).all() else (np.inf, text)
        if new_error < error:
            lam, g, error, text = lam + step, g_new, new_error, new_text
            continue
        current, slope, t = dual(lam), -float(residual @ step), 0.5
        while t > 1e-12 and not dual(lam + t * step) <= current + 1e-4 * t * slope:
            t /= 2
        lam = lam + t * step
        g = f(x @ lam)
        if not np.isfinite(g).all():
            break
        error, text = worst(cell_d * g)
    return g, error, text, iterations


def calibrate(
    df: pd.DataFrame,
    margins: Mapping[str, Mapping],
    method: str = "linear",
    bounds: tuple[float, float] | None = None,
    *,
    design_weights: pd.Series | np.ndarray | None = None,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> CalibrationResult:
    """Calibrate the design weights to the ``margins`` {variable: {category: target}}.

    ``method`` is ``linear``, ``raking`` or ``logit``; ``bounds`` = (L, U) bounds g = w/d
    (required by ``logit``; with the others, F is truncated). Raises :class:`WeightingError` on
    an empty target cell, bounds no weighting can meet, or no convergence within ``max_iter``
    Newton steps (the message names the worst margin and its gap; ``exc.result`` holds the last
    iterate). ``tol`` is on the largest relative margin error.
    """
    check_inputs(df, margins)
    distance = _distance(method, bounds)
    d = _design_weights(design_weights, len(df))
    prepared = _calibration_margins(df, margins)
    total = float(d.sum())
    cell, cell_codes, cell_d = combination_cells(
        [p[1] for p in prepared], [p[2].size for p in prepared], d)
    if bounds is not None:
        _check_bounds(prepared, cell_codes, cell_d, total, bounds)
    x, big_x = _design_matrix(prepared, cell_codes, total)
    g, error, text, iterations = _newton(
        x, big_x, cell_d, distance, lambda cw: _worst(prepared, cell_codes, cw, total),
        total, tol, max_iter)
    converged = bool(np.isfinite(g).all() and error <= tol)
    g_rows = pd.Series(g[cell], index=df.index, name="g")
    result = CalibrationResult(pd.Series(d * g[cell], index=df.index, name="weight"), g_rows,
                               method, None if bounds is None else (float(bounds[0]), float(bounds[1])),
                               converged, iterations, float(error))
    if not converged:
        bounds_text = "" if bounds is None else f" with bounds [{bounds[0]:g}, {bounds[1]:g}]"
        why = ""
        if bounds is not None and not _feasible(x, cell_d, big_x, bounds):
            why = "; no weights within these bounds reach every margin (widen the bounds)"
        raise WeightingError(
            f"{method} calibration{bounds_text} did not converge after {iterations} iterations: "
            f"{text}{why}", result)
    return result


def trim(
    weights: pd.Series | np.ndarray,
    lower: float | None = None,
    upper: float | None = None,
    *,
    max_iter: int = 100,
) -> TrimResult:
    """Trim weights to [lower, upper] × their mean, redistributing the excess to the others.

    Each pass sets the weights beyond a bound to it and rescales the untrimmed ones so the total
    is unchanged; passes repeat until no weight is out of bounds (the classic trimming of e.g.
    Potter 1990). Margins reached before trimming are then only approximately kept: calibrate
    with bounds when they must hold exactly.
    """
    index = weights.index if isinstance(weights, pd.Series) else None
    w = np.asarray(weights, dtype=np.float64).copy()
    if w.size == 0 or not np.isfinite(w).all() or (w < 0).any():
        raise WeightingError("weights to trim must be finite, non-negative and not empty")
    lo = 0.0 if lower is None else float(lower)
    hi = np.inf if upper is None else float(upper)
    if not 0 <= lo <= 1 <= hi:
        raise WeightingError(f"trimming bounds must satisfy 0 ≤ lower ≤ 1 ≤ upper, got {lo:g}, {hi:g}")
    total, mean = w.sum(), w.mean()
    lo_w, hi_w = lo * mean, hi * mean
    fixed = np.zeros(w.size, dtype=bool)
    iterations = 0
    while iterations < max_iter:
        out = ~fixed & ((w > hi_w * (1 + 1e-12)) | (w < lo_w * (1 - 1e-12)))
        if not out.any():
            break
        iterations += 1
        w[out & (w > hi_w)] = hi_w
        w[out & (w < lo_w)] = lo_w
        fixed |= out
        free = ~fixed
        rest = total - w[fixed].sum()
        if not free.any() or w[free].sum() <= 0:
            raise WeightingError("trimming bounds leave no weight free to take the excess")
        w[free] *= rest / w[free].sum()
    else:
        raise WeightingError(f"trimming did not settle after {max_iter} passes")
    trimmed = int(fixed.sum())
    series = pd.Series(w, index=index if index is not None else pd.RangeIndex(w.size), name="weight")
    return TrimResult(series, iterations, trimmed)
