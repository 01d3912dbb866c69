"""Comparing the same cells between two waves (independent samples).

Pure numpy/scipy, no Django import. Works on the tables returned by :mod:`analysis.indicators`
(suppressed or not). The change is ``diff = value_b − value_a`` (b is the later wave), in the
unit of the indicator (points of %, NPS points, or scale points for a mean).

* % satisfied: pooled two-proportion z-test (= χ² without continuity correction); CI of the
  difference by Newcombe's hybrid score method (Wilson limits of each proportion, as
  statsmodels ``confint_proportions_2indep(method="newcomb")``). Weighted: counts are
  p·n_eff and sizes n_eff.
* mean: Welch's t-test and CI, variances se² from the table (linearised when weighted),
  Welch–Satterthwaite degrees of freedom with n_eff − 1 (= n − 1 unweighted).
* NPS: z = ΔNPS / √(Var_a + Var_b) with the plain Wald variances (the table's ``se``); the CI
  is the matching Wald interval ΔNPS ± z·√(Var_a + Var_b).

p-values are Holm-adjusted within the table (the family: one indicator across the cells of one
table for one pair of waves), over the cells that could be tested. A change is ``significant``
only when the adjusted p < 0.05 and neither wave's cell is suppressed. Degenerate cells (no
variance at all and a non-zero difference, fewer than 2 answers, a cell missing in one wave)
get NaN p-values and are never significant.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from scipy import special

from .intervals import Z, wilson

__all__ = ["compare", "holm"]

ALPHA = 0.05


def holm(p: np.ndarray | Sequence[float]) -> np.ndarray:
    """Holm step-down adjusted p-values; NaN entries are not part of the family."""
    p = np.asarray(p, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = ok.size
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    scaled = (m - np.arange(m)) * p[order]
    out[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return out


def _suppressed(t: pd.DataFrame) -> np.ndarray:
    if "suppressed" in t.columns:
        return t["suppressed"].fillna(True).to_numpy(dtype=bool)
    return np.zeros(len(t), dtype=bool)


def _two_sided_normal(z: np.ndarray) -> np.ndarray:
    return 2.0 * special.ndtr(-np.abs(z))


def _degenerate(stat_se: np.ndarray, diff: np.ndarray, p: np.ndarray) -> np.ndarray:
    """se = 0: equal values → p = 1; different values → untestable (NaN)."""
    zero = stat_se == 0
    return np.where(zero, np.where(diff == 0, 1.0, np.nan), p)


def _satisfied(va, vb, ma, mb):
    pa, pb = va / 100.0, vb / 100.0
    diff = pb - pa
    xa, xb = pa * ma, pb * mb
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (xa + xb) / (ma + mb)
        se0 = np.sqrt(pooled * (1 - pooled) * (1 / ma + 1 / mb))
        z = diff / se0
    p = _degenerate(se0, diff, _two_sided_normal(z))
    # Newcombe hybrid score for diff = p_b − p_a
    la, ua = wilson(pa, ma)
    lb, ub = wilson(pb, mb)
    low = diff - np.sqrt((pb - lb) ** 2 + (ua - pa) ** 2)
    high = diff + np.sqrt((ub - pb) ** 2 + (pa - la) ** 2)
    return 100 * diff, 100 * low, 100 * high, z, p


def _mean(va, vb, sa, sb, ma, mb):
    diff = vb - va
    var_a, var_b = sa ** 2, sb ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(var_a + var_b)
        dof = (var_a + var_b) ** 2 / (var_a ** 2 / (ma - 1) + var_b ** 2 / (mb - 1))
        t = diff / se
        p = 2.0 * special.stdtr(dof, -np.abs(t))
        half = special.stdtrit(dof, 1 - ALPHA / 2) * se
    p = _degenerate(se, diff, p)
    half = np.where(se == 0, 0.0, half)
    return diff, diff - half, diff + half, t, p, dof


def _nps(va, vb, sa, sb):
    diff = vb - va
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(sa ** 2 + sb ** 2)
        z = diff / se
    p = _degenerate(se, diff, _two_sided_normal(z))
    return diff, diff - Z * se, diff + Z * se, z, p


def _check_tables(table_a: pd.DataFrame, table_b: pd.DataFrame, kind: str, by: list[str]) -> None:
    if kind not in ("mean", "satisfied", "nps"):
        raise ValueError(f"unknown indicator kind {kind!r}")
    need = ["value", "n_eff"] + (["se"] if kind in ("mean", "nps") else [])
    for name, t in (("table_a", table_a), ("table_b", table_b)):
        missing = [c for c in by + need if c not in t.columns]
        if missing:
            raise KeyError(f"{name} lacks column(s) {', '.join(map(repr, missing))}")


def _side(t: pd.DataFrame, by: list[str], suffix: str) -> pd.DataFrame:
    """One wave's keys and figures, columns suffixed ``_a`` or ``_b``."""
    cols = {"value": t["value"].astype("float64"),
            "n": pd.to_numeric(t["n"], errors="coerce").astype("float64")
            if "n" in t.columns else np.nan,
            "n_eff": t["n_eff"].astype("float64"),
            "se": t["se"].astype("float64") if "se" in t.columns else np.nan,
            "suppressed": _suppressed(t)}
    out = t[by].copy() if by else pd.DataFrame(index=t.index)
    for k, v in cols.items():
        out[f"{k}_{suffix}"] = v
    return out.reset_index(drop=True)


def _matched(a: pd.DataFrame, b: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """The two waves' cells side by side (outer join on ``by``)."""
    if by:
        # Categorical keys from two waves may have different categories: join on plain values
        for frame in (a, b):
            for col in by:
                if isinstance(frame[col].dtype, pd.CategoricalDtype):
                    frame[col] = frame[col].astype(object)
        m = a.merge(b, on=by, how="outer", sort=False)
    else:
        if len(a) != 1 or len(b) != 1:
            raise ValueError("without by, each table must have exactly one row")
        m = pd.concat([a, b], axis=1)
    for s in ("a", "b"):
        m[f"suppressed_{s}"] = m[f"suppressed_{s}"].astype("boolean").fillna(False).astype(bool)
    return m


def _test(kind: str, m: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """diff, ci_low, ci_high, statistic, p-value, df (NaN but for means) of each matched cell."""
    va, vb = m["value_a"].to_numpy(float), m["value_b"].to_numpy(float)
    ma, mb = m["n_eff_a"].to_numpy(float), m["n_eff_b"].to_numpy(float)
    sa, sb = m["se_a"].to_numpy(float), m["se_b"].to_numpy(float)
    if kind == "satisfied":
        return (*_satisfied(va, vb, ma, mb), np.full(len(m), np.nan))
    if kind == "mean":
        return _mean(va, vb, sa, sb, ma, mb)
    return (*_nps(va, vb, sa, sb), np.full(len(m), np.nan))


def compare(
    table_a: pd.DataFrame,
    table_b: pd.DataFrame,
    kind: str,
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Compare the cells of two indicator tables of the same ``kind`` (a: earlier wave).

    Cells are matched on ``by`` (outer join: a cell present in one wave only has NaN tests).
    Returns: by…, value_a, value_b, n_a, n_b, n_eff_a, n_eff_b, suppressed_a, suppressed_b,
    diff (b − a), ci_low, ci_high, statistic (z or t), df (Welch, means only), p_value,
    p_adjusted (Holm within the table), significant.
    """
    by = [by] if isinstance(by, str) else list(by or [])
    _check_tables(table_a, table_b, kind, by)
    m = _matched(_side(table_a, by, "a"), _side(table_b, by, "b"), by)
    diff, low, high, stat, p, dof = _test(kind, m)
    va, vb = m["value_a"].to_numpy(float), m["value_b"].to_numpy(float)
    hidden = m["suppressed_a"].to_numpy() | m["suppressed_b"].to_numpy()
    untestable = hidden | np.isnan(va) | np.isnan(vb)
    p = np.where(untestable, np.nan, p)
    p_adj = holm(p)
    with np.errstate(invalid="ignore"):
        significant = (p_adj < ALPHA) & ~hidden

    out = m[by].copy() if by else pd.DataFrame(index=m.index)
    out["value_a"], out["value_b"] = va, vb
    out["n_a"] = m["n_a"].round().astype("Int64")  # counts; <NA> when hidden or absent
    out["n_b"] = m["n_b"].round().astype("Int64")
    out["n_eff_a"], out["n_eff_b"] = m["n_eff_a"].to_numpy(float), m["n_eff_b"].to_numpy(float)
    out["suppressed_a"], out["suppressed_b"] = m["suppressed_a"], m["suppressed_b"]
    out["diff"] = np.where(hidden, np.nan, diff)
    out["ci_low"] = np.where(hidden, np.nan, low)
    out["ci_high"] = np.where(hidden, np.nan, high)
    out["statistic"] = np.where(untestable, np.nan, stat)
    out["df"] = np.where(untestable, np.nan, dof)
    out["p_value"] = p
    out["p_adjusted"] = p_adj
    out["significant"] = significant
    return out.reset_index(drop=True)
