"""Wave comparisons against scipy / statsmodels and the methodology's formulas."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from analysis import disclosure, indicators, waves


def wave_frames(seed=8, n_a=400, n_b=450, weights=False):
    rng = np.random.default_rng(seed)
    out = []
    for n, shift in ((n_a, 0.0), (n_b, 0.6)):
        p = np.array([0.1, 0.15, 0.25, 0.3, 0.2]) + shift * np.array([-0.05, -0.05, 0, 0.05, 0.05])
        df = pd.DataFrame({"category": rng.choice(["a", "b", "c"], n),
                           "SAT": rng.choice(np.arange(1.0, 6.0), n, p=p),
                           "NPS": rng.integers(0, 11, n).astype(float),
                           "weight": rng.uniform(0.3, 3, n) if weights else 1.0})
        out.append(df)
    return out


def test_satisfied_difference_matches_statsmodels_newcomb_and_pooled_z():
    a, b = wave_frames()
    ta = indicators.pct_satisfied(a, "SAT", by="category")
    tb = indicators.pct_satisfied(b, "SAT", by="category")
    cmp = waves.compare(ta, tb, "satisfied", by="category").set_index("category")
    for cat in "abc":
        ya, yb = a.loc[a.category == cat, "SAT"], b.loc[b.category == cat, "SAT"]
        xa, xb = int((ya >= 4).sum()), int((yb >= 4).sum())
        lo, hi = confint_proportions_2indep(xb, len(yb), xa, len(ya), method="newcomb")
        z, p = proportions_ztest([xb, xa], [len(yb), len(ya)])
        chi2_p = stats.chi2_contingency([[xb, len(yb) - xb], [xa, len(ya) - xa]],
                                        correction=False)[1]
        row = cmp.loc[cat]
        assert row["diff"] == pytest.approx(100 * (xb / len(yb) - xa / len(ya)))
        assert row["ci_low"] == pytest.approx(100 * lo)
        assert row["ci_high"] == pytest.approx(100 * hi)
        assert row["statistic"] == pytest.approx(z)
        assert row["p_value"] == pytest.approx(p)
        assert row["p_value"] == pytest.approx(chi2_p)
    ps = cmp["p_value"].to_numpy()
    assert cmp["p_adjusted"].to_numpy() == pytest.approx(multipletests(ps, method="holm")[1])


def test_mean_difference_matches_scipy_welch():
    a, b = wave_frames(seed=9)
    ta = indicators.mean_score(a, "SAT", by="category")
    tb = indicators.mean_score(b, "SAT", by="category")
    cmp = waves.compare(ta, tb, "mean", by="category").set_index("category")
    for cat in "abc":
        ya, yb = a.loc[a.category == cat, "SAT"], b.loc[b.category == cat, "SAT"]
        res = stats.ttest_ind(yb, ya, equal_var=False)
        ci = res.confidence_interval(0.95)
        row = cmp.loc[cat]
        assert row["diff"] == pytest.approx(yb.mean() - ya.mean())
        assert row["statistic"] == pytest.approx(res.statistic)
        assert row["p_value"] == pytest.approx(res.pvalue)
        assert row["df"] == pytest.approx(res.df)
        assert row["ci_low"] == pytest.approx(ci.low)
        assert row["ci_high"] == pytest.approx(ci.high)


def test_weighted_mean_difference_uses_linearised_variances_and_n_eff():
    a, b = wave_frames(seed=10, weights=True)
    ta = indicators.mean_score(a, "SAT", weight="weight")
    tb = indicators.mean_score(b, "SAT", weight="weight")
    row = waves.compare(ta, tb, "mean").iloc[0]

    def lin(df):
        y, w = df["SAT"].to_numpy(), df["weight"].to_numpy()
        n, W = len(y), w.sum()
        m = (w * y).sum() / W
        v = n / (n - 1) * (w ** 2 * (y - m) ** 2).sum() / W ** 2
        return m, v, W ** 2 / (w ** 2).sum()

    (ma, va, ea), (mb, vb, eb) = lin(a), lin(b)
    dof = (va + vb) ** 2 / (va ** 2 / (ea - 1) + vb ** 2 / (eb - 1))
    t = (mb - ma) / math.sqrt(va + vb)
    assert row["diff"] == pytest.approx(mb - ma)
    assert row["df"] == pytest.approx(dof)
    assert row["p_value"] == pytest.approx(2 * stats.t.sf(abs(t), dof))
    half = stats.t.ppf(0.975, dof) * math.sqrt(va + vb)
    assert row["ci_low"] == pytest.approx(mb - ma - half)


def test_weighted_satisfied_difference_uses_n_eff():
    a, b = wave_frames(seed=11, weights=True)
    ta = indicators.pct_satisfied(a, "SAT", weight="weight")
    tb = indicators.pct_satisfied(b, "SAT", weight="weight")
    row = waves.compare(ta, tb, "satisfied").iloc[0]

    def p_m(df):
        w, y = df["weight"], df["SAT"]
        return w[y >= 4].sum() / w.sum(), w.sum() ** 2 / (w ** 2).sum()

    (pa, ma), (pb, mb) = p_m(a), p_m(b)
    lo, hi = confint_proportions_2indep(pb * mb, mb, pa * ma, ma, method="newcomb")
    pooled = (pa * ma + pb * mb) / (ma + mb)
    z = (pb - pa) / math.sqrt(pooled * (1 - pooled) * (1 / ma + 1 / mb))
    assert row["ci_low"] == pytest.approx(100 * lo)
    assert row["ci_high"] == pytest.approx(100 * hi)
    assert row["p_value"] == pytest.approx(2 * stats.norm.sf(abs(z)))


def test_nps_difference_uses_plain_wald_variances():
    a, b = wave_frames(seed=12)
    ta, tb = indicators.nps(a, "NPS"), indicators.nps(b, "NPS")
    row = waves.compare(ta, tb, "nps").iloc[0]

    def wald(y):
        pp, pd_ = (y >= 9).mean(), (y <= 6).mean()
        return 100 * (pp - pd_), 100 ** 2 * (pp + pd_ - (pp - pd_) ** 2) / len(y)

    (na, va), (nb, vb) = wald(a["NPS"]), wald(b["NPS"])
    z = (nb - na) / math.sqrt(va + vb)
    assert row["diff"] == pytest.approx(nb - na)
    assert row["statistic"] == pytest.approx(z)
    assert row["p_value"] == pytest.approx(2 * stats.norm.sf(abs(z)))
    assert row["ci_high"] - row["ci_low"] == pytest.approx(2 * 1.959964 * math.sqrt(va + vb),
                                                           rel=1e-6)


def test_suppressed_cells_are_never_significant_and_leave_the_family():
    ta = pd.DataFrame({"category": ["a", "b", "c"], "n": [100, 100, 3],
                       "n_eff": [100.0, 100.0, 3.0], "value": [20.0, 30.0, 0.0]})
    tb = pd.DataFrame({"category": ["a", "b", "c"], "n": [100, 100, 4],
                       "n_eff": [100.0, 100.0, 4.0], "value": [60.0, 31.0, 100.0]})
    sa, sb = disclosure.suppress(ta), disclosure.suppress(tb)
    cmp = waves.compare(sa, sb, "satisfied", by="category").set_index("category")
    assert bool(cmp.loc["a", "significant"])
    assert not bool(cmp.loc["b", "significant"])
    assert not bool(cmp.loc["c", "significant"])
    assert cmp.loc["c", ["diff", "p_value", "p_adjusted", "ci_low"]].isna().all()
    # the family is the two testable cells: Holm multiplies the smaller p by 2
    p = cmp.loc[["a", "b"], "p_value"].to_numpy()
    assert cmp.loc[["a", "b"], "p_adjusted"].to_numpy() == pytest.approx(
        multipletests(p, method="holm")[1])


def test_cell_missing_from_one_wave_is_not_tested():
    ta = pd.DataFrame({"category": ["a"], "n": [50], "n_eff": [50.0], "value": [40.0]})
    tb = pd.DataFrame({"category": ["a", "b"], "n": [50, 50], "n_eff": [50.0, 50.0],
                       "value": [40.0, 90.0]})
    cmp = waves.compare(ta, tb, "satisfied", by="category").set_index("category")
    assert math.isnan(cmp.loc["b", "p_value"]) and not bool(cmp.loc["b", "significant"])
    assert cmp.loc["a", "p_value"] == pytest.approx(1.0)


def test_holm_matches_statsmodels_and_ignores_nan():
    p = np.array([0.01, np.nan, 0.04, 0.03, 0.2])
    ok = ~np.isnan(p)
    expected = multipletests(p[ok], method="holm")[1]
    got = waves.holm(p)
    assert got[ok] == pytest.approx(expected)
    assert math.isnan(got[1])


def test_equal_answers_in_both_waves_are_not_a_change():
    a = pd.DataFrame({"SAT": [4.0] * 10})
    b = pd.DataFrame({"SAT": [4.0] * 12})
    row = waves.compare(indicators.mean_score(a, "SAT"), indicators.mean_score(b, "SAT"),
                        "mean").iloc[0]
    assert row["diff"] == 0 and row["p_value"] == 1 and not row["significant"]


def test_constant_but_different_answers_cannot_be_tested():
    a = pd.DataFrame({"SAT": [4.0] * 10})
    b = pd.DataFrame({"SAT": [5.0] * 12})
    row = waves.compare(indicators.mean_score(a, "SAT"), indicators.mean_score(b, "SAT"),
                        "mean").iloc[0]
    assert row["diff"] == 1 and math.isnan(row["p_value"]) and not row["significant"]


def test_everyone_satisfied_in_both_waves_gives_p_one():
    ta = pd.DataFrame({"n": [20], "n_eff": [20.0], "value": [100.0]})
    tb = pd.DataFrame({"n": [30], "n_eff": [30.0], "value": [100.0]})
    row = waves.compare(ta, tb, "satisfied").iloc[0]
    lo, hi = confint_proportions_2indep(30, 30, 20, 20, method="newcomb")
    assert row["p_value"] == 1
    assert row["ci_low"] == pytest.approx(100 * lo) and row["ci_high"] == pytest.approx(100 * hi)
