"""Post-stratification and raking: margins reached, weights of mean 1, errors that name things."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import weighting
from analysis.weighting import WeightingError


def shares(df, var, weights):
    s = pd.Series(np.asarray(weights), index=df.index).groupby(df[var]).sum()
    return (s / s.sum()).to_dict()


def test_poststratify_by_hand():
    df = pd.DataFrame({"category": ["a", "a", "a", "b"]})
    w = weighting.poststratify(df, "category", {"a": 0.5, "b": 0.5})
    # a: 0.5 / (3/4) = 2/3 ; b: 0.5 / (1/4) = 2 ; mean (3·2/3 + 2)/4 = 1
    assert w.tolist() == pytest.approx([2 / 3, 2 / 3, 2 / 3, 2])
    assert w.index.equals(df.index)


def test_poststratify_accepts_counts_as_targets():
    df = pd.DataFrame({"category": ["a", "a", "a", "b"]})
    w = weighting.poststratify(df, "category", {"a": 1500, "b": 1500})
    assert w.tolist() == pytest.approx([2 / 3, 2 / 3, 2 / 3, 2])


def test_poststratify_target_without_respondent_names_the_category():
    df = pd.DataFrame({"category": ["a", "b"]})
    with pytest.raises(WeightingError, match="'journalists'"):
        weighting.poststratify(df, "category", {"a": 1, "b": 1, "journalists": 1})


def test_respondent_whose_category_has_no_target_is_an_error():
    df = pd.DataFrame({"category": ["a", "b", "zz"]})
    with pytest.raises(WeightingError, match="'zz'.*row 3"):
        weighting.poststratify(df, "category", {"a": 1, "b": 1})


def test_negative_target_is_an_error():
    df = pd.DataFrame({"category": ["a", "b"]})
    with pytest.raises(WeightingError, match="non-negative"):
        weighting.rake(df, {"category": {"a": 1, "b": -1}})


def test_rake_reaches_both_margins_with_mean_one():
    rng = np.random.default_rng(7)
    n = 2000
    df = pd.DataFrame({"category": rng.choice(list("abcd"), n, p=[0.5, 0.3, 0.15, 0.05]),
                       "channel": rng.choice(["web", "mail", "phone"], n, p=[0.6, 0.3, 0.1])})
    targets = {"category": {"a": 25, "b": 25, "c": 30, "d": 20},
               "channel": {"web": 0.4, "mail": 0.4, "phone": 0.2}}
    res = weighting.rake(df, targets)
    assert res.converged and res.iterations >= 1 and res.max_rel_error <= 1e-6
    assert res.weights.mean() == pytest.approx(1.0)
    got_cat = shares(df, "category", res.weights)
    for k, t in {"a": 0.25, "b": 0.25, "c": 0.30, "d": 0.20}.items():
        assert got_cat[k] == pytest.approx(t, rel=1e-6)
    got_ch = shares(df, "channel", res.weights)
    for k, t in targets["channel"].items():
        assert got_ch[k] == pytest.approx(t, rel=1e-6)


def test_rake_on_one_variable_equals_poststratification():
    df = pd.DataFrame({"category": ["a", "a", "b", "c", "c", "c"]})
    t = {"a": 0.2, "b": 0.3, "c": 0.5}
    raked = weighting.rake(df, {"category": t}).weights
    # poststratification by hand: target share / sample share, then mean 1
    by_hand = np.array([0.2 / (2 / 6)] * 2 + [0.3 / (1 / 6)] + [0.5 / (3 / 6)] * 3)
    assert raked.tolist() == pytest.approx((by_hand / by_hand.mean()).tolist())


def test_rake_that_cannot_converge_raises_with_its_report():
    # category and channel perfectly associated: these margins are incompatible
    df = pd.DataFrame({"category": ["a", "a", "b", "b"], "channel": ["x", "x", "y", "y"]})
    margins = {"category": {"a": 0.5, "b": 0.5}, "channel": {"x": 0.2, "y": 0.8}}
    with pytest.raises(WeightingError, match="did not converge") as info:
        weighting.rake(df, margins, max_iter=20)
    assert info.value.result is not None and not info.value.result.converged
    assert info.value.result.iterations == 20
    res = weighting.rake(df, margins, max_iter=20, raise_on_failure=False)
    assert not res.converged and res.max_rel_error > 1e-6


def test_rake_target_without_respondent_names_the_category():
    df = pd.DataFrame({"category": ["a", "b"], "channel": ["web", "web"]})
    with pytest.raises(WeightingError, match="'mail'.*'channel'"):
        weighting.rake(df, {"category": {"a": 1, "b": 1}, "channel": {"web": 1, "mail": 1}})


def test_rake_missing_value_is_an_error_naming_the_row():
    df = pd.DataFrame({"channel": ["web", None, "mail"]})
    with pytest.raises(WeightingError, match="'channel'.*row 2"):
        weighting.rake(df, {"channel": {"web": 1, "mail": 1}})


def test_rake_accepts_categorical_columns():
    df = pd.DataFrame({"category": pd.Categorical(["a", "b", "b"], categories=["a", "b", "c"])})
    w = weighting.rake(df, {"category": {"a": 1, "b": 1}}).weights
    assert w.tolist() == pytest.approx([1.5, 0.75, 0.75])


def test_rake_from_base_weights_keeps_their_ratios_within_a_combination():
    rng = np.random.default_rng(13)
    n = 300
    df = pd.DataFrame({"category": rng.choice(["a", "b"], n), "channel": rng.choice(["x", "y"], n)})
    base = rng.uniform(0.5, 2.0, n)
    margins = {"category": {"a": 0.3, "b": 0.7}, "channel": {"x": 0.6, "y": 0.4}}
    w = weighting.rake(df, margins, base_weights=base).weights
    assert shares(df, "category", w)["a"] == pytest.approx(0.3, rel=1e-6)
    assert shares(df, "channel", w)["x"] == pytest.approx(0.6, rel=1e-6)
    ratio = w / base  # raking multiplies base weights by one factor per combination
    spread = ratio.groupby([df["category"], df["channel"]]).agg(lambda r: r.max() - r.min())
    assert np.allclose(spread, 0, atol=1e-12)


def test_rake_missing_categorical_value_names_the_row():
    df = pd.DataFrame({"channel": pd.Categorical(["web", "mail", None])})
    with pytest.raises(WeightingError, match="row 3"):
        weighting.rake(df, {"channel": {"web": 1, "mail": 1}})
