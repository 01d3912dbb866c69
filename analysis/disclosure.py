"""Statistical confidentiality of published tables (loi 51-711, statistical secrecy).

Pure pandas/numpy, no Django import. Cells are numbered by :func:`analysis.cells.group_codes`,
as for the indicators, so a cell is the same thing in a figure and in its mask.

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

from .cells import as_list, group_codes  # the same cell numbering as the indicators

__all__ = ["MEASURES", "suppress", "suppress_many", "cell_mask", "secondary_mask"]

#: columns replaced by NaN/<NA> in a suppressed row (plus any passed as ``measures``)
MEASURES = ("n", "n_eff", "value", "ci_low", "ci_high", "se", "p_promoters", "p_detractors",
            "share", "n_cell", "var", "n_dont_know", "dont_know_share")


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


def _describe(key_cols: list[str], values: Sequence) -> str:
    return ", ".join(f"{c}={v}" for c, v in zip(key_cols, values))


def _codes(frame: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """Integer id per row of ``frame`` for the combination of ``cols`` (missing is a value)."""
    if not cols:
        return np.zeros(len(frame), dtype=np.int64)
    return group_codes(frame, cols, dropna=False).codes


def _slices(keys: pd.DataFrame, rows_k: list[str], cols_k: list[str], slice_k: list[str]):
    """Each independent sub-table: its cells (indices into ``keys``), their row and column."""
    slice_codes = _codes(keys, slice_k)
    row_codes = _codes(keys, rows_k)
    col_codes = _codes(keys, cols_k)
    for s in np.unique(slice_codes):
        idx = np.flatnonzero(slice_codes == s)
        r = np.unique(row_codes[idx], return_inverse=True)[1]
        c = np.unique(col_codes[idx], return_inverse=True)[1]
        yield idx, r, c


def _complement_reason(keys: pd.DataFrame, i: int, rows_k: list[str], cols_k: list[str]) -> str:
    parts = [_describe(names, keys.loc[i, names]) for names in (rows_k, cols_k) if names]
    return f"secondary: complementary cell ({' / '.join(parts)}) protecting a hidden cell"


def _lone_margins(keys: pd.DataFrame, idx: np.ndarray, r: np.ndarray, c: np.ndarray,
                  hidden: np.ndarray, rows_k: list[str], cols_k: list[str],
                  slice_k: list[str]) -> list[tuple]:
    """Margins of single-cell lines whose cell is hidden: such a margin *is* the cell.

    A row margin exists only if there are columns, and vice versa.
    """
    slice_key = tuple(keys.loc[idx[0], slice_k]) if slice_k else ()
    out = []
    for lines, kind, names, other in ((r, "row", rows_k, cols_k), (c, "column", cols_k, rows_k)):
        if not names or not other:
            continue
        size = np.bincount(lines)
        for j in np.flatnonzero(size == 1):
            i = idx[np.flatnonzero(lines == j)[0]]
            if hidden[i]:
                out.append((slice_key, kind, tuple(keys.loc[i, names])))
    return out


def _cell_mask(
    frame: pd.DataFrame,
    n: np.ndarray,
    primary_row: np.ndarray,
    rows_k: list[str],
    cols_k: list[str],
    slice_k: list[str],
) -> tuple[np.ndarray, pd.DataFrame, np.ndarray, np.ndarray, np.ndarray, list]:
    """Cell id of each row, and per cell: keys, hidden, primary, reason; margins to hide."""
    groups = group_codes(frame, slice_k + rows_k + cols_k, dropna=False)
    cell, keys, G = groups.codes, groups.keys, groups.ngroups
    cell_n = np.zeros(G)
    np.maximum.at(cell_n, cell, n)  # a cell's size for ties: its largest indicator n
    primary = np.bincount(cell, weights=primary_row, minlength=G) > 0
    hidden = primary.copy()
    reason = np.full(G, "", dtype=object)
    margins: list[tuple] = []
    if (rows_k or cols_k) and G:
        for idx, r, c in _slices(keys, rows_k, cols_k, slice_k):
            before = hidden[idx]
            if not before.any():
                continue
            after = secondary_mask(r, c, cell_n[idx], before)
            hidden[idx] = after
            for i in idx[after & ~before]:
                reason[i] = _complement_reason(keys, i, rows_k, cols_k)
            margins += _lone_margins(keys, idx, r, c, hidden, rows_k, cols_k, slice_k)
    return cell, keys, hidden, primary, reason, margins


def cell_mask(
    cells: pd.DataFrame,
    min_cell: int = 5,
    n_col: str = "n",
    by_rows: Sequence[str] | None = None,
    by_cols: Sequence[str] | None = None,
    slice_by: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The suppression mask per cell of a (long) table.

    ``cells`` has one row per indicator of a cell (several rows may share a key). Returns one
    row per cell key with ``hidden`` (bool), ``primary`` (bool: some indicator of the cell has
    n < min_cell) and ``reason`` (for secondary cells), plus ``attrs["margins_to_hide"]``.
    """
    rows_k, cols_k, slice_k = as_list(by_rows), as_list(by_cols), as_list(slice_by)
    n = _n_values(cells, n_col)
    primary_row = _primary(n, min_cell)
    _, keys, hidden, primary, reason, margins = _cell_mask(
        cells, n, primary_row, rows_k, cols_k, slice_k)
    out = keys.copy()
    out["hidden"] = hidden
    out["primary"] = primary
    out["reason"] = reason
    out.attrs["margins_to_hide"] = margins
    return out


def _n_values(t: pd.DataFrame, n_col: str) -> np.ndarray:
    n = pd.to_numeric(t[n_col], errors="coerce")
    return n.to_numpy(dtype=np.float64, na_value=np.nan)


def _primary(n: np.ndarray, min_cell: int) -> np.ndarray:
    if min_cell <= 0:
        return np.zeros(n.shape, dtype=bool)
    return ~(n >= min_cell)  # a missing n counts as 0


def _check_columns(tables: Mapping[str, pd.DataFrame], needed: list[str]) -> None:
    for name, t in tables.items():
        missing = [c for c in needed if c not in t.columns]
        if missing:
            raise KeyError(f"table {name!r} lacks column(s) {', '.join(map(repr, missing))}")


def _row_masks(tables: Mapping[str, pd.DataFrame], n_all: list, primary_all: list,
               rows_k: list[str], cols_k: list[str], slice_k: list[str]):
    """Per table, per row: (hidden, its cell's primary flag, secondary reason); the margins.

    One mask for the union of the tables' cells; with no key column each row is its own cell.
    """
    names = list(tables)
    key_cols = slice_k + rows_k + cols_k
    if not (key_cols and names):
        return [(p, p, np.full(len(p), "", dtype=object)) for p in primary_all], []
    frames = [tables[k][key_cols] for k in names]
    stacked = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    cell, _, hidden_c, primary_c, reason_c, margins = _cell_mask(
        stacked, np.concatenate(n_all), np.concatenate(primary_all), rows_k, cols_k, slice_k)
    bounds = np.cumsum([0] + [len(tables[k]) for k in names])
    masks = []
    for j, own_primary in enumerate(primary_all):
        cid = cell[bounds[j]:bounds[j + 1]]
        masks.append((hidden_c[cid] | own_primary, primary_c[cid], reason_c[cid]))
    return masks, margins


def _reasons(own_primary: np.ndarray, cell_primary: np.ndarray, hidden: np.ndarray,
             sec_reason: np.ndarray, min_cell: int) -> np.ndarray:
    return np.where(
        own_primary,
        f"primary: n < {min_cell}",
        np.where(cell_primary,
                 f"secondary: another indicator of this cell has n < {min_cell}",
                 np.where(hidden, sec_reason, "")),
    )


def _masked(table: pd.DataFrame, hidden: np.ndarray, reason: np.ndarray,
            measures: Sequence[str], margins: list) -> pd.DataFrame:
    """A copy of ``table`` with the hidden rows' measures blanked and the suppression columns."""
    t = table.copy()
    for col in list(MEASURES) + list(measures):
        if col not in t.columns:
            continue
        if pd.api.types.is_integer_dtype(t[col].dtype):  # counts: nullable, stay integers
            t[col] = t[col].astype("Int64")
        elif not pd.api.types.is_float_dtype(t[col].dtype):
            t[col] = t[col].astype("float64")
        if hidden.any():
            t[col] = t[col].mask(hidden)
    if "low_precision" in t.columns:
        t["low_precision"] = t["low_precision"].astype(bool) & ~hidden
    t["suppressed"] = hidden
    t["suppression_reason"] = pd.array(reason.astype(str), dtype="str")
    t.attrs["margins_to_hide"] = list(margins)
    return t


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
    ``measures``) replaced by NaN (integer ``n`` columns become nullable Int64 with <NA>) and
    ``low_precision`` set to False where suppressed. ``min_cell=0`` disables suppression.
    With no key columns each row is its own cell (primary suppression only).
    """
    rows_k, cols_k, slice_k = as_list(by_rows), as_list(by_cols), as_list(slice_by)
    _check_columns(tables, slice_k + rows_k + cols_k + [n_col])
    n_all = [_n_values(t, n_col) for t in tables.values()]
    primary_all = [_primary(n, min_cell) for n in n_all]
    masks, margins = _row_masks(tables, n_all, primary_all, rows_k, cols_k, slice_k)
    results: dict[str, pd.DataFrame] = {}
    for (name, table), own_primary, (hidden, cell_primary, sec_reason) in zip(
            tables.items(), primary_all, masks):
        reason = _reasons(own_primary, cell_primary, hidden, sec_reason, min_cell)
        results[name] = _masked(table, hidden, reason, measures, margins)
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
