"""Primary and secondary suppression (statistical secrecy)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import disclosure


def grid(ns: dict[tuple[str, str], int]) -> pd.DataFrame:
    rows = [{"channel": r, "category": c, "n": n, "n_eff": float(n), "value": 3.0,
             "ci_low": 2.0, "ci_high": 4.0, "low_precision": True} for (r, c), n in ns.items()]
    return pd.DataFrame(rows)


def hidden_set(t: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(t.loc[t["suppressed"], "channel"], t.loc[t["suppressed"], "category"]))


def test_five_answers_are_published_four_are_not():
    t = disclosure.suppress(pd.DataFrame({"n": [5, 4, 0], "value": [1.0, 2.0, np.nan]}))
    assert t["suppressed"].tolist() == [False, True, True]
    assert t["suppression_reason"].tolist() == ["", "primary: n < 5", "primary: n < 5"]
    assert t.loc[0, "value"] == 1.0 and pd.isna(t.loc[1, "value"]) and pd.isna(t.loc[1, "n"])


def test_min_cell_is_a_setting_and_zero_disables_suppression():
    t = pd.DataFrame({"n": [9, 10, 0], "value": [1.0, 2.0, 3.0]})
    assert disclosure.suppress(t, min_cell=10)["suppressed"].tolist() == [True, False, True]
    assert not disclosure.suppress(t, min_cell=0)["suppressed"].any()


def test_suppressed_rows_lose_their_figures_and_low_precision_flag():
    t = disclosure.suppress(grid({("w", "a"): 2, ("w", "b"): 50}))
    hidden = t[t["suppressed"]]
    assert hidden[["n", "n_eff", "value", "ci_low", "ci_high"]].isna().all().all()
    assert not hidden["low_precision"].any()
    assert t["n"].dtype == "Int64"


def test_one_way_table_with_a_total_hides_a_second_cell_smallest_first():
    t = pd.DataFrame({"category": list("abcd"), "n": [3, 40, 12, 90], "value": [1.0] * 4})
    out = disclosure.suppress(t, by_rows=["category"])
    assert out["suppressed"].tolist() == [True, False, True, False]
    assert out.loc[2, "suppression_reason"].startswith("secondary:")


def test_single_hidden_cell_in_a_grid_needs_a_rectangle_of_four():
    ns = {(r, c): 100 for r in ("w1", "w2", "w3") for c in ("a", "b", "c")}
    ns[("w1", "a")] = 2
    ns[("w2", "b")] = 20  # the cheapest complement in row/column terms
    ns[("w1", "b")] = 30
    ns[("w2", "a")] = 40
    out = disclosure.suppress(grid(ns), by_rows=["channel"], by_cols=["category"])
    assert hidden_set(out) == {("w1", "a"), ("w1", "b"), ("w2", "a"), ("w2", "b")}


def test_two_hidden_cells_in_a_row_need_two_more():
    ns = {(r, c): 100 for r in ("w1", "w2", "w3") for c in ("a", "b", "c")}
    ns[("w1", "a")] = 1
    ns[("w1", "b")] = 3
    ns[("w3", "a")] = 50
    ns[("w3", "b")] = 60
    out = disclosure.suppress(grid(ns), by_rows=["channel"], by_cols=["category"])
    assert hidden_set(out) == {("w1", "a"), ("w1", "b"), ("w3", "a"), ("w3", "b")}


def test_a_table_without_small_cells_is_untouched():
    ns = {(r, c): 10 for r in ("w1", "w2") for c in ("a", "b")}
    out = disclosure.suppress(grid(ns), by_rows=["channel"], by_cols=["category"])
    assert not out["suppressed"].any()
    assert out["value"].tolist() == [3.0] * 4


def test_all_indicators_of_a_cell_share_one_mask():
    mean = grid({("w1", "a"): 50, ("w1", "b"): 50, ("w2", "a"): 50, ("w2", "b"): 50})
    nps = grid({("w1", "a"): 4, ("w1", "b"): 50, ("w2", "a"): 50, ("w2", "b"): 50})
    out = disclosure.suppress_many({"mean": mean, "nps": nps}, by_rows=["channel"],
                                   by_cols=["category"])
    assert hidden_set(out["mean"]) == hidden_set(out["nps"]) == {
        ("w1", "a"), ("w1", "b"), ("w2", "a"), ("w2", "b")}
    reasons = dict(zip(zip(out["mean"]["channel"], out["mean"]["category"]),
                       out["mean"]["suppression_reason"]))
    assert reasons[("w1", "a")].startswith("secondary: another indicator")
    nps_reason = out["nps"].set_index(["channel", "category"])["suppression_reason"]
    assert nps_reason[("w1", "a")] == "primary: n < 5"


def test_long_table_rows_of_the_same_cell_share_one_mask():
    t = pd.concat([grid({("w", "a"): 3, ("w", "b"): 30, ("w", "c"): 80}).assign(kind="mean"),
                   grid({("w", "a"): 3, ("w", "b"): 30, ("w", "c"): 80}).assign(kind="nps")])
    out = disclosure.suppress(t, by_rows=["channel"], by_cols=["category"])
    assert set(out.loc[out["suppressed"], "category"]) == {"a", "b"}
    assert out["suppressed"].sum() == 4


def test_slices_are_suppressed_independently():
    t = pd.concat([grid({("w", "a"): 3, ("w", "b"): 30, ("w", "c"): 80}).assign(wave="2025"),
                   grid({("w", "a"): 30, ("w", "b"): 30, ("w", "c"): 80}).assign(wave="2026")])
    out = disclosure.suppress(t, by_rows=["channel"], by_cols=["category"], slice_by=["wave"])
    assert out.loc[out["wave"] == "2025", "suppressed"].sum() == 2
    assert out.loc[out["wave"] == "2026", "suppressed"].sum() == 0


def test_margin_of_a_single_cell_line_is_reported():
    ns = {("w1", "a"): 3, ("w1", "b"): 30, ("w2", "a"): 30, ("w2", "b"): 30, ("w3", "c"): 2}
    out = disclosure.suppress(grid(ns), by_rows=["channel"], by_cols=["category"])
    assert ((), "row", ("w3",)) in out.attrs["margins_to_hide"]
    assert ((), "column", ("c",)) in out.attrs["margins_to_hide"]


def test_missing_key_column_is_an_error():
    with pytest.raises(KeyError, match="category"):
        disclosure.suppress(pd.DataFrame({"n": [1]}), by_rows=["category"])


def test_distribution_is_suppressed_on_the_cell_size():
    from analysis import indicators

    df = pd.DataFrame({"category": ["a"] * 4 + ["b"] * 6 + ["c"] * 9,
                       "SAT": [1, 2, 3, 4] + [5] * 6 + [4] * 9})
    dist = indicators.distribution(df, "SAT", by="category")
    out = disclosure.suppress(dist, n_col="n_cell", by_rows=["category"])
    # a has 4 answers (hidden); with the overall distribution as margin, b (6 < 9) goes too
    assert set(out.loc[out["suppressed"], "category"]) == {"a", "b"}
    assert out.loc[out["suppressed"], ["share", "n", "n_cell"]].isna().all().all()
    assert out.loc[~out["suppressed"], "share"].sum() == pytest.approx(1.0)
