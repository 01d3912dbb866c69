"""Property tests (hypothesis): invariants that must hold for any data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import disclosure, indicators, weighting

FAST = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def raking_problems(draw):
    """Data where every category × channel combination has a respondent (so raking can always
    reach the margins), with random extra rows and random positive targets."""
    n_cat = draw(st.integers(2, 4))
    n_ch = draw(st.integers(2, 3))
    cats = [f"c{i}" for i in range(n_cat)]
    chans = [f"h{j}" for j in range(n_ch)]
    base = [(c, h) for c in cats for h in chans]
    extra = draw(st.lists(st.tuples(st.sampled_from(cats), st.sampled_from(chans)),
                          max_size=40))
    rows = base + extra
    df = pd.DataFrame(rows, columns=["category", "channel"])
    target = st.floats(0.05, 10, allow_nan=False)
    margins = {"category": {c: draw(target) for c in cats},
               "channel": {h: draw(target) for h in chans}}
    return df, margins


@FAST
@given(raking_problems())
def test_raking_weights_have_mean_one_and_reproduce_the_margins(problem):
    df, margins = problem
    res = weighting.rake(df, margins, max_iter=1000, tol=1e-9)
    w = res.weights
    assert res.converged
    assert w.mean() == pytest.approx(1.0)
    assert (w >= 0).all()
    for var, targets in margins.items():
        total = sum(targets.values())
        got = w.groupby(df[var]).sum() / w.sum()
        for cat, t in targets.items():
            assert got[cat] == pytest.approx(t / total, rel=1e-6)


@st.composite
def tables(draw):
    n_rows = draw(st.integers(1, 6))
    n_cols = draw(st.integers(1, 6))
    cells = []
    for r in range(n_rows):
        for c in range(n_cols):
            if draw(st.integers(0, 5)) == 0:  # some combinations do not exist
                continue
            cells.append({"row": f"r{r}", "col": f"c{c}", "n": draw(st.integers(0, 25)),
                          "value": 1.0})
    if not cells:
        cells.append({"row": "r0", "col": "c0", "n": 3, "value": 1.0})
    return pd.DataFrame(cells)


@FAST
@given(tables(), st.sampled_from([1, 5, 10]))
def test_suppression_never_leaves_a_lone_hidden_cell_in_a_line(table, min_cell):
    out = disclosure.suppress(table, min_cell=min_cell, by_rows=["row"], by_cols=["col"])
    hidden = out["suppressed"]
    assert hidden[table["n"] < min_cell].all()  # primary always applied
    for line in ("row", "col"):
        sizes = out.groupby(line).size()
        counts = hidden.groupby(out[line]).sum()
        for key, count in counts.items():
            if sizes[key] >= 2:  # a single-cell line's margin is the cell: see margins_to_hide
                assert count != 1, (line, key, out)
    assert out.loc[hidden, "value"].isna().all()


@FAST
@given(st.lists(st.integers(1, 5), min_size=2, max_size=60),
       st.floats(0.01, 1000, allow_nan=False))
def test_unweighted_equals_weighted_with_equal_weights(answers, c):
    df = pd.DataFrame({"SAT": np.array(answers, dtype=float), "weight": c,
                       "NPS": (np.array(answers) * 2).astype(float)})
    for kind, col in (("mean", "SAT"), ("satisfied", "SAT"), ("nps", "NPS")):
        plain = indicators.compute(df, col, kind).iloc[0]
        weighted = indicators.compute(df, col, kind, weight="weight").iloc[0]
        for field in ("n", "n_eff", "value", "ci_low", "ci_high", "se"):
            assert weighted[field] == pytest.approx(plain[field], rel=1e-9, abs=1e-9), (kind,
                                                                                      field)
