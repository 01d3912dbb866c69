"""Keyness: the terms that set one group of verbatims apart from another.

Weighted log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008,
"Fightin' Words", *Political Analysis* 16(4), eq. 16–22). For a term w with counts y_wi in group i
(total n_i) and prior α_w (α_0 = Σ α_w):

    δ_w = log((y_wi + α_w) / (n_i + α_0 − y_wi − α_w)) − log((y_wj + α_w) / (n_j + α_0 − y_wj − α_w))
    σ²(δ_w) ≈ 1 / (y_wi + α_w) + 1 / (y_wj + α_w)
    z_w = δ_w / σ(δ_w)

Why this and not raw frequencies or χ²: the prior shrinks the log-odds of rare terms towards zero,
so a word said twice by the dissatisfied and never by the satisfied does not top the list, and z
puts frequent and rare terms on one scale. The informative prior is the pooled frequency of each
term scaled to ``prior_size`` pseudo-counts. Counts are document counts (a term once per
verbatim), weighted by the survey weights when the wave is weighted.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Sequence

import numpy as np
import pandas as pd

__all__ = ["log_odds_dirichlet", "term_counts", "keyness"]


def log_odds_dirichlet(y_i: np.ndarray, y_j: np.ndarray, alpha: np.ndarray) -> pd.DataFrame:
    """δ, its variance and z for aligned count vectors of groups i and j and the prior α."""
    y_i, y_j, alpha = (np.asarray(a, float) for a in (y_i, y_j, alpha))
    n_i, n_j, a0 = y_i.sum(), y_j.sum(), alpha.sum()
    delta = (np.log((y_i + alpha) / (n_i + a0 - y_i - alpha))
             - np.log((y_j + alpha) / (n_j + a0 - y_j - alpha)))
    var = 1.0 / (y_i + alpha) + 1.0 / (y_j + alpha)
    return pd.DataFrame({"delta": delta, "var": var, "z": delta / np.sqrt(var)})


def term_counts(features: Sequence[Sequence[str]], weights: np.ndarray | None = None) -> dict[str, float]:
    """Weighted number of verbatims each term appears in."""
    counts: dict[str, float] = defaultdict(float)
    w = np.ones(len(features)) if weights is None else np.asarray(weights, float)
    for doc, wt in zip(features, w):
        for term in set(doc):
            counts[term] += wt
    return counts


def keyness(features: Sequence[Sequence[str]], in_group: np.ndarray, weights: np.ndarray | None = None,
            prior_size: float | None = None, min_count: float = 3, limit: int | None = 20) -> pd.DataFrame:
    """Terms ranked by z (group ``in_group`` against the rest): term, counts, δ, variance, z.

    ``prior_size`` (α_0) defaults to the number of verbatims; terms seen fewer than ``min_count``
    (weighted) times in all are left out.
    """
    in_group = np.asarray(in_group, bool)
    w = np.ones(len(features)) if weights is None else np.asarray(weights, float)
    a = term_counts([f for f, g in zip(features, in_group) if g], w[in_group])
    b = term_counts([f for f, g in zip(features, in_group) if not g], w[~in_group])
    vocab = sorted(set(a) | set(b))
    y_i = np.array([a.get(t, 0.0) for t in vocab])
    y_j = np.array([b.get(t, 0.0) for t in vocab])
    pooled = y_i + y_j
    keep = pooled >= min_count
    if not keep.any():
        return pd.DataFrame(columns=["term", "count_in", "count_out", "delta", "var", "z"])
    vocab = np.array(vocab, dtype=object)[keep]
    y_i, y_j, pooled = y_i[keep], y_j[keep], pooled[keep]
    a0 = float(len(features)) if prior_size is None else float(prior_size)
    alpha = a0 * pooled / pooled.sum()
    out = log_odds_dirichlet(y_i, y_j, alpha)
    out.insert(0, "term", vocab)
    out.insert(1, "count_in", y_i)
    out.insert(2, "count_out", y_j)
    out = out.sort_values(["z", "term"], ascending=[False, True], kind="mergesort").reset_index(drop=True)
    return out.head(limit) if limit else out
