"""Diagnostics of weights, by hand: CV, Kish n_eff, deff = 1 + CV², share at a bound, histogram."""

from __future__ import annotations

import math

import pytest

from analysis.weight_stats import weight_histogram, weight_summary


def test_summary_by_hand():
    w = [0.5, 0.5, 1.0, 2.0]  # mean 1, population variance (0.25+0.25+0+1)/4 = 0.375
    s = weight_summary(w)
    assert (s["n"], s["min"], s["max"], s["mean"]) == (4, 0.5, 2.0, 1.0)
    assert s["cv"] == pytest.approx(math.sqrt(0.375))
    assert s["n_eff"] == pytest.approx(16 / 5.5)  # W² / Σw² = 4² / (0.25+0.25+1+4)
    assert s["deff"] == pytest.approx(1.375) and s["n"] / s["deff"] == pytest.approx(s["n_eff"])
    assert s["at_bound"] is None


def test_share_at_a_bound_reads_the_ratios():
    s = weight_summary([0.3, 0.3, 1.0, 3.0], g=[0.3, 0.3, 1.0, 3.0], bounds=(0.3, 3.0))
    assert s["at_bound"] == pytest.approx(0.75)


def test_histogram_counts_every_weight_once():
    h = weight_histogram([1.0, 1.0, 2.0, 3.0], bins=2)
    assert h["count"].tolist() == [2, 2] and h["low"].iloc[0] == 1.0 and h["high"].iloc[-1] == 3.0


def test_equal_weights_have_no_dispersion():
    s = weight_summary([1.0] * 5)
    assert s["cv"] == 0 and s["deff"] == 1 and s["n_eff"] == pytest.approx(5)
    assert weight_histogram([1.0] * 5)["count"].sum() == 5
