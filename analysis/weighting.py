"""Weights that correct for categories (and channels) answering at different rates.

Pure numpy/pandas, no Django import.

* :func:`poststratify` — one variable: w_i = target share of i's category / sample share.
* :func:`rake` — several variables (iterative proportional fitting): start from w = 1 (or the
  given base weights), scale each variable's weighted margins to its targets in turn; stop when
  every margin is within ``tol`` of its target (relative) or after ``max_iter`` full cycles.

Targets may be shares or counts: they are normalised to sum 1. Weights are normalised to mean 1.
A target category with no respondent, a respondent whose category has no target (or is
missing), or a negative target raises :class:`WeightingError` naming it. Raking that does not
converge raises :class:`WeightingError` carrying the report (``exc.result``) unless
``raise_on_failure=False`` — it never silently returns unconverged weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from .cells import number_observed

__all__ = ["WeightingError", "RakeResult", "poststratify", "rake", "margins_of", "target_shares",
           "category_codes", "check_inputs", "prepared_margins", "combination_cells"]


class WeightingError(ValueError):
    """Weights cannot be computed as asked; the message names the variable and category."""

    def __init__(self, message: str, result: "RakeResult | None" = None):
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class RakeResult:
    weights: pd.Series  # aligned on df.index, mean 1
    converged: bool
    iterations: int  # full cycles over the variables
    max_rel_error: float  # max over margins of |achieved share − target| / target


def target_shares(var: str, targets: Mapping) -> dict:
    """The targets of ``var`` as shares summing to 1 (validated: numbers, ≥ 0, not all 0)."""
    if not targets:
        raise WeightingError(f"no targets given for variable {var!r}")
    values = {}
    for cat, t in targets.items():
        try:
            t = float(t)
        except (TypeError, ValueError):
            raise WeightingError(f"target for {var}={cat!r} is not a number: {t!r}") from None
        if not np.isfinite(t) or t < 0:
            raise WeightingError(f"target for {var}={cat!r} must be a non-negative number, got {t}")
        values[cat] = t
    total = sum(values.values())
    if total <= 0:
        raise WeightingError(f"targets for variable {var!r} sum to zero")
    return {cat: t / total for cat, t in values.items()}


def category_codes(df: pd.DataFrame, var: str, shares: dict) -> tuple[np.ndarray, np.ndarray]:
    """Row → target index, and the target shares in that index order (validated)."""
    if var not in df.columns:
        raise WeightingError(f"variable {var!r} is not a column of the data")
    cats = list(shares)
    s = df[var]
    index = pd.Index(cats)
    if isinstance(s.dtype, pd.CategoricalDtype):  # map the categories, not the million rows
        per_category = np.append(index.get_indexer(s.cat.categories), -1)
        codes = per_category[s.cat.codes.to_numpy()]  # code -1 (missing) → last entry, -1
    else:
        codes = index.get_indexer(s)
    if (codes < 0).any():
        pos = int(np.flatnonzero(codes < 0)[0])
        value = s.iloc[pos]
        if pd.isna(value):
            raise WeightingError(
                f"variable {var!r} is missing for data row {pos + 1} (1-based); "
                "every respondent needs a category to be weighted")
        raise WeightingError(
            f"category {value!r} of variable {var!r} (data row {pos + 1}, 1-based) has no target")
    target = np.array([shares[c] for c in cats], dtype=np.float64)
    counts = np.bincount(codes, minlength=len(cats))
    empty = np.flatnonzero((counts == 0) & (target > 0))
    if empty.size:
        raise WeightingError(
            f"target category {cats[empty[0]]!r} of variable {var!r} has no respondent")
    return codes, target


def _normalise(w: np.ndarray) -> np.ndarray:
    mean = w.mean() if w.size else 1.0
    if not mean > 0:
        raise WeightingError("all weights are zero")
    return w / mean


def margins_of(df: pd.DataFrame, var: str, weights: pd.Series | np.ndarray | None = None) -> pd.Series:
    """Weighted share of each category of ``var`` (a convenience for checks and reports)."""
    w = np.ones(len(df)) if weights is None else np.asarray(weights, dtype=np.float64)
    s = pd.Series(w, index=df.index).groupby(df[var], observed=True).sum()
    return s / s.sum()


def poststratify(df: pd.DataFrame, var: str, targets: Mapping) -> pd.Series:
    """Post-stratification weights on one variable, mean 1, aligned on ``df.index``."""
    shares = target_shares(var, targets)
    codes, target = category_codes(df, var, shares)
    counts = np.bincount(codes, minlength=target.size).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(counts > 0, target * len(df) / np.where(counts > 0, counts, 1), 0.0)
    return pd.Series(_normalise(factor[codes]), index=df.index, name="weight")


def check_inputs(df: pd.DataFrame, margins: Mapping[str, Mapping]) -> None:
    """Something to weight and something to weight it to, or :class:`WeightingError`."""
    if not margins:
        raise WeightingError("no margins given")
    if len(df) == 0:
        raise WeightingError("no respondent to weight")


def prepared_margins(df: pd.DataFrame, margins: Mapping[str, Mapping]) -> list[tuple]:
    """Per variable: (name, row → target index, target shares in that order), all validated."""
    prepared = []
    for var, targets in margins.items():
        shares = target_shares(var, targets)
        codes, target = category_codes(df, var, shares)
        prepared.append((var, codes, target))
    return prepared


def combination_cells(codes: list[np.ndarray], sizes: list[int],
                      row_weights: np.ndarray) -> tuple[np.ndarray, tuple, np.ndarray]:
    """The observed combinations of categories: row → cell, each variable's code per cell, Σ w.

    Every raking or calibration factor depends only on the row's categories, so the iterations
    run on this table — a few dozen numbers instead of a million rows.
    """
    combined = np.zeros(row_weights.size, dtype=np.int64)
    for var_codes, k in zip(codes, sizes):
        combined = combined * k + var_codes
    total_cells = float(np.prod(sizes, dtype=np.float64))
    observed, cell = number_observed(combined, int(total_cells))
    cell_codes = np.unravel_index(observed, sizes)
    return cell, cell_codes, np.bincount(cell, weights=row_weights, minlength=observed.size)


def _base_weights(base_weights, n_rows: int) -> np.ndarray:
    if base_weights is None:
        return np.ones(n_rows, dtype=np.float64)
    base = np.asarray(base_weights, dtype=np.float64)
    if base.shape != (n_rows,) or not np.isfinite(base).all() or (base < 0).any():
        raise WeightingError("base weights must be finite, non-negative, one per row")
    return base


def _max_error(tables: list[tuple[np.ndarray, np.ndarray]], cw: np.ndarray) -> float:
    """Largest relative gap between a weighted margin and its target, over all margins."""
    total = cw.sum()
    worst = 0.0
    for cc, target in tables:
        achieved = np.bincount(cc, weights=cw, minlength=target.size) / total
        pos = target > 0
        rel = np.abs(achieved[pos] - target[pos]) / target[pos]
        zero = np.abs(achieved[~pos])  # a zero target is reached only by zero weight
        worst = max(worst, float(rel.max(initial=0.0)), float(zero.max(initial=0.0)))
    return worst


def _ipf(tables: list[tuple[np.ndarray, np.ndarray]], cell_base: np.ndarray, max_iter: int,
         tol: float) -> tuple[np.ndarray, float, int]:
    """Iterative proportional fitting on the cells: (cell weights, max error, full cycles)."""
    cw = cell_base.copy()
    error = _max_error(tables, cw)
    iterations = 0
    while error > tol and iterations < max_iter:
        iterations += 1
        for cc, target in tables:  # scale this variable's margins to its targets
            total = cw.sum()
            achieved = np.bincount(cc, weights=cw, minlength=target.size)
            with np.errstate(divide="ignore", invalid="ignore"):
                factor = np.where(achieved > 0, target * total / achieved, 0.0)
            cw = cw * factor[cc]
        if not cw.sum() > 0:
            break
        error = _max_error(tables, cw)
    return cw, error, iterations


def rake(
    df: pd.DataFrame,
    margins: Mapping[str, Mapping],
    max_iter: int = 100,
    tol: float = 1e-6,
    *,
    base_weights: pd.Series | np.ndarray | None = None,
    raise_on_failure: bool = True,
) -> RakeResult:
    """Raking (iterative proportional fitting) to the ``margins`` {variable: {category: target}}.

    Returns a :class:`RakeResult`; if the margins are not all reached within ``tol`` (relative)
    after ``max_iter`` cycles, raises :class:`WeightingError` (with ``.result``) unless
    ``raise_on_failure=False``, in which case the result says ``converged=False``.
    """
    check_inputs(df, margins)
    prepared = prepared_margins(df, margins)
    base = _base_weights(base_weights, len(df))
    cell, cell_codes, cell_base = combination_cells(
        [codes for _, codes, _ in prepared], [target.size for _, _, target in prepared], base)
    tables = [(cc, target) for cc, (_, _, target) in zip(cell_codes, prepared)]
    cw, error, iterations = _ipf(tables, cell_base, max_iter, tol)
    # each row gets base × its combination's factor
    with np.errstate(divide="ignore", invalid="ignore"):
        cell_factor = np.where(cell_base > 0, cw / np.where(cell_base > 0, cell_base, 1), 0.0)
    converged = bool(error <= tol)
    weights = pd.Series(_normalise(base * cell_factor[cell]), index=df.index, name="weight")
    result = RakeResult(weights, converged, iterations, float(error))
    if not converged and raise_on_failure:
        raise WeightingError(
            f"raking did not converge after {iterations} iterations "
            f"(max relative margin error {error:.3g} > {tol:g}); the margins may be "
            "incompatible with the sample (e.g. a combination nobody answered)", result)
    return result
