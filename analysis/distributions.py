"""Distributions of the questions that are not scores: single and multiple choice, numbers, matrices.

Pure pandas/numpy, no Django import. Like :mod:`analysis.indicators`, every function takes the
analysis frame (one row per complete response, see :mod:`analysis.frames`), a ``by`` list of
grouping columns and an optional weight column, and returns one row per observed cell (and per
choice or item), *before* confidentiality; :func:`protect` then applies the very suppression of
the other dashboard tables (:mod:`analysis.disclosure`, nothing re-implemented here).

* **Single choice** (:func:`choice_shares`): share of the respondents who answered the question
  that chose each answer, 0–100, with the Wilson interval on n_eff (the formula of the "% satisfied"
  indicator, reused from :mod:`analysis.waves`). ``n_cell`` = respondents who answered.
* **Multiple choice** (:func:`multiple_shares`): two shares per choice. *Of respondents*: Σw·ticked /
  Σw over the respondents who answered (the shares add up to more than 100 %), with the Wilson
  interval. *Of mentions*: Σw·ticked / Σw·(number of ticks) — the shares add up to 100 %; no interval
  (the mentions of one respondent are not independent draws).
* **Number** (:func:`number_summary`): mean with the t interval of :func:`indicators.mean_score`,
  median and quartiles. Unweighted quartiles are numpy's default (linear interpolation, R type 7);
  weighted ones are numpy's ``inverted_cdf`` with weights (the smallest value whose cumulative weight
  reaches the quantile), as no interpolation is defined for weights.
* **Matrix** (:func:`matrix_items`): one row per item: % satisfied (answer ≥ threshold, Wilson) and
  mean score (t interval), from :func:`indicators.pct_satisfied` / :func:`indicators.mean_score`.

``low_precision`` follows :mod:`analysis.indicators`: n < 30 or an interval half-width over 10 points.
Nothing is rounded here.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from . import disclosure, indicators
from .indicators import LOW_PRECISION_HALF_WIDTH, LOW_PRECISION_N, group_codes

try:  # the Wilson interval of the wave comparisons (renamed public by the analysis refactor)
    from .waves import wilson
except ImportError:  # pragma: no cover - before the rename
    from .waves import _wilson as wilson

__all__ = ["choice_shares", "multiple_shares", "number_summary", "matrix_items", "protect", "EXTRA_MEASURES"]

#: measure columns of these tables that :mod:`analysis.disclosure` does not know by name
EXTRA_MEASURES = ("mentions", "share_mentions", "median", "q1", "q3", "mean", "mean_ci_low", "mean_ci_high",
                  "min", "max")


def _by(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _weights(frame: pd.DataFrame, weight: str | None) -> np.ndarray:
    if weight is None:
        return np.ones(len(frame))
    w = pd.to_numeric(frame[weight], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    if (~np.isfinite(w)).any() or (w < 0).any():
        raise ValueError(f"column {weight!r} has a missing, infinite or negative weight")
    return w


def _low_precision(n: np.ndarray, half_width: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        wide = ~(half_width <= LOW_PRECISION_HALF_WIDTH)  # NaN (undefined interval) counts as wide
    return (n < LOW_PRECISION_N) | wide


def _shares(frame: pd.DataFrame, hits: np.ndarray, answered: np.ndarray, choices: Sequence[str],
            by: list[str], weight: str | None, dropna: bool) -> pd.DataFrame:
    """Per cell × choice: the weighted share of answering respondents with ``hits[:, k]``."""
    groups = group_codes(frame, by, dropna=dropna)
    ok = answered & (groups.codes >= 0)
    c = groups.codes[ok]
    w = _weights(frame, weight)[ok]
    h = hits[ok].astype(np.float64)
    G, K = groups.ngroups, len(choices)
    n_cell = np.bincount(c, minlength=G)
    W = np.bincount(c, weights=w, minlength=G)
    W2 = np.bincount(c, weights=w * w, minlength=G)
    flat = np.repeat(c * K, K) + np.tile(np.arange(K), c.size) if K else np.zeros(0, np.int64)
    counts = np.bincount(flat, weights=h.ravel(), minlength=G * K).reshape(G, K) if K else np.zeros((G, 0))
    wsum = np.bincount(flat, weights=(h * w[:, None]).ravel(), minlength=G * K).reshape(G, K) if K \
        else np.zeros((G, 0))
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eff = np.where(W2 > 0, W * W / np.where(W2 > 0, W2, 1.0), np.nan)
        p = wsum / W[:, None]
        mentions_w = wsum.sum(axis=1)
        p_mentions = wsum / mentions_w[:, None]
    m = np.repeat(n_eff[:, None], K, axis=1)
    low, high = wilson(p, m)
    out = groups.keys.loc[np.repeat(np.arange(G), K)].reset_index(drop=True)
    out["choice"] = pd.array(np.tile(np.asarray(list(choices), dtype=object), G), dtype="str")
    out["n_cell"] = np.repeat(n_cell, K)
    out["n"] = counts.ravel().round().astype(np.int64)
    out["n_eff"] = np.repeat(n_eff, K)
    out["value"] = 100.0 * p.ravel()
    out["ci_low"] = 100.0 * low.ravel()
    out["ci_high"] = 100.0 * high.ravel()
    out["share_mentions"] = 100.0 * p_mentions.ravel()
    out["low_precision"] = _low_precision(out["n_cell"].to_numpy(), 50.0 * (high - low).ravel())
    return out


def choice_shares(frame: pd.DataFrame, column: str, choices: Sequence[str], by: str | Sequence[str] | None = None,
                  weight: str | None = None, *, dropna: bool = True) -> pd.DataFrame:
    """Single choice: % of the answering respondents per choice, Wilson 95 % interval.

    Columns: by…, choice, n_cell (answered), n (chose it), n_eff, value (0–100), ci_low, ci_high,
    share_mentions (= value for a single choice), low_precision. An answer outside ``choices`` counts
    as answered but in no choice (it is not silently dropped from the denominator).
    """
    values = frame[column].astype(object)
    answered = values.notna().to_numpy()
    codes = pd.Categorical(values, categories=list(choices)).codes
    hits = codes[:, None] == np.arange(len(choices))[None, :]
    return _shares(frame, hits, answered, choices, _by(by), weight, dropna).drop(columns="share_mentions")


def multiple_shares(frame: pd.DataFrame, columns: Mapping[str, str], by: str | Sequence[str] | None = None,
                    weight: str | None = None, *, dropna: bool = True) -> pd.DataFrame:
    """Multiple choice: per choice the share of respondents (Wilson) and the share of mentions.

    ``columns``: choice code → boolean frame column (missing = the question was not answered).
    Columns: by…, choice, n_cell (answered), n (ticked it), n_eff, value (% of respondents, 0–100),
    ci_low, ci_high, share_mentions (% of all ticks, 0–100), low_precision.
    """
    choices = list(columns)
    if not choices:
        return _shares(frame, np.zeros((len(frame), 0), bool), np.zeros(len(frame), bool), [], _by(by), weight,
                       dropna)
    block = pd.concat([frame[col].astype("boolean") for col in columns.values()], axis=1)
    answered = block.notna().any(axis=1).to_numpy()
    hits = block.fillna(False).to_numpy(dtype=bool)
    return _shares(frame, hits, answered, choices, _by(by), weight, dropna)


def _quantiles(y: np.ndarray, w: np.ndarray | None) -> tuple[float, float, float]:
    if y.size == 0:
        return (np.nan, np.nan, np.nan)
    q = np.array([0.25, 0.5, 0.75])
    if w is None:
        return tuple(np.quantile(y, q))
    if not (w > 0).any():
        return (np.nan, np.nan, np.nan)
    return tuple(np.quantile(y, q, weights=w, method="inverted_cdf"))


def number_summary(frame: pd.DataFrame, column: str, by: str | Sequence[str] | None = None,
                   weight: str | None = None, *, dropna: bool = True) -> pd.DataFrame:
    """Number: mean (t interval), median, first and third quartiles, min and max per cell.

    Columns: by…, n, n_eff, value (mean), ci_low, ci_high, se, median, q1, q3, min, max, low_precision
    (n < 30: a number has no fixed scale to express the half-width in points).
    """
    by = _by(by)
    table = indicators.mean_score(frame, column, by, weight, dropna=dropna)
    groups = group_codes(frame, by, dropna=dropna)
    y = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    w = None if weight is None else _weights(frame, weight)
    if w is not None and w.size and (w == w[0]).all() and w[0] > 0:
        w = None  # equal weights: the unweighted figures (as indicators does)
    ok = ~np.isnan(y) & (groups.codes >= 0)
    stats = np.full((groups.ngroups, 5), np.nan)
    order = np.argsort(groups.codes[ok], kind="stable")
    cells, starts = np.unique(groups.codes[ok][order], return_index=True)
    ys = y[ok][order]
    ws = None if w is None else w[ok][order]
    bounds = list(starts[1:]) + [ys.size]
    for cell, lo, hi in zip(cells, starts, bounds):
        part = ys[lo:hi]
        q1, med, q3 = _quantiles(part, None if ws is None else ws[lo:hi])
        stats[cell] = (med, q1, q3, part.min(), part.max())
    table = table.reset_index(drop=True)
    for j, name in enumerate(("median", "q1", "q3", "min", "max")):
        table[name] = stats[:, j]
    table["low_precision"] = table["n"].to_numpy() < LOW_PRECISION_N
    return table


def matrix_items(frame: pd.DataFrame, columns: Mapping[str, str], by: str | Sequence[str] | None = None,
                 weight: str | None = None, *, threshold: float = 4, dropna: bool = True) -> pd.DataFrame:
    """Matrix: one row per cell × item: % satisfied (≥ ``threshold``, Wilson) and mean (t interval).

    ``columns``: item code → frame column (1–5). Columns: by…, item, n, n_eff, value (% satisfied),
    ci_low, ci_high, se, mean, mean_ci_low, mean_ci_high, low_precision (of the % satisfied).
    """
    by = _by(by)
    parts = []
    for item, col in columns.items():
        sat = indicators.pct_satisfied(frame, col, by, weight, threshold, dropna=dropna)
        mean = indicators.mean_score(frame, col, by, weight, dropna=dropna)
        sat.insert(len(by), "item", item)
        sat["mean"] = mean["value"].to_numpy()
        sat["mean_ci_low"] = mean["ci_low"].to_numpy()
        sat["mean_ci_high"] = mean["ci_high"].to_numpy()
        parts.append(sat)
    if not parts:
        return pd.DataFrame(columns=by + ["item", "n", "n_eff", "value", "ci_low", "ci_high", "mean"])
    out = pd.concat(parts, ignore_index=True)
    out["item"] = pd.array(out["item"].astype(object), dtype="str")
    return out


def protect(table: pd.DataFrame, min_cell: int, *, by_rows: Sequence[str] | None = None,
            by_cols: Sequence[str] | None = None) -> pd.DataFrame:
    """The dashboards' suppression (:func:`disclosure.suppress`) on one of these tables.

    The cell is the ``by`` key: its choices or items share one mask. Choice tables are checked on
    ``n_cell`` (the respondents who answered, as the answer distributions of the scored questions),
    number and matrix tables on each row's ``n``.
    """
    n_col = "n_cell" if "n_cell" in table.columns else "n"
    return disclosure.suppress(table, min_cell=min_cell, n_col=n_col, by_rows=by_rows, by_cols=by_cols,
                               measures=[c for c in EXTRA_MEASURES if c in table.columns])
