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

Implementation: the cells are numbered once (``group_codes``) and every sum is an
``np.bincount`` over those codes — there is no Python loop per cell, so a table for a million
responses takes milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

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
]

#: the 0.975 quantile of the standard normal (methodology: z = 1.959964);
#: = scipy.special.ndtri(0.975), written out so that importing this module does not load scipy
Z: float = 1.959963984540054

#: indicator kinds accepted by :func:`compute`
KINDS = ("mean", "satisfied", "nps")

#: low-precision rule: n below this, or a CI half-width above ``LOW_PRECISION_HALF_WIDTH`` points
LOW_PRECISION_N = 30
LOW_PRECISION_HALF_WIDTH = 10.0

#: NPS bands on the 0–10 recommendation scale
NPS_PROMOTER_MIN = 9
NPS_DETRACTOR_MAX = 6

# Above this many possible key combinations, cells are numbered with np.unique (a sort)
# instead of a dense bincount over the cartesian product.
_DENSE_LIMIT = 1 << 22


# --------------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Groups:
    """The cells of a table: ``codes[i]`` is the cell of row i (-1: in no cell)."""

    codes: np.ndarray
    keys: pd.DataFrame  # one row per cell, the ``by`` columns, index 0..ngroups-1
    has_missing: bool = False  # some rows are in no cell (codes == -1)

    @property
    def ngroups(self) -> int:
        return len(self.keys)


def _as_list(by: str | Iterable[str] | None) -> list[str]:
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def _factorize(s: pd.Series, dropna: bool) -> tuple[np.ndarray, object, int]:
    """Integer codes (-1 = missing), something to rebuild the key values from, cardinality."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes = s.cat.codes.to_numpy().astype(np.int64, copy=False)
        k = len(s.cat.categories)
        rebuild: object = s.dtype
    else:
        codes, uniques = pd.factorize(s, sort=True, use_na_sentinel=True)
        codes = codes.astype(np.int64, copy=False)
        k = len(uniques)
        rebuild = uniques
    if not dropna and (codes < 0).any():
        codes = np.where(codes < 0, k, codes)
        k += 1  # the last code stands for "missing"
    return codes, rebuild, k


def _key_values(rebuild: object, codes: np.ndarray, name: str) -> pd.Series:
    if isinstance(rebuild, pd.CategoricalDtype):
        k = len(rebuild.categories)
        codes = np.where(codes >= k, -1, codes)
        return pd.Series(pd.Categorical.from_codes(codes, dtype=rebuild), name=name)
    uniques = pd.Index(rebuild)
    k = len(uniques)
    missing = codes >= k
    out = pd.Series(uniques.take(np.where(missing, 0, codes)), name=name)
    if missing.any():
        out = out.where(~missing)
    return out


def group_codes(df: pd.DataFrame, by: str | Sequence[str] | None, dropna: bool = True) -> Groups:
    """Number the observed cells of ``df`` by ``by`` (sorted like ``groupby(sort=True)``)."""
    cols = _as_list(by)
    n_rows = len(df)
    if not cols:
        return Groups(np.zeros(n_rows, dtype=np.int64), pd.DataFrame(index=pd.RangeIndex(1)))
    for col in cols:
        if col not in df.columns:
            raise KeyError(f"column {col!r} not found")
    parts = [_factorize(df[col], dropna) for col in cols]
    shape = tuple(max(k, 1) for _, _, k in parts)
    valid = np.ones(n_rows, dtype=bool)
    for codes, _, _ in parts:
        valid &= codes >= 0
    all_valid = bool(valid.all())
    combined = np.zeros(n_rows, dtype=np.int64)
    for codes, _, k in parts:  # mixed radix, first column most significant
        combined *= max(k, 1)
        combined += codes if all_valid else np.where(codes >= 0, codes, 0)
    total_f = float(np.prod(shape, dtype=np.float64))
    if total_f >= 2.0 ** 62:  # the mixed-radix code would overflow int64
        raise ValueError(f"too many combinations of {', '.join(cols)} to tabulate")
    total = int(total_f)
    if total <= _DENSE_LIMIT:
        present = np.bincount(combined[valid], minlength=total) > 0
        observed = np.flatnonzero(present)
        lookup = np.full(total, -1, dtype=np.int64)
        lookup[observed] = np.arange(observed.size)
        out = lookup[combined]
        if not all_valid:
            out[~valid] = -1
    else:
        observed, inverse = np.unique(combined[valid], return_inverse=True)
        out = np.full(n_rows, -1, dtype=np.int64)
        out[valid] = inverse
    key_codes = np.unravel_index(observed, shape) if observed.size else [
        np.zeros(0, dtype=np.int64) for _ in cols
    ]
    keys = pd.concat(
        [_key_values(rebuild, np.asarray(kc), col) for (_, rebuild, _), kc, col in
         zip(parts, key_codes, cols)],
        axis=1,
    )
    keys.index = pd.RangeIndex(len(keys))
    return Groups(out, keys, not all_valid)


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------
def _numeric(df: pd.DataFrame, col: str) -> np.ndarray:
    if col not in df.columns:
        raise KeyError(f"column {col!r} not found")
    s = df[col]
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
        return s.to_numpy(dtype=np.float64, na_value=np.nan)
    try:
        return pd.to_numeric(s, errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"column {col!r} is not numeric") from exc


def _weights(
    df: pd.DataFrame, weight: str | None, answered: np.ndarray | None = None
) -> np.ndarray | None:
    """The weights (validated: finite where used, ≥ 0), or None when unweighted."""
    if weight is None:
        return None
    w = _numeric(df, weight)
    check = ~np.isfinite(w) if answered is None else (~np.isfinite(w) & answered)
    if check.any():
        raise ValueError(f"column {weight!r} has a missing or infinite weight")
    if (w < 0).any():
        raise ValueError(f"column {weight!r} has a negative weight")
    if w.size and w[0] > 0 and (w == w[0]).all():
        return None  # equal weights give the unweighted figures: skip the weighted sums
    return w


class _Cells:
    """Answers restricted to rows in a cell with a non-missing answer.

    ``w is None`` means unweighted (all weights 1), which skips the weighted sums.
    The sizes (n, W, n_eff) are computed once and shared by the indicators of a question.
    """

    __slots__ = ("y", "w", "c", "G", "_sizes")

    def __init__(self, y: np.ndarray, w: np.ndarray | None, c: np.ndarray, G: int):
        self.y, self.w, self.c, self.G = y, w, c, G
        self._sizes = None

    def sum(self, values: np.ndarray | None = None) -> np.ndarray:
        """Σ values per cell (a count when values is None)."""
        return np.bincount(self.c, weights=values, minlength=self.G)

    def wsum(self, values: np.ndarray) -> np.ndarray:
        """Σ w·values per cell."""
        return self.sum(values if self.w is None else self.w * values)

    def sizes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """n, W = Σw, n_eff = W²/Σw² (Kish)."""
        if self._sizes is None:
            n = np.bincount(self.c, minlength=self.G)
            if self.w is None:
                W = n.astype(np.float64)
                n_eff = np.where(n > 0, W, np.nan)
            else:
                W = self.sum(self.w)
                W2 = self.sum(self.w * self.w)
                with np.errstate(invalid="ignore", divide="ignore"):
                    n_eff = np.where(W2 > 0, W * W / np.where(W2 > 0, W2, 1.0), np.nan)
            self._sizes = (n, W, n_eff)
        return self._sizes


def _cells(y: np.ndarray, w: np.ndarray | None, groups: Groups) -> _Cells:
    ok = ~np.isnan(y)
    if groups.has_missing:
        ok &= groups.codes >= 0
    idx = np.flatnonzero(ok)  # flatnonzero + take is several times faster than y[ok]
    return _Cells(y.take(idx), None if w is None else w.take(idx), groups.codes.take(idx),
                  groups.ngroups)


def _frame(groups: Groups, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.concat([groups.keys, pd.DataFrame(columns, index=groups.keys.index)], axis=1)


def _low_precision(n: np.ndarray, half_width_points: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        wide = ~(half_width_points <= LOW_PRECISION_HALF_WIDTH)  # NaN -> wide
    return (n < LOW_PRECISION_N) | wide


# --------------------------------------------------------------------------------------------
# Core formulas on prepared cells (shared by the public functions and the tables)
# --------------------------------------------------------------------------------------------
def _t_quantile(df: np.ndarray, q: float = 0.975) -> np.ndarray:
    """Student t quantile t(q, df), vectorised (scipy.special: lighter than scipy.stats)."""
    from scipy import special

    return special.stdtrit(df, q)


def _mean_core(cells: _Cells, scale: tuple[float, float]) -> dict[str, np.ndarray]:
    n, W, n_eff = cells.sizes()
    with np.errstate(invalid="ignore", divide="ignore"):
        ybar = cells.wsum(cells.y) / W
        # two passes (deviations from the cell mean) so that equal answers give exactly 0
        dev = cells.y - ybar.take(cells.c)
        if cells.w is not None:
            dev *= cells.w
        q = cells.sum(dev * dev)
        v = np.where(n >= 2, n / np.maximum(n - 1, 1) * q / (W * W), np.nan)
        se = np.sqrt(v)
        t = _t_quantile(np.where(n >= 2, n - 1, np.nan))
        half = t * se
    lo, hi = scale
    points = 100.0 / (hi - lo)
    return {
        "n": n,
        "n_eff": n_eff,
        "value": ybar,
        "ci_low": ybar - half,
        "ci_high": ybar + half,
        "se": se,
        "low_precision": _low_precision(n, half * points),
    }


def _wilson(p: np.ndarray, m: np.ndarray, z: float = Z) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion p with (effective) size m, clipped to [0, 1]."""
    with np.errstate(invalid="ignore", divide="ignore"):
        z2 = z * z
        denom = 1.0 + z2 / m
        centre = (p + z2 / (2.0 * m)) / denom
        half = z * np.sqrt(p * (1.0 - p) / m + z2 / (4.0 * m * m)) / denom
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def _satisfied_core(cells: _Cells, threshold: float) -> dict[str, np.ndarray]:
    n, W, n_eff = cells.sizes()
    hit = (cells.y >= threshold).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = cells.wsum(hit) / W
        se = np.sqrt(p * (1.0 - p) / n_eff)
    low, high = _wilson(p, n_eff)
    return {
        "n": n,
        "n_eff": n_eff,
        "value": 100.0 * p,
        "ci_low": 100.0 * low,
        "ci_high": 100.0 * high,
        "se": 100.0 * se,
        "low_precision": _low_precision(n, 100.0 * (high - low) / 2.0),
    }


def _nps_core(cells: _Cells) -> dict[str, np.ndarray]:
    if cells.y.size and ((cells.y < 0) | (cells.y > 10)).any():
        raise ValueError("NPS answers must lie on the 0-10 scale")
    n, W, n_eff = cells.sizes()
    promoter = (cells.y >= NPS_PROMOTER_MIN).astype(np.float64)
    detractor = (cells.y <= NPS_DETRACTOR_MAX).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_p = cells.wsum(promoter) / W
        p_d = cells.wsum(detractor) / W
        diff = p_p - p_d
        # adjusted Wald (Rocks 2016): add 3/4 promoter, 3/4 detractor (and 3/2 passive)
        m = n_eff
        pt_p = (p_p * m + 0.75) / (m + 3.0)
        pt_d = (p_d * m + 0.75) / (m + 3.0)
        c = pt_p - pt_d
        half = Z * np.sqrt((pt_p + pt_d - c * c) / (m + 3.0))
        low = np.clip(100.0 * (c - half), -100.0, 100.0)
        high = np.clip(100.0 * (c + half), -100.0, 100.0)
        # plain Wald standard error, the one used to compare waves
        se = 100.0 * np.sqrt(np.maximum(p_p + p_d - diff * diff, 0.0) / m)
    return {
        "n": n,
        "n_eff": n_eff,
        "value": 100.0 * diff,
        "ci_low": low,
        "ci_high": high,
        "se": se,
        "p_promoters": p_p,
        "p_detractors": p_d,
        "low_precision": _low_precision(n, (high - low) / 2.0),
    }


def _prepare(df, score, by, weight, dropna) -> tuple[_Cells, Groups]:
    groups = group_codes(df, by, dropna=dropna)
    y = _numeric(df, score)
    w = _weights(df, weight, answered=~np.isnan(y))
    return _cells(y, w, groups), groups


# --------------------------------------------------------------------------------------------
# Public indicators
# --------------------------------------------------------------------------------------------
def mean_score(
    df: pd.DataFrame,
    score: str,
    by: str | Sequence[str] | None = None,
    weight: str | None = None,
    *,
    scale: tuple[float, float] = (1, 5),
    dropna: bool = True,
) -> pd.DataFrame:
    """Mean score ȳ = Σwy/W with a t interval on the linearised variance.

    v = n/(n−1) · Σ w²(y − ȳ)² / W² (= s²/n unweighted); CI = ȳ ± t(0.975, n−1)·√v.
    n = 0: value NaN; n = 1: value defined, CI and se NaN.
    Columns: by…, n, n_eff, value, ci_low, ci_high, se, low_precision.
    ``scale`` (min, max of the answer scale) only serves the low-precision rule.
    """
    cells, groups = _prepare(df, score, by, weight, dropna)
    return _frame(groups, _mean_core(cells, scale))


def pct_satisfied(
    df: pd.DataFrame,
    score: str,
    by: str | Sequence[str] | None = None,
    weight: str | None = None,
    threshold: float = 4,
    *,
    dropna: bool = True,
) -> pd.DataFrame:
    """% satisfied (top-2-box: answer ≥ ``threshold``), 0–100, Wilson interval on n_eff.

    Columns: by…, n, n_eff, value, ci_low, ci_high, se (Wald, for wave tests), low_precision.
    """
    cells, groups = _prepare(df, score, by, weight, dropna)
    return _frame(groups, _satisfied_core(cells, threshold))


def nps(
    df: pd.DataFrame,
    score: str,
    by: str | Sequence[str] | None = None,
    weight: str | None = None,
    *,
    dropna: bool = True,
) -> pd.DataFrame:
    """Net Promoter Score 100·(p_P − p_D), adjusted-Wald CI (m = n_eff) clipped to ±100.

    Columns: by…, n, n_eff, value, ci_low, ci_high, se (plain Wald, used by wave tests),
    p_promoters, p_detractors (0–1), low_precision. Answers outside 0–10 raise ValueError.
    """
    cells, groups = _prepare(df, score, by, weight, dropna)
    return _frame(groups, _nps_core(cells))


def distribution(
    df: pd.DataFrame,
    score: str,
    by: str | Sequence[str] | None = None,
    weight: str | None = None,
    *,
    codes: Sequence[float] | None = None,
    dropna: bool = True,
) -> pd.DataFrame:
    """Weighted share of each answer code, long format (for stacked bars).

    Columns: by…, code, share (0–1; each cell's shares sum to 1), n (answers with that code),
    n_cell (answers in the cell — the count to check for confidentiality:
    ``disclosure.suppress(table, n_col="n_cell", ...)``). Every cell lists every code (observed
    ones, or ``codes``), zeros included, so bars line up. Answers not in ``codes`` are ignored.
    """
    cells, groups = _prepare(df, score, by, weight, dropna)
    if codes is None:
        code_values = np.unique(cells.y)
    else:
        code_values = np.asarray(sorted(codes), dtype=np.float64)
    K = code_values.size
    idx = np.searchsorted(code_values, cells.y)
    idx_c = np.minimum(idx, max(K - 1, 0))
    known = (idx < K) & (code_values[idx_c] == cells.y) if K else np.zeros(cells.y.size, bool)
    flat = cells.c[known] * K + idx[known]
    size = groups.ngroups * K
    counts = np.bincount(flat, minlength=size)
    w_known = None if cells.w is None else cells.w[known]
    wsum = np.bincount(flat, weights=w_known, minlength=size).astype(np.float64)
    n_cell = np.bincount(cells.c[known], minlength=groups.ngroups)
    W = np.bincount(cells.c[known], weights=w_known, minlength=groups.ngroups).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = wsum / np.repeat(W, K)
    out = groups.keys.loc[np.repeat(np.arange(groups.ngroups), K)].reset_index(drop=True)
    whole = np.all(code_values == np.round(code_values))
    out["code"] = np.tile(code_values.astype(np.int64) if whole else code_values, groups.ngroups)
    out["share"] = share
    out["n"] = counts
    out["n_cell"] = np.repeat(n_cell, K)
    return out


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


def index_0_100(mean: float | np.ndarray | pd.Series, scale: tuple[float, float] = (1, 5)):
    """Index 0–100 of a mean on a (min, max) scale: (ȳ − min)/(max − min)·100."""
    lo, hi = scale
    return (mean - lo) / (hi - lo) * 100.0


# --------------------------------------------------------------------------------------------
# Headline tables (with confidentiality applied)
# --------------------------------------------------------------------------------------------
def table_layout(by: Sequence[str]) -> dict[str, list[str] | None]:
    """How a table by ``by`` is laid out for secondary suppression.

    One column: a single line whose margin is the overall figure. Two columns: rows × columns
    with both margins. More: the leading columns slice independent rows × columns tables.
    """
    by = list(by)
    if not by:
        return {"by_rows": None, "by_cols": None, "slice_by": None}
    if len(by) == 1:
        return {"by_rows": by, "by_cols": None, "slice_by": None}
    return {"by_rows": [by[-2]], "by_cols": [by[-1]], "slice_by": by[:-2] or None}


def _default_kinds(question: dict) -> list[str]:
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


def _core(kind: str, cells: _Cells, question: dict) -> dict[str, np.ndarray]:
    if kind == "mean":
        scale = question.get("scale") or ((0, 10) if question.get("type") == "scale" else (1, 5))
        return _mean_core(cells, tuple(scale))
    if kind == "satisfied":
        return _satisfied_core(cells, question.get("threshold", 4) or 4)
    if kind == "nps":
        return _nps_core(cells)
    raise ValueError(f"unknown indicator kind {kind!r}; expected one of {', '.join(KINDS)}")


_TABLE_COLUMNS = ["question", "kind", "n", "n_eff", "value", "ci_low", "ci_high", "se",
                  "p_promoters", "p_detractors", "low_precision"]


def _long_table(groups: Groups, parts: list[tuple[str, str, dict]], extra: dict | None = None,
                key_order: Sequence[str] | None = None) -> pd.DataFrame:
    """Stack (question, kind, columns) parts of G rows each into one long frame, built once.

    ``extra`` maps a key column name to one value per part (e.g. the question's channel).
    """
    G, P = groups.ngroups, len(parts)
    take = np.tile(np.arange(G), P)
    out = groups.keys.take(take).reset_index(drop=True)
    for name, per_part in (extra or {}).items():
        values = list(dict.fromkeys(per_part))
        codes = np.repeat(np.array([values.index(v) for v in per_part], dtype=np.int64), G)
        out[name] = pd.Categorical.from_codes(codes, categories=values)
    for name in ("question", "kind"):
        labels = [part[0] if name == "question" else part[1] for part in parts]
        values = list(dict.fromkeys(labels))
        codes = np.repeat(np.array([values.index(v) for v in labels], dtype=np.int64), G)
        out[name] = pd.Categorical.from_codes(codes, categories=values)
    columns = {}
    for col in _TABLE_COLUMNS[2:]:
        if col == "low_precision":
            chunks = [part[2][col] for part in parts]
        else:
            chunks = [part[2].get(col, np.full(G, np.nan)) for part in parts]
        dtype = {"n": np.int64, "low_precision": bool}.get(col, np.float64)
        columns[col] = (np.concatenate(chunks).astype(dtype, copy=False) if chunks
                        else np.zeros(0, dtype=dtype))
    out = pd.concat([out, pd.DataFrame(columns)], axis=1)
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
    p_promoters, p_detractors, low_precision, suppressed, suppression_reason (``channel``,
    ``question`` and ``kind`` are Categorical, in the order of ``questions``). Confidentiality
    is applied to the channel × category grid (both margins exist on the dashboard): primary per
    indicator (n < ``min_cell``) and secondary, with one mask for all indicators of a cell.
    ``min_cell=0`` disables suppression.
    """
    from . import disclosure  # imported here: disclosure itself imports this module

    by = list(by)
    if "channel" not in by:
        raise ValueError("channel_table needs 'channel' in by")
    data_by = [b for b in by if b != "channel"]
    groups = group_codes(df, data_by, dropna=dropna)
    w_all = _weights(df, weight)
    parts, channels = [], []
    for q in questions:
        cells = _cells(_numeric(df, q["code"]), w_all, groups)
        for kind in _default_kinds(q):
            parts.append((q["code"], kind, _core(kind, cells, q)))
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
    from . import disclosure

    by = list(by)
    groups = group_codes(df, by, dropna=dropna)
    w_all = _weights(df, weight)
    sat = _cells(_numeric(df, sat_col), w_all, groups)
    parts = [(sat_col, "mean", _mean_core(sat, (1, 5))),
             (sat_col, "satisfied", _satisfied_core(sat, threshold))]
    if nps_col is not None:
        parts.append((nps_col, "nps", _nps_core(_cells(_numeric(df, nps_col), w_all, groups))))
    out = _long_table(groups, parts)
    return disclosure.suppress(out, min_cell=min_cell, **table_layout(by))
