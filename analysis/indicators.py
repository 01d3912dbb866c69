"""Indicators for one question, per cell (group of responses).

Pure numpy/pandas (scipy only for t quantiles): no Django import. The formulas are those of the
project's ``methodology.md``; each function reads like its definition there.

Input frame (one row per response): grouping columns (``wave``, ``category``, ``channel``... as
str or Categorical), an optional weight column, and one numeric column per question code
(NaN / <NA> = missing answer, excluded per indicator).

Every indicator function returns one row per observed cell, sorted by the ``by`` columns
(Categorical columns keep their category order), with at least::

    <by columns>, n, n_eff, value, ci_low, ci_high, se, low_precision

* ``n``: number of (unweighted) answers in the cell; ``n_eff`` = W² / Σw² (Kish; = n unweighted).
* ``value``: the indicator (mean on the question's scale, % in 0–100, NPS in −100..100).
* ``se``: the standard error used by :mod:`analysis.waves` (same unit as ``value``).
* ``low_precision``: "interpret with caution" — n < 30 or CI half-width > 10 points. For a mean
  the half-width is converted to points of the 0–100 index of its scale: with the default 1–5
  scale, ``half_width × 100 / (5 − 1) = half_width × 25 > 10``; pass ``scale=(0, 10)`` for a
  0–10 scale (``half_width × 10``). An undefined CI (n < 2) is low precision too.

Cells are built from the rows whose ``by`` values are all present (a response with no channel
is in no channel cell; pass ``dropna=False`` to keep "missing" as a cell of its own). A cell
exists as soon as one response falls in it, even if nobody answered the question (then n = 0
and the figures are NaN). Nothing is rounded here.

Implementation: the cells are numbered once (:func:`analysis.cells.group_codes`) and every
sum is an ``np.bincount`` over those codes — there is no Python loop per cell, so a table for a
million responses takes milliseconds.

This module is the one door callers use; the rooms behind it, one per thing computed:

* :mod:`analysis.cells` — cell numbering, validated inputs, per-cell sizes, table layout;
* :mod:`analysis.intervals` — z, the Wilson interval, t quantiles, the low-precision rule;
* :mod:`analysis.means` — mean score (and the 0–100 index);
* :mod:`analysis.shares` — % satisfied and the distribution of answer codes;
* :mod:`analysis.net_promoter` — NPS;
* :mod:`analysis.headline_tables` — the dashboard's long tables, confidentiality applied.
"""

from __future__ import annotations

from typing import Sequence

import pandas as pd

from .cells import Groups, group_codes, table_layout
from .headline_tables import KINDS, by_contact_channel, channel_table
from .intervals import LOW_PRECISION_HALF_WIDTH, LOW_PRECISION_N, Z, wilson
from .means import index_0_100, mean_score
from .net_promoter import NPS_DETRACTOR_MAX, NPS_PROMOTER_MIN, nps
from .shares import distribution, pct_satisfied

__all__ = [
    "Z",
    "KINDS",
    "Groups",
    "group_codes",
    "mean_score",
    "pct_satisfied",
    "nps",
    "distribution",
    "compute",
    "index_0_100",
    "channel_table",
    "by_contact_channel",
    "table_layout",
    "wilson",
    "LOW_PRECISION_N",
    "LOW_PRECISION_HALF_WIDTH",
    "NPS_PROMOTER_MIN",
    "NPS_DETRACTOR_MAX",
]


def compute(
    df: pd.DataFrame,
    score: str,
    kind: str,
    by: str | Sequence[str] | None = None,
    weight: str | None = None,
    threshold: float = 4,
    **options,
) -> pd.DataFrame:
    """Dispatch on ``kind`` in {"mean", "satisfied", "nps"}."""
    if kind == "mean":
        return mean_score(df, score, by, weight, **options)
    if kind == "satisfied":
        return pct_satisfied(df, score, by, weight, threshold, **options)
    if kind == "nps":
        return nps(df, score, by, weight, **options)
    raise ValueError(f"unknown indicator kind {kind!r}; expected one of {', '.join(KINDS)}")
