"""Indicators checked against values computed independently in each test.

Tiny data: closed form by hand (the arithmetic is written out). Random data: scipy and
statsmodels (t intervals, Wilson intervals, weighted means, a WLS intercept with HC1 — which is
exactly the linearised variance n/(n−1)·Σw²(y−ȳ)²/W²).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.regression.linear_model import WLS
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

from analysis import indicators

Z = 1.959964  # methodology: the 0.975 normal quantile
T_975_DF4 = 2.7764451051977987  # Student t(0.975, 4), from tables
T_975_DF1 = 12.706204736174705  # Student t(0.975, 1)


def frame(y, w=None, group=None):
    data = {"SAT": pd.array(y, dtype="Float64")}
    if w is not None:
        data["weight"] = np.asarray(w, dtype=float)
    if group is not None:
        data["category"] = group
    return pd.DataFrame(data)


def one(table):
    assert len(table) == 1
    return table.iloc[0]


# ------------------------------------------------------------------------------------------
# Mean score
# ------------------------------------------------------------------------------------------
def test_mean_of_one_to_five_matches_hand_t_interval():
    row = one(indicators.mean_score(frame([1, 2, 3, 4, 5]), "SAT"))
    # ȳ = 3, s² = (4+1+0+1+4)/4 = 2.5, v = s²/n = 0.5
    half = T_975_DF4 * math.sqrt(0.5)
    assert row["n"] == 5 and row["n_eff"] == pytest.approx(5)
    assert row["value"] == pytest.approx(3.0)
    assert row["se"] == pytest.approx(math.sqrt(0.5))
    assert row["ci_low"] == pytest.approx(3 - half)
    assert row["ci_high"] == pytest.approx(3 + half)


def test_weighted_mean_uses_linearised_variance_by_hand():
    row = one(indicators.mean_score(frame([1, 5], w=[1, 3]), "SAT", weight="weight"))
    # W = 4, ȳ = (1·1 + 3·5)/4 = 4, Σw²(y−ȳ)² = 1·9 + 9·1 = 18, v = 2/1 · 18/16 = 2.25
    assert row["value"] == pytest.approx(4.0)
    assert row["se"] == pytest.approx(1.5)
    assert row["n_eff"] == pytest.approx(16 / 10)
    assert row["ci_low"] == pytest.approx(4 - T_975_DF1 * 1.5)
    assert row["ci_high"] == pytest.approx(4 + T_975_DF1 * 1.5)


def test_unweighted_mean_matches_scipy_on_random_groups():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"category": rng.choice(["a", "b", "c"], 300),
                       "SAT": rng.integers(1, 6, 300).astype(float)})
    df.loc[rng.random(300) < 0.2, "SAT"] = np.nan
    table = indicators.mean_score(df, "SAT", by="category").set_index("category")
    for cat, g in df.groupby("category"):
        y = g["SAT"].dropna().to_numpy()
        lo, hi = stats.t.interval(0.95, len(y) - 1, loc=y.mean(), scale=stats.sem(y))
        row = table.loc[cat]
        assert row["n"] == len(y)
        assert row["value"] == pytest.approx(y.mean())
        assert row["ci_low"] == pytest.approx(lo)
        assert row["ci_high"] == pytest.approx(hi)


@pytest.mark.parametrize("spread", [1.0, 1e3])
def test_weighted_mean_matches_statsmodels(spread):
    rng = np.random.default_rng(2)
    n = 200
    y = rng.integers(1, 6, n).astype(float)
    w = rng.uniform(0.2, 3.0, n)
    w[:5] *= spread  # weights of very different sizes
    table = one(indicators.mean_score(frame(y, w), "SAT", weight="weight"))
    d = DescrStatsW(y, weights=w)
    fit = WLS(y, np.ones(n), weights=w).fit(cov_type="HC1")
    se = float(fit.bse[0])
    t = stats.t.ppf(0.975, n - 1)
    assert table["value"] == pytest.approx(d.mean)
    assert table["value"] == pytest.approx(float(fit.params[0]))
    assert table["se"] == pytest.approx(se, rel=1e-9)
    assert table["ci_low"] == pytest.approx(d.mean - t * se, rel=1e-9)
    assert table["ci_high"] == pytest.approx(d.mean + t * se, rel=1e-9)
    assert table["n_eff"] == pytest.approx(w.sum() ** 2 / (w ** 2).sum())


def test_mean_n_zero_one_and_equal_answers():
    df = pd.DataFrame({"category": ["none", "none", "single", "same", "same", "same"],
                       "SAT": pd.array([None, None, 4, 3, 3, 3], dtype="Int64")})
    t = indicators.mean_score(df, "SAT", by="category").set_index("category")
    assert t.loc["none", "n"] == 0 and math.isnan(t.loc["none", "value"])
    assert t.loc["single", "n"] == 1 and t.loc["single", "value"] == 4
    assert math.isnan(t.loc["single", "ci_low"]) and math.isnan(t.loc["single", "se"])
    assert t.loc["same", "value"] == 3
    assert t.loc["same", "ci_low"] == 3 and t.loc["same", "ci_high"] == 3
    assert t.loc["same", "se"] == 0


def test_missing_answers_are_excluded_per_indicator():
    with_missing = frame([5, None, 3, None, 1])
    assert one(indicators.mean_score(with_missing, "SAT"))["n"] == 3
    assert one(indicators.mean_score(with_missing, "SAT"))["value"] == pytest.approx(3.0)


def test_cells_follow_categorical_order_and_skip_unobserved_categories():
    cats = pd.Categorical(["b", "a", "b"], categories=["c", "b", "a", "z"])
    t = indicators.mean_score(frame([1, 2, 3], group=cats), "SAT", by="category")
    assert list(t["category"]) == ["b", "a"]
    assert list(t["n"]) == [2, 1]


def test_rows_without_a_group_value_are_in_no_cell_unless_dropna_false():
    df = frame([1, 2, 3], group=["a", None, "a"])
    assert list(indicators.mean_score(df, "SAT", by="category")["n"]) == [2]
    t = indicators.mean_score(df, "SAT", by="category", dropna=False)
    assert list(t["n"]) == [2, 1] and t["category"].isna().tolist() == [False, True]


def test_mean_low_precision_uses_index_half_width():
    wide = frame([1, 5] * 20)  # n = 40, s ≈ 2.03, half-width ≈ 0.65 → 16 index points
    tight = frame([3, 4] * 20)  # half-width ≈ 0.16 → 4 index points
    assert bool(one(indicators.mean_score(wide, "SAT"))["low_precision"])
    assert not bool(one(indicators.mean_score(tight, "SAT"))["low_precision"])
    # on a 0–10 scale the same width is 6.5 points: not low precision
    assert not bool(one(indicators.mean_score(wide, "SAT", scale=(0, 10)))["low_precision"])


def test_low_precision_below_thirty_answers():
    assert bool(one(indicators.mean_score(frame([4] * 29), "SAT"))["low_precision"])
    assert not bool(one(indicators.mean_score(frame([4] * 30), "SAT"))["low_precision"])


def test_negative_weight_is_rejected():
    with pytest.raises(ValueError, match="weight"):
        indicators.mean_score(frame([1, 2], w=[1, -1]), "SAT", weight="weight")


def test_non_numeric_score_is_rejected_naming_the_column():
    df = pd.DataFrame({"SAT": ["good", "bad"]})
    with pytest.raises(ValueError, match="SAT"):
        indicators.mean_score(df, "SAT")


# ------------------------------------------------------------------------------------------
# % satisfied
# ------------------------------------------------------------------------------------------
def wilson_by_hand(p, m, z=Z):
    centre = (p + z * z / (2 * m)) / (1 + z * z / m)
    half = z * math.sqrt(p * (1 - p) / m + z * z / (4 * m * m)) / (1 + z * z / m)
    return 100 * max(centre - half, 0), 100 * min(centre + half, 1)


def test_pct_satisfied_top_two_box_and_wilson_by_hand():
    row = one(indicators.pct_satisfied(frame([5, 4, 3, 2, 4, 1, 5, 5, None, 3]), "SAT"))
    # 5 of 9 answers are 4 or 5
    lo, hi = wilson_by_hand(5 / 9, 9)
    assert row["n"] == 9
    assert row["value"] == pytest.approx(100 * 5 / 9)
    assert row["ci_low"] == pytest.approx(lo, abs=1e-4)
    assert row["ci_high"] == pytest.approx(hi, abs=1e-4)


def test_pct_satisfied_threshold_can_be_set():
    row = one(indicators.pct_satisfied(frame([5, 4, 3, 2]), "SAT", threshold=5))
    assert row["value"] == pytest.approx(25.0)


def test_pct_satisfied_matches_statsmodels_wilson_unweighted():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"category": rng.choice(list("abcd"), 500),
                       "SAT": rng.integers(1, 6, 500).astype(float)})
    t = indicators.pct_satisfied(df, "SAT", by="category").set_index("category")
    for cat, g in df.groupby("category"):
        count, n = int((g["SAT"] >= 4).sum()), len(g)
        lo, hi = proportion_confint(count, n, method="wilson")
        assert t.loc[cat, "value"] == pytest.approx(100 * count / n)
        assert t.loc[cat, "ci_low"] == pytest.approx(100 * lo)
        assert t.loc[cat, "ci_high"] == pytest.approx(100 * hi)


def test_pct_satisfied_weighted_uses_wilson_on_n_eff():
    rng = np.random.default_rng(4)
    y = rng.integers(1, 6, 150).astype(float)
    w = np.exp(rng.normal(0, 1, 150))
    row = one(indicators.pct_satisfied(frame(y, w), "SAT", weight="weight"))
    p = w[y >= 4].sum() / w.sum()
    m = w.sum() ** 2 / (w ** 2).sum()
    lo, hi = proportion_confint(p * m, m, method="wilson")
    assert row["value"] == pytest.approx(100 * p)
    assert row["n_eff"] == pytest.approx(m)
    assert row["ci_low"] == pytest.approx(100 * lo)
    assert row["ci_high"] == pytest.approx(100 * hi)


@pytest.mark.parametrize("answers, value", [([1, 2, 3, 2, 1], 0.0), ([4, 5, 5, 4, 5], 100.0)])
def test_pct_satisfied_at_zero_and_one_keeps_a_non_degenerate_interval(answers, value):
    row = one(indicators.pct_satisfied(frame(answers), "SAT"))
    lo, hi = proportion_confint(int(value / 100 * 5), 5, method="wilson")
    assert row["value"] == value
    assert row["ci_low"] == pytest.approx(100 * lo, abs=1e-9)
    assert row["ci_high"] == pytest.approx(100 * hi, abs=1e-9)
    assert 0 <= row["ci_low"] < row["ci_high"] <= 100


# ------------------------------------------------------------------------------------------
# NPS
# ------------------------------------------------------------------------------------------
def adjusted_wald_by_hand(promoters, detractors, m):
    pp = (promoters + 0.75) / (m + 3)
    pd_ = (detractors + 0.75) / (m + 3)
    c = pp - pd_
    half = Z * math.sqrt((pp + pd_ - c * c) / (m + 3))
    return max(100 * (c - half), -100), min(100 * (c + half), 100)


def nps_frame(y, w=None):
    df = frame(y, w)
    return df.rename(columns={"SAT": "NPS"})


def test_nps_value_and_adjusted_wald_by_hand():
    row = one(indicators.nps(nps_frame([10, 10, 9, 8, 7, 6, 0]), "NPS"))
    # 3 promoters, 2 detractors, 7 answers: NPS = 100·(3−2)/7
    lo, hi = adjusted_wald_by_hand(3, 2, 7)
    assert row["value"] == pytest.approx(100 / 7)
    assert row["ci_low"] == pytest.approx(lo, abs=1e-4)
    assert row["ci_high"] == pytest.approx(hi, abs=1e-4)
    assert row["p_promoters"] == pytest.approx(3 / 7)
    assert row["p_detractors"] == pytest.approx(2 / 7)
    # the plain Wald se (for wave tests): 100·√((pP + pD − (pP − pD)²)/n)
    assert row["se"] == pytest.approx(100 * math.sqrt((5 / 7 - (1 / 7) ** 2) / 7))


def test_nps_all_detractors_keeps_a_non_zero_width_interval():
    row = one(indicators.nps(nps_frame([0, 3, 6, 5, 2, 1, 4, 6, 0, 2]), "NPS"))
    lo, hi = adjusted_wald_by_hand(0, 10, 10)
    assert row["value"] == -100
    assert row["ci_low"] == -100  # clipped
    assert row["ci_high"] == pytest.approx(hi, abs=1e-4)
    assert row["ci_high"] > -100


def test_nps_weighted_uses_weighted_shares_and_n_eff():
    rng = np.random.default_rng(5)
    y = rng.integers(0, 11, 120).astype(float)
    w = rng.uniform(0.1, 5, 120)
    row = one(indicators.nps(nps_frame(y, w), "NPS", weight="weight"))
    pp, pd_ = w[y >= 9].sum() / w.sum(), w[y <= 6].sum() / w.sum()
    m = w.sum() ** 2 / (w ** 2).sum()
    lo, hi = adjusted_wald_by_hand(pp * m, pd_ * m, m)
    assert row["value"] == pytest.approx(100 * (pp - pd_))
    assert row["ci_low"] == pytest.approx(lo, abs=1e-4)
    assert row["ci_high"] == pytest.approx(hi, abs=1e-4)


def test_nps_rejects_answers_outside_zero_to_ten():
    with pytest.raises(ValueError):
        indicators.nps(nps_frame([3, 11]), "NPS")


# ------------------------------------------------------------------------------------------
# Distribution, dispatch
# ------------------------------------------------------------------------------------------
def test_distribution_weighted_shares_by_hand_with_zero_codes():
    df = frame([1, 1, 2, 5, None], w=[1, 1, 2, 4, 9], group=["a", "a", "a", "b", "b"])
    t = indicators.distribution(df, "SAT", by="category", weight="weight")
    a = t[t["category"] == "a"].set_index("code")
    b = t[t["category"] == "b"].set_index("code")
    assert list(a.index) == [1, 2, 5]
    assert a["share"].tolist() == pytest.approx([0.5, 0.5, 0.0])
    assert a["n"].tolist() == [2, 1, 0]
    assert b["share"].tolist() == pytest.approx([0.0, 0.0, 1.0])
    assert set(a["n_cell"]) == {3} and set(b["n_cell"]) == {1}


def test_compute_dispatches_on_kind():
    df = frame([1, 4, 5])
    assert one(indicators.compute(df, "SAT", "mean"))["value"] == pytest.approx(10 / 3)
    assert one(indicators.compute(df, "SAT", "satisfied"))["value"] == pytest.approx(200 / 3)
    with pytest.raises(ValueError, match="kind"):
        indicators.compute(df, "SAT", "median")


def test_index_0_100():
    assert indicators.index_0_100(1) == 0 and indicators.index_0_100(5) == 100
    assert indicators.index_0_100(3.5) == pytest.approx(62.5)


# ------------------------------------------------------------------------------------------
# Headline tables
# ------------------------------------------------------------------------------------------
@pytest.fixture
def survey_frame():
    rng = np.random.default_rng(6)
    n = 600
    df = pd.DataFrame({
        "category": pd.Categorical(rng.choice(["researchers", "students"], n),
                                   categories=["researchers", "students", "journalists"]),
        "channel": pd.Categorical(rng.choice(["website", "contact"], n)),
        "weight": rng.uniform(0.5, 2, n),
        "SAT_OVERALL": rng.integers(1, 6, n).astype(float),
        "NPS": rng.integers(0, 11, n).astype(float),
        "SAT_WEB": rng.integers(1, 6, n).astype(float),
        "SAT_CONTACT": rng.integers(1, 6, n).astype(float),
    })
    df.loc[rng.random(n) < 0.5, "SAT_CONTACT"] = np.nan
    df.loc[[0, 1, 2], "category"] = "journalists"  # a cell of 3 responses (or fewer answers)
    return df


def test_channel_table_cells_are_the_questions_by_category(survey_frame):
    df = survey_frame
    questions = [{"code": "SAT_WEB", "channel": "website"},
                 {"code": "SAT_CONTACT", "channel": "contact"}]
    t = indicators.channel_table(df, questions, min_cell=0)
    assert set(zip(t["channel"], t["question"])) == {("website", "SAT_WEB"),
                                                     ("contact", "SAT_CONTACT")}
    assert set(t["kind"]) == {"mean", "satisfied"}
    for (channel, code) in [("website", "SAT_WEB"), ("contact", "SAT_CONTACT")]:
        for cat, g in df.groupby("category", observed=True):
            y = g[code].dropna()
            row = t[(t["channel"] == channel) & (t["category"] == cat)]
            mean = row[row["kind"] == "mean"].iloc[0]
            sat = row[row["kind"] == "satisfied"].iloc[0]
            assert mean["n"] == len(y) and mean["value"] == pytest.approx(y.mean())
            assert sat["value"] == pytest.approx(100 * (y >= 4).mean())


def test_channel_table_suppresses_small_cells_for_every_indicator(survey_frame):
    df = survey_frame
    n_journalists = int((df["category"] == "journalists").sum())
    assert 0 < n_journalists < 5
    questions = [{"code": "SAT_WEB", "channel": "website"},
                 {"code": "SAT_CONTACT", "channel": "contact"},
                 {"code": "NPS", "channel": "website", "type": "nps"}]
    t = indicators.channel_table(df, questions, weight="weight")
    journalists = t[t["category"] == "journalists"]
    assert journalists["suppressed"].all()
    assert journalists[["n", "value", "ci_low", "ci_high", "n_eff"]].isna().all().all()
    # each channel row then holds ≥ 2 hidden cells: another category is hidden too
    for _, g in t.groupby("channel", observed=True):
        assert g.loc[g["suppressed"], "category"].nunique() in (0, 2, 3)
    assert {"suppression_reason", "low_precision", "se"} <= set(t.columns)


def test_by_contact_channel_uses_the_response_channel(survey_frame):
    df = survey_frame
    t = indicators.by_contact_channel(df, "SAT_OVERALL", "NPS", weight="weight")
    assert set(t["kind"]) == {"mean", "satisfied", "nps"}
    for ch, g in df.groupby("channel", observed=True):
        w, y = g["weight"], g["SAT_OVERALL"]
        row = t[(t["channel"] == ch) & (t["kind"] == "mean")].iloc[0]
        assert row["value"] == pytest.approx((w * y).sum() / w.sum())
        nps_row = t[(t["channel"] == ch) & (t["kind"] == "nps")].iloc[0]
        v = g["NPS"]
        expected = 100 * (w[v >= 9].sum() - w[v <= 6].sum()) / w.sum()
        assert nps_row["value"] == pytest.approx(expected)


def test_proportions_with_no_answer_or_one_answer():
    df = pd.DataFrame({"category": ["none", "one"], "SAT": [np.nan, 5.0],
                       "NPS": [np.nan, 10.0]})
    sat = indicators.pct_satisfied(df, "SAT", by="category").set_index("category")
    assert sat.loc["none", "n"] == 0 and sat.loc["none", ["value", "ci_low"]].isna().all()
    lo, hi = proportion_confint(1, 1, method="wilson")
    assert sat.loc["one", "value"] == 100
    assert sat.loc["one", "ci_low"] == pytest.approx(100 * lo)
    assert sat.loc["one", "ci_high"] == pytest.approx(100 * hi)
    score = indicators.nps(df, "NPS", by="category").set_index("category")
    assert score.loc["none", "n"] == 0 and math.isnan(score.loc["none", "value"])
    lo, hi = adjusted_wald_by_hand(1, 0, 1)
    assert score.loc["one", "value"] == 100
    assert score.loc["one", "ci_low"] == pytest.approx(lo, abs=1e-4)
    assert score.loc["one", "ci_high"] == pytest.approx(hi, abs=1e-4)
    assert score.loc["one", "low_precision"]


def test_z_is_the_normal_0975_quantile():
    assert indicators.Z == stats.norm.ppf(0.975)
    assert indicators.Z == pytest.approx(Z, abs=1e-6)
