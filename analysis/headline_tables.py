"""The dashboard's headline tables: several indicators per cell, confidentiality applied.

Pure numpy/pandas, no Django import. :func:`channel_table` gives, for each channel, the
questions tied to it by category; :func:`by_contact_channel` the overall satisfaction and NPS by
the response's own contact channel. Both return one long frame (one row per cell × question ×
indicator) suppressed with one mask per cell (:mod:`analysis.disclosure`).

Don't-know (the frame's ``<code>__dk`` flags, :data:`analysis.cells.DK_SUFFIX`): each row also
carries ``n_dont_know`` and ``dont_know_share`` = n_dont_know / (n + n_dont_know) for its cell,
unweighted like ``n`` whatever the weighting; they never enter a denominator (methodology.md)
and are blanked with the cell's other figures when it is suppressed.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from . import disclosure
from .cells import Cells, Groups, answered_cells, dont_know_column, group_codes, numeric_column, \
    table_layout, weight_column
from .means import mean_figures
from .net_promoter import nps_figures
from .shares import satisfied_figures

__all__ = ["KINDS", "kind_figures", "channel_table", "by_contact_channel"]

#: indicator kinds (mean score, % satisfied, NPS)
KINDS = ("mean", "satisfied", "nps")

_TABLE_COLUMNS = ["question", "kind", "n", "n_eff", "value", "ci_low", "ci_high", "se",
                  "p_promoters", "p_detractors", "low_precision", "n_dont_know", "dont_know_share"]


def _default_kinds(question: dict) -> list[str]:
    """The indicators of a question: given, or by type (nps → NPS, scale → mean, else both)."""
    if "kinds" in question:
        return list(question["kinds"])
    if "kind" in question:
        return [question["kind"]]
    qtype = question.get("type", "satisfaction")
    if qtype == "nps":
        return ["nps"]
    if qtype == "scale":
        return ["mean"]
    return ["mean", "satisfied"]


def kind_figures(kind: str, cells: Cells, question: dict) -> dict[str, np.ndarray]:
    """The figures of one indicator ``kind`` on prepared cells, with the question's options."""
    if kind == "mean":
        scale = question.get("scale") or ((0, 10) if question.get("type") == "scale" else (1, 5))
        return mean_figures(cells, tuple(scale))
    if kind == "satisfied":
        return satisfied_figures(cells, question.get("threshold", 4) or 4)
    if kind == "nps":
        return nps_figures(cells)
    raise ValueError(f"unknown indicator kind {kind!r}; expected one of {', '.join(KINDS)}")


def _per_part(labels: Sequence, G: int) -> pd.Categorical:
    """One label per part repeated over its G rows, Categorical in first-seen order."""
    values = list(dict.fromkeys(labels))
    codes = np.repeat(np.array([values.index(v) for v in labels], dtype=np.int64), G)
    return pd.Categorical.from_codes(codes, categories=values)


def _stacked_columns(parts: list[tuple[str, str, dict]], G: int) -> dict[str, np.ndarray]:
    """The figure columns of all parts end to end (NaN where a kind has no such figure)."""
    columns = {}
    for col in _TABLE_COLUMNS[2:]:
        if col == "low_precision":
            chunks = [part[2][col] for part in parts]
        else:
            chunks = [part[2].get(col, np.full(G, np.nan)) for part in parts]
        dtype = {"n": np.int64, "n_dont_know": np.int64, "low_precision": bool}.get(col, np.float64)
        columns[col] = (np.concatenate(chunks).astype(dtype, copy=False) if chunks
                        else np.zeros(0, dtype=dtype))
    return columns


def _long_table(groups: Groups, parts: list[tuple[str, str, dict]], extra: dict | None = None,
                key_order: Sequence[str] | None = None) -> pd.DataFrame:
    """Stack (question, kind, columns) parts of G rows each into one long frame, built once.

    ``extra`` maps a key column name to one value per part (e.g. the question's channel).
    """
    G, P = groups.ngroups, len(parts)
    out = groups.keys.take(np.tile(np.arange(G), P)).reset_index(drop=True)
    for name, per_part in (extra or {}).items():
        out[name] = _per_part(per_part, G)
    out["question"] = _per_part([part[0] for part in parts], G)
    out["kind"] = _per_part([part[1] for part in parts], G)
    out = pd.concat([out, pd.DataFrame(_stacked_columns(parts, G))], axis=1)
    order = list(key_order) if key_order is not None else list(groups.keys.columns)
    order += [c for c in (extra or {}) if c not in order]
    return out[order + _TABLE_COLUMNS]


def channel_table(
    df: pd.DataFrame,
    questions: Sequence[dict],
    by: Sequence[str] = ("channel", "category"),
    weight: str | None = None,
    min_cell: int = 5,
    *,
    dropna: bool = True,
) -> pd.DataFrame:
    """The headline table: for each channel, the questions tied to it, by category.

    ``questions``: dicts ``{"code": "SAT_WEB", "channel": "website"}`` with optional
    ``threshold`` (default 4), ``type`` ("satisfaction" → mean and % satisfied, "scale" → mean
    on 0–10, "nps" → NPS), ``kinds`` (explicit list) and ``scale`` (min, max).

    In ``by``, ``"channel"`` is the channel **the question is tied to** (the response's own
    ``channel`` column is not used here: see :func:`by_contact_channel`); the other names are
    columns of ``df`` (default: category; add e.g. "wave" in front to get one table per wave).

    Returns a long frame: by…, question, kind, n, n_eff, value, ci_low, ci_high, se,
    p_promoters, p_detractors, low_precision, n_dont_know, dont_know_share, suppressed,
    suppression_reason (``channel``,
    ``question`` and ``kind`` are Categorical, in the order of ``questions``). Confidentiality
    is applied to the channel × category grid (both margins exist on the dashboard): primary per
    indicator (n < ``min_cell``) and secondary, with one mask for all indicators of a cell.
    ``min_cell=0`` disables suppression.
    """
    by = list(by)
    if "channel" not in by:
        raise ValueError("channel_table needs 'channel' in by")
    data_by = [b for b in by if b != "channel"]
    groups = group_codes(df, data_by, dropna=dropna)
    w_all = weight_column(df, weight)
    parts, channels = [], []
    for q in questions:
        cells = answered_cells(numeric_column(df, q["code"]), w_all, groups, dont_know_column(df, q["code"]))
        for kind in _default_kinds(q):
            parts.append((q["code"], kind, kind_figures(kind, cells, q)))
            channels.append(q["channel"])
    out = _long_table(groups, parts, {"channel": channels}, key_order=by)
    return disclosure.suppress(out, min_cell=min_cell, **table_layout(by))


def by_contact_channel(
    df: pd.DataFrame,
    sat_col: str = "SAT_OVERALL",
    nps_col: str | None = "NPS",
    by: Sequence[str] = ("channel",),
    weight: str | None = None,
    min_cell: int = 5,
    threshold: float = 4,
    *,
    dropna: bool = True,
) -> pd.DataFrame:
    """Overall satisfaction (mean, % satisfied) and NPS by the response's contact channel.

    ``by`` are columns of ``df`` (default the response's ``channel``; e.g. ("channel",
    "category") for the grid). Same long format and confidentiality rules as
    :func:`channel_table` (one mask for the three indicators of a cell).
    """
    by = list(by)
    groups = group_codes(df, by, dropna=dropna)
    w_all = weight_column(df, weight)
    sat = answered_cells(numeric_column(df, sat_col), w_all, groups, dont_know_column(df, sat_col))
    parts = [(sat_col, "mean", mean_figures(sat, (1, 5))),
             (sat_col, "satisfied", satisfied_figures(sat, threshold))]
    if nps_col is not None:
        nps_cells = answered_cells(numeric_column(df, nps_col), w_all, groups, dont_know_column(df, nps_col))
        parts.append((nps_col, "nps", nps_figures(nps_cells)))
    out = _long_table(groups, parts)
    return disclosure.suppress(out, min_cell=min_cell, **table_layout(by))
