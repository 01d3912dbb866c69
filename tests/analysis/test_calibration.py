"""Calibration with bounds and trimming, checked against computations written here, not ours.

* linear (GREG): the closed form w = d(1 + x'λ), λ = (X'DX)⁺(T − X'd), by numpy on the rows;
* raking ratio and logit: scipy.optimize.root on the calibration equations at row level, with
  CALMAR's F written out in this file; raking also against iterative proportional fitting;
* truncated linear: the exact solution found by enumerating which cells sit at a bound
  (each active set gives a linear system; the one meeting the KKT conditions is the answer).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import root

from analysis import calibration, weighting
from analysis.weighting import WeightingError

MARGINS = {"category": {"a": 0.3, "b": 0.3, "c": 0.4}, "channel": {"web": 0.5, "mail": 0.5}}


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = 400
    return pd.DataFrame({"category": rng.choice(list("abc"), n, p=[0.5, 0.3, 0.2]),
                         "channel": rng.choice(["web", "mail"], n, p=[0.7, 0.3])})


def design(df: pd.DataFrame, margins) -> tuple[np.ndarray, np.ndarray]:
    """Row-level dummies (reference category of every variable but the first dropped), totals."""
    cols, totals = [], []
    for i, (var, targets) in enumerate(margins.items()):
        cats = list(targets)[: None if i == 0 else -1]
        s = sum(targets.values())
        for c in cats:
            cols.append((df[var] == c).to_numpy(float))
            totals.append(targets[c] / s * len(df))
    return np.column_stack(cols), np.array(totals)


def shares(df, var, w):
    s = pd.Series(np.asarray(w), index=df.index).groupby(df[var]).sum()
    return s / s.sum()


def assert_margins(df, margins, w, rel=1e-6):
    for var, targets in margins.items():
        got = shares(df, var, w)
        total = sum(targets.values())
        for cat, t in targets.items():
            assert got[cat] == pytest.approx(t / total, rel=rel), (var, cat)


def solve_equations(x, totals, f, d=None):
    d = np.ones(len(x)) if d is None else d
    def equations(lam):
        return x.T @ (d * f(x @ lam)) - totals

    sol = root(equations, np.zeros(x.shape[1]), method="hybr", options={"xtol": 1e-13})
    assert np.abs(equations(sol.x)).max() < 1e-9 * totals.max()
    return d * f(x @ sol.x)


def test_linear_calibration_equals_the_greg_closed_form(sample):
    x, totals = design(sample, MARGINS)
    lam = np.linalg.pinv(x.T @ x) @ (totals - x.sum(axis=0))
    expected = 1 + x @ lam
    res = calibration.calibrate(sample, MARGINS, "linear")
    assert res.converged
    np.testing.assert_allclose(res.weights.to_numpy(), expected, rtol=0, atol=1e-8)
    assert_margins(sample, MARGINS, res.weights)


def test_raking_ratio_solves_the_equations_and_equals_ipf(sample):
    x, totals = design(sample, MARGINS)
    expected = solve_equations(x, totals, np.exp)
    res = calibration.calibrate(sample, MARGINS, "raking")
    np.testing.assert_allclose(res.weights.to_numpy(), expected, rtol=0, atol=1e-8)
    ipf = weighting.rake(sample, MARGINS, tol=1e-14, max_iter=10_000).weights
    np.testing.assert_allclose(res.weights.to_numpy(), ipf.to_numpy(), rtol=0, atol=1e-8)


@pytest.mark.parametrize("lo,hi", [(0.3, 3.0), (0.25, 2.9), (0.0, 4.0)])
def test_logit_calibration_solves_the_equations_within_bounds(sample, lo, hi):
    a = (hi - lo) / ((1 - lo) * (hi - 1))

    def f(u):  # CALMAR's logit, as printed in Sautory (1993)
        e = np.exp(a * u)
        return (lo * (hi - 1) + hi * (1 - lo) * e) / (hi - 1 + (1 - lo) * e)

    x, totals = design(sample, MARGINS)
    expected = solve_equations(x, totals, f)
    res = calibration.calibrate(sample, MARGINS, "logit", (lo, hi))
    np.testing.assert_allclose(res.weights.to_numpy(), expected, rtol=0, atol=1e-8)
    assert lo < res.g.min() and res.g.max() < hi
    assert_margins(sample, MARGINS, res.weights)


def truncated_linear_by_enumeration(df, margins, lo, hi):
    """Exact truncated-linear solution: try every assignment of cells to {low, free, high}."""
    cells = df.groupby(list(margins), sort=True).size()
    keys, n_c = list(cells.index), cells.to_numpy(float)
    x_rows, totals = design(pd.DataFrame(keys, columns=list(margins)), margins)
    totals = totals / len(keys) * len(df)
    for state in itertools.product((0, 1, 2), repeat=len(keys)):
        state = np.array(state)
        fixed = np.where(state == 0, lo, hi)
        free = state == 1
        # Σ_free n_c (1 + x_c'λ) x_c + Σ_fixed n_c bound x_c = T  → linear in λ
        a_mat = (x_rows[free] * n_c[free, None]).T @ x_rows[free]
        rhs = totals - x_rows[free].T @ n_c[free] - x_rows[~free].T @ (n_c[~free] * fixed[~free])
        try:
            lam = np.linalg.solve(a_mat, rhs)
        except np.linalg.LinAlgError:
            continue
        u = 1 + x_rows @ lam
        ok = (np.all((u[free] >= lo) & (u[free] <= hi)) and np.all(u[state == 0] <= lo + 1e-12)
              and np.all(u[state == 2] >= hi - 1e-12))
        if ok:
            g = dict(zip(keys, np.clip(u, lo, hi)))
            return np.array([g[tuple(r)] for r in df[list(margins)].itertuples(index=False)])
    raise AssertionError("no active set satisfies the KKT conditions")


def test_truncated_linear_calibration_equals_the_enumerated_exact_solution(sample):
    lo, hi = 0.5, 2.5
    expected = truncated_linear_by_enumeration(sample, MARGINS, lo, hi)
    assert (expected == hi).any() or (expected == lo).any()  # a bound binds: the case is real
    res = calibration.calibrate(sample, MARGINS, "linear", (lo, hi))
    np.testing.assert_allclose(res.g.to_numpy(), expected, rtol=0, atol=1e-8)
    assert_margins(sample, MARGINS, res.weights)
    assert res.g.min() >= lo and res.g.max() <= hi


def test_truncated_raking_stays_within_bounds_and_reaches_margins(sample):
    res = calibration.calibrate(sample, MARGINS, "raking", (0.3, 3.0))
    assert res.g.min() >= 0.3 - 1e-12 and res.g.max() <= 3.0 + 1e-12
    assert_margins(sample, MARGINS, res.weights, rel=1e-9)


def test_design_weights_are_calibrated_not_replaced(sample):
    d = np.linspace(0.5, 1.5, len(sample))
    x, totals = design(sample, MARGINS)
    totals = totals / len(sample) * d.sum()
    expected = solve_equations(x, totals, np.exp, d)
    res = calibration.calibrate(sample, MARGINS, "raking", design_weights=d)
    np.testing.assert_allclose(res.weights.to_numpy(), expected, rtol=0, atol=1e-8)
    np.testing.assert_allclose(res.g.to_numpy(), expected / d, rtol=0, atol=1e-8)


def test_counts_and_shares_give_the_same_weights(sample):
    counts = {v: {c: t * 12_345 for c, t in m.items()} for v, m in MARGINS.items()}
    a = calibration.calibrate(sample, MARGINS, "logit", (0.3, 3)).weights
    b = calibration.calibrate(sample, counts, "logit", (0.3, 3)).weights
    np.testing.assert_allclose(a, b, atol=1e-10)


def test_empty_target_cell_is_an_error_naming_it(sample):
    margins = {"category": {"a": 1, "b": 1, "c": 1, "journalists": 1}}
    with pytest.raises(WeightingError, match="'journalists'.*no respondent"):
        calibration.calibrate(sample, margins, "linear")


def test_bounds_too_tight_for_a_category_name_it_and_the_ratio_it_needs(sample):
    with pytest.raises(WeightingError, match=r"category='a'.*g = 0\.\d+"):
        calibration.calibrate(sample, MARGINS, "logit", (0.8, 1.2))


def test_infeasible_bounds_say_which_margin_fails_and_by_how_much(sample):
    with pytest.raises(WeightingError, match=r"did not converge.*margin \w+='\w+' reaches .*gap [-+]0\.\d+"
                                              r".*no weights within these bounds") as exc:
        calibration.calibrate(sample, MARGINS, "logit", (0.5, 2.2))
    assert exc.value.result is not None and not exc.value.result.converged


def test_too_few_iterations_is_an_error_not_silent_weights(sample):
    with pytest.raises(WeightingError, match="after 1 iterations: margin"):
        calibration.calibrate(sample, MARGINS, "raking", max_iter=1)


@pytest.mark.parametrize("method,bounds,message", [
    ("ridge", None, "unknown calibration method"),
    ("logit", None, "needs bounds"),
    ("linear", (1.2, 3), "0 ≤ L < 1 < U"),
])
def test_bad_method_or_bounds_are_errors(sample, method, bounds, message):
    with pytest.raises(WeightingError, match=message):
        calibration.calibrate(sample, MARGINS, method, bounds)


def test_zero_target_for_a_category_with_respondents_is_an_error(sample):
    with pytest.raises(WeightingError, match="'c'.*target of 0"):
        calibration.calibrate(sample, {"category": {"a": 1, "b": 1, "c": 0}}, "linear")


def test_margin_gaps_report_achieved_against_target(sample):
    gaps = calibration.margin_gaps(sample, MARGINS, np.ones(len(sample)))
    row = gaps[(gaps.variable == "category") & (gaps.category == "a")].iloc[0]
    assert row.achieved == pytest.approx((sample.category == "a").mean())
    assert row.gap == pytest.approx(row.achieved - 0.3)


def test_trim_caps_and_redistributes_by_hand():
    # mean 2, cap 2 × 2 = 4: 6 → 4 and the excess 2 goes to the others in proportion (1 → 1.5)
    res = calibration.trim(pd.Series([1.0, 1, 1, 1, 6]), upper=2)
    assert res.weights.tolist() == pytest.approx([1.5, 1.5, 1.5, 1.5, 4])
    assert res.trimmed == 1


def test_trim_repeats_when_redistribution_pushes_another_weight_over():
    # mean 3, cap 4.5: 6 → 4.5, others × 7.5/6 → 5 exceeds, → 4.5, the two 1s take the rest
    res = calibration.trim(np.array([1.0, 1, 4, 6]), upper=1.5)
    assert res.weights.tolist() == pytest.approx([1.5, 1.5, 4.5, 4.5])
    assert res.weights.sum() == pytest.approx(12) and res.iterations == 2


def test_trim_raises_floor_too():
    res = calibration.trim(np.array([0.1, 1, 1, 1.9]), lower=0.5)
    # mean 1, floor 0.5: 0.1 → 0.5, the others give 0.4 in proportion (× 3.5 / 3.9)
    assert res.weights.tolist() == pytest.approx([0.5, 3.5 / 3.9, 3.5 / 3.9, 1.9 * 3.5 / 3.9])


def test_trim_that_leaves_nothing_free_is_an_error():
    # mean 1, cap 1: 3 → 1, and the two zero weights cannot take the excess
    with pytest.raises(WeightingError, match="no weight free"):
        calibration.trim(np.array([0.0, 0.0, 3.0]), upper=1)
