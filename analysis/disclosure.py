"""Statistical confidentiality of published tables (loi 51-711, statistical secrecy).

Pure pandas/numpy, no Django import.

**Primary suppression.** A figure is published only if it rests on at least ``min_cell``
unweighted answers (5 is published, 4 is not); checked per indicator (per table row), since
item non-response differs between questions.

**Secondary suppression.** When a table also shows its margins, n·mean and n·p add up across
cells, so a lone hidden cell in a row or a column could be recomputed from the margin. We hide
extra cells until every row and every column holds 0 or ≥ 2 hidden cells. Finding the fewest
extra cells is an integer programme; we use a greedy rule that always terminates with the
property true:

    while some line (row or column) with ≥ 2 cells holds exactly one hidden cell:
        among the visible cells of all such lines, hide the best one, by
        (1) a cell whose crossing line also holds exactly one hidden cell (fixes two lines);
        (2) else a cell whose crossing line needs nothing (it already holds ≥ 2 hidden cells
            or has a single cell) — no new problem is created;
        (3) else any visible cell of the line (its crossing line becomes a problem next turn);
        ties: smallest n first (then table order).

Each turn hides one more cell of a finite table, so the loop ends; when it ends no line with
≥ 2 cells holds exactly one hidden cell (a line with one hidden cell and ≥ 2 cells always has a
visible candidate). A line with a *single cell* is left as is: its margin *is* that cell, so no
cell suppression can protect it — if that cell is hidden, the margin must be hidden too. Those
margins are listed in ``result.attrs["margins_to_hide"]`` as ``(slice key, "row"|"column", key)``.

**One mask per cell.** A cell (the key ``slice_by + by_rows + by_cols``) may carry several
indicators (rows of a long table, or several tables given to :func:`suppress_many`): the cell is
hidden for all of them as soon as one is hidden, so every indicator's table satisfies the rule.

Cells that do not exist at all (no response with that key) are not in the table and are never
used as complements. Slices (e.g. one table per wave, ``slice_by=["wave"]``) are suppressed
independently; linking them (a filter may not show what the unfiltered table hides) is the
caller's job.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["MEASURES", "suppress", "suppress_many", "cell_mask", "secondary_mask"]

#: columns replaced by NaN/<NA> in a suppressed row (plus any passed as ``measures``)
MEASURES = ("n", "n_eff", "value", "ci_low", "ci_high", "se", "p_promoters", "p_detractors",
            "share", "n_cell", "var")


def _as_list(cols) -> list[str]:
    if cols is None:
        return []
    if isinstance(cols, str):
        return [cols]
    return list(cols)


def secondary_mask(
    rows: np.ndarray, cols: np.ndarray, n: np.ndarray, hidden: np.ndarray
) -> np.ndarray:
    """Greedy secondary suppression on one rows × columns grid (see module docstring).

    ``rows``/``cols``: integer row and column index of each cell; ``n``: its size (ties);
    ``hidden``: the primary mask. Returns the final mask (a superset of ``hidden``).
    """
    hidden = np.asarray(hidden, dtype=bool).copy()
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    n = np.asarray(n, dtype=np.float64)
    n = np.where(np.isnan(n), 0.0, n)
    if hidden.size == 0:
        return hidden
    R, C = rows.max() + 1, cols.max() + 1
    row_size = np.bincount(rows, minlength=R)
    col_size = np.bincount(cols, minlength=C)
    order = np.arange(hidden.size)
    while True:
        row_hidden = np.bincount(rows, weights=hidden, minlength=R)
        col_hidden = np.bincount(cols, weights=hidden, minlength=C)
        row_bad = (row_hidden == 1) & (row_size >= 2)
        col_bad = (col_hidden == 1) & (col_size >= 2)
        if not (row_bad.any() or col_bad.any()):
            return hidden
        in_bad_row = row_bad[rows]
        in_bad_col = col_bad[cols]
        candidate = ~hidden & (in_bad_row | in_bad_col)
        # crossing-line status for a candidate picked for its row: its column; and vice versa
        col_ok = (col_hidden >= 2) | (col_size < 2)
        row_ok = (row_hidden >= 2) | (row_size < 2)
        both = in_bad_row & in_bad_col
        harmless = (in_bad_row & col_ok[cols]) | (in_bad_col & row_ok[rows])
        priority = np.where(both, 0, np.where(harmless, 1, 2))
        idx = np.flatnonzero(candidate)
        best = idx[np.lexsort((order[idx], n[idx], priority[idx]))[0]]
        hidden[best] = True


def _describe(key_cols: list[str], values: tuple) -> str:
    return ", ".join(f"{c}={v}" for c, v in zip(key_cols, values))


def cell_mask(
    cells: pd.DataFrame,
    min_cell: int = 5,
    n_col: str = "n",
    by_rows: Sequence[str] | None = None,
    by_cols: Sequence[str] | None = None,
    slice_by: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The suppression mask per cell for a frame of (cell key…, n_col, primary).

    ``cells`` has one row per indicator of a cell (several rows may share a key). Returns one
    row per cell key with ``hidden`` (bool), ``primary`` (bool: some indicator of the cell has
    n < min_cell) and ``reason`` (for secondary cells), plus ``attrs["margins_to_hide"]``.
    """
    rows_k, cols_k, slice_k = _as_list(by_rows), _as_list(by_cols), _as_list(slice_by)
    key_cols = slice_k + rows_k + cols_k
    n = pd.to_numeric(cells[n_col], errors="coerce").astype("float64").fillna(0.0)
    primary_row = (n < min_cell).to_numpy() if min_cell > 0 else np.zeros(len(cells), bool)
    if not key_cols:  # every row is its own cell, no margins: primary only
        out = pd.DataFrame({"hidden": primary_row, "primary": primary_row, "reason": ""})
        out.attrs["margins_to_hide"] = []
        return out
    frame = cells[key_cols].copy()
    frame["_n"] = n.to_numpy()
    frame["_p"] = primary_row
    grouped = frame.groupby(key_cols, observed=True, sort=False, dropna=False)
    agg = grouped.agg(_n=("_n", "max"), _p=("_p", "any")).reset_index()
    hidden = agg["_p"].to_numpy().copy()
    reason = np.full(len(agg), "", dtype=object)
    margins: list[tuple] = []
    if rows_k or cols_k:
        slice_codes = (agg.groupby(slice_k, observed=True, sort=False, dropna=False).ngroup()
                       .to_numpy() if slice_k else np.zeros(len(agg), dtype=np.int64))
        row_codes = (agg.groupby(rows_k, observed=True, sort=False, dropna=False).ngroup()
                     .to_numpy() if rows_k else np.zeros(len(agg), dtype=np.int64))
        col_codes = (agg.groupby(cols_k, observed=True, sort=False, dropna=False).ngroup()
                     .to_numpy() if cols_k else np.zeros(len(agg), dtype=np.int64))
        for s in np.unique(slice_codes):
            idx = np.flatnonzero(slice_codes == s)
            r = np.unique(row_codes[idx], return_inverse=True)[1]
            c = np.unique(col_codes[idx], return_inverse=True)[1]
            before = hidden[idx]
            after = secondary_mask(r, c, agg["_n"].to_numpy()[idx], before)
            hidden[idx] = after
            added = idx[after & ~before]
            for i in added:
                row_desc = _describe(rows_k, tuple(agg.loc[i, rows_k])) if rows_k else ""
                col_desc = _describe(cols_k, tuple(agg.loc[i, cols_k])) if cols_k else ""
                where = " / ".join(d for d in (row_desc, col_desc) if d)
                reason[i] = f"secondary: complementary cell ({where}), protects hidden cells"
            # single-cell lines whose cell is hidden: their margin equals the cell
            slice_key = tuple(agg.loc[idx[0], slice_k]) if slice_k else ()
            # a row margin exists only if there are columns, and vice versa
            for lines, kind, names, other in ((r, "row", rows_k, cols_k),
                                              (c, "column", cols_k, rows_k)):
                if not names or not other:
                    continue
                size = np.bincount(lines)
                for j in np.flatnonzero(size == 1):
                    i = idx[np.flatnonzero(lines == j)[0]]
                    if hidden[i]:
                        margins.append((slice_key, kind, tuple(agg.loc[i, names])))
    out = agg[key_cols].copy()
    out["hidden"] = hidden
    out["primary"] = agg["_p"].to_numpy()
    out["reason"] = reason
    out.attrs["margins_to_hide"] = margins
    return out


def suppress_many(
    tables: Mapping[str, pd.DataFrame],
    min_cell: int = 5,
    n_col: str = "n",
    by_rows: Sequence[str] | None = None,
    by_cols: Sequence[str] | None = None,
    slice_by: Sequence[str] | None = None,
    measures: Sequence[str] = (),
) -> dict[str, pd.DataFrame]:
    """Apply one mask to several indicator tables sharing the same cells.

    Each table has the key columns (``slice_by + by_rows + by_cols``) and ``n_col``. A cell
    hidden in one table (primary) is hidden in all; secondary suppression runs once on the
    union. Returns new tables with ``suppressed`` (bool) and ``suppression_reason``
    ("primary: n < 5", "secondary: ..." or ""), the measure columns (:data:`MEASURES` and
    ``measures``) replaced by NaN (``n`` by <NA>, as nullable Int64) and ``low_precision`` set
    to False where suppressed. ``min_cell=0`` disables suppression.
    """
    key_cols = _as_list(slice_by) + _as_list(by_rows) + _as_list(by_cols)
    for name, t in tables.items():
        missing = [c for c in key_cols + [n_col] if c not in t.columns]
        if missing:
            raise KeyError(f"table {name!r} lacks column(s) {', '.join(map(repr, missing))}")
    names = list(tables)
    if key_cols:
        stacked = pd.concat(
            [tables[k][key_cols + [n_col]] for k in names], ignore_index=True
        ) if names else pd.DataFrame(columns=key_cols + [n_col])
    else:
        stacked = None
    results: dict[str, pd.DataFrame] = {}
    if key_cols:
        mask = cell_mask(stacked, min_cell, n_col, by_rows, by_cols, slice_by)
        margins = mask.attrs.get("margins_to_hide", [])
    for name in names:
        t = tables[name].copy()
        n = pd.to_numeric(t[n_col], errors="coerce").astype("float64").fillna(0.0).to_numpy()
        own_primary = (n < min_cell) if min_cell > 0 else np.zeros(len(t), bool)
        if key_cols:
            m = t[key_cols].merge(mask, on=key_cols, how="left", sort=False)
            hidden = m["hidden"].fillna(False).to_numpy(dtype=bool)
            cell_primary = m["primary"].fillna(False).to_numpy(dtype=bool)
            sec_reason = m["reason"].fillna("").to_numpy(dtype=object)
        else:
            hidden = own_primary
            cell_primary = own_primary
            sec_reason = np.full(len(t), "", dtype=object)
        reason = np.where(
            own_primary,
            f"primary: n < {min_cell}",
            np.where(
                cell_primary,
                f"secondary: another indicator of this cell has n < {min_cell}",
                np.where(hidden, sec_reason, ""),
            ),
        )
        hidden = hidden | own_primary
        for col in list(MEASURES) + list(measures):
            if col not in t.columns:
                continue
            if col in ("n", "n_cell", n_col) and pd.api.types.is_integer_dtype(t[col].dtype):
                t[col] = t[col].astype("Int64").mask(hidden)
            else:
                t[col] = t[col].astype("float64").mask(hidden)
        if "low_precision" in t.columns:
            t["low_precision"] = t["low_precision"].astype(bool) & ~hidden
        t["suppressed"] = hidden
        t["suppression_reason"] = pd.array(reason.astype(str), dtype="str")
        if key_cols:
            t.attrs["margins_to_hide"] = list(margins)
        results[name] = t
    return results


def suppress(
    table: pd.DataFrame,
    min_cell: int = 5,
    n_col: str = "n",
    by_rows: Sequence[str] | None = None,
    by_cols: Sequence[str] | None = None,
    slice_by: Sequence[str] | None = None,
    measures: Sequence[str] = (),
) -> pd.DataFrame:
    """Primary (+ secondary when ``by_rows``/``by_cols`` are given) suppression of one table.

    * neither ``by_rows`` nor ``by_cols``: primary only, row by row (no margins shown);
    * only ``by_rows`` (or only ``by_cols``): a one-way table whose cells form a single line,
      its margin being the overall figure;
    * both: rows × columns with both margins; ``slice_by`` splits independent sub-tables.

    Several rows with the same cell key (long tables: several questions/kinds per cell, or the
    codes of a distribution) share one mask. See :func:`suppress_many` for the columns added.
    """
    return suppress_many({"t": table}, min_cell, n_col, by_rows, by_cols, slice_by,
                         measures)["t"]
