"""Command line: indicators and raking on a CSV file, without Django.

    python -m analysis indicators DATA.csv --score COLUMN --kind {mean,satisfied,nps}
        [--by COL ...] [--weight COL] [--min-cell N] [--threshold K] [--format {json,csv}]
    python -m analysis rake DATA.csv --margins MARGINS.csv [--out OUT.csv]

``indicators`` prints one record per cell: the ``--by`` values, then ``n, n_eff, value, ci_low,
ci_high, suppressed`` (when suppressed, the five numbers are null). JSON is an array of objects,
full precision; CSV has the same columns (empty = null). Suppression: primary (n < min-cell,
default 5; 0 disables) and, with ``--by``, secondary as on a dashboard showing margins — one
``--by`` column is one line whose margin is the overall figure; two are rows × columns; more
slice independent rows × columns tables by the leading columns. Rows whose ``--by`` value is
empty form their own cell (by value null).

``rake`` reads ``MARGINS.csv`` with columns ``variable,category,target`` (shares or counts per
variable) and writes the data unchanged plus a ``weight`` column (mean 1; replaced if present)
to ``--out`` or standard output, with the input's delimiter (and a decimal comma with ``;``).

Files are read as UTF-8 (a BOM is accepted); the delimiter is detected among , ; and tab; with
``;`` a decimal comma is accepted in numeric columns. Errors (unreadable file, missing column,
non-numeric score, negative or missing weight, bad margins, raking that does not converge) print
ONE line on stderr and exit with status 2. Rows are named as "data row N": 1-based, the header
line not counted (so data row N is on line N + 1 of a file without multi-line fields); for the
margins file we say "margins row N" in the same way.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
from typing import Sequence

import numpy as np
import pandas as pd

EXIT_USAGE = 2


class CliError(Exception):
    """An input problem: reported as one line on stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage block
        raise CliError(f"{self.prog}: {message}")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m analysis",
                     description="Survey indicators and weights on a CSV file (no Django).")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    ind = sub.add_parser("indicators", help="one indicator per cell")
    ind.add_argument("data", metavar="DATA.csv")
    ind.add_argument("--score", required=True, metavar="COLUMN")
    ind.add_argument("--kind", required=True, choices=["mean", "satisfied", "nps"])
    ind.add_argument("--by", nargs="+", action="extend", default=[], metavar="COL")
    ind.add_argument("--weight", metavar="COL")
    ind.add_argument("--min-cell", type=int, default=5, metavar="N")
    ind.add_argument("--threshold", type=float, default=4, metavar="K")
    ind.add_argument("--format", choices=["json", "csv"], default="json")

    rk = sub.add_parser("rake", help="raking weights to known margins")
    rk.add_argument("data", metavar="DATA.csv")
    rk.add_argument("--margins", required=True, metavar="MARGINS.csv")
    rk.add_argument("--out", metavar="OUT.csv")
    rk.add_argument("--max-iter", type=int, default=100)
    rk.add_argument("--tol", type=float, default=1e-6)
    return parser


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------
def _read_csv(path: str, what: str = "data") -> tuple[pd.DataFrame, str]:
    """Every cell as a string ("" = empty), and the delimiter."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise CliError(f"{what} file {path!r} not found") from None
    except UnicodeDecodeError as exc:
        raise CliError(f"{what} file {path!r} is not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise CliError(f"cannot read {what} file {path!r}: {exc.strerror}") from None
    header = text.split("\n", 1)[0]
    if not header.strip():
        raise CliError(f"{what} file {path!r} is empty (no header line)")
    sep = max([",", ";", "\t"], key=header.count)
    if header.count(sep) == 0:
        sep = ","
    try:
        df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                         na_filter=False, skip_blank_lines=True)
    except (pd.errors.ParserError, ValueError) as exc:
        msg = " ".join(str(exc).split())
        raise CliError(f"{what} file {path!r} is not valid CSV: {msg}") from None
    header_cells = next(csv.reader([header], delimiter=sep))
    if len(set(header_cells)) != len(header_cells):
        seen, dup = set(), None
        for h in header_cells:
            if h in seen:
                dup = h
                break
            seen.add(h)
        raise CliError(f"{what} file {path!r}: column {dup!r} appears twice in the header")
    return df, sep


def _require(df: pd.DataFrame, col: str, role: str, path: str) -> None:
    if col not in df.columns:
        raise CliError(f"column {col!r} ({role}) not found in {path!r}; "
                       f"columns are: {', '.join(map(str, df.columns))}")


def _to_number(values: pd.Series, sep: str) -> pd.Series:
    s = values.str.strip()
    if sep == ";":
        s = s.str.replace(",", ".", regex=False)
    return pd.to_numeric(s.mask(s == ""), errors="coerce")


def _numeric_column(df: pd.DataFrame, col: str, sep: str, role: str, allow_missing: bool,
                    minimum: float | None = None, maximum: float | None = None) -> np.ndarray:
    raw = df[col]
    numbers = _to_number(raw, sep)
    empty = raw.str.strip() == ""
    values = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~empty.to_numpy() & ~np.isfinite(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise CliError(f"column {col!r} ({role}): non-numeric value {raw.iloc[i]!r} "
                       f"in data row {i + 1}")
    if not allow_missing and empty.any():
        i = int(np.flatnonzero(empty.to_numpy())[0])
        raise CliError(f"column {col!r} ({role}): missing value in data row {i + 1}")
    with np.errstate(invalid="ignore"):
        low = (values < minimum) if minimum is not None else np.zeros(len(values), bool)
        high = (values > maximum) if maximum is not None else np.zeros(len(values), bool)
    out_of_range = low | high
    if out_of_range.any():
        i = int(np.flatnonzero(out_of_range)[0])
        if role == "weight":
            what = "negative weight"
        else:
            what = f"value outside {minimum:g}..{maximum:g}"
        raise CliError(f"column {col!r} ({role}): {what} {raw.iloc[i]!r} in data row {i + 1}")
    return values


# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------
def _json_value(v):
    if v is None or v is pd.NA:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(v) else float(v)
    return v


def _indicators(args) -> int:
    from . import disclosure, indicators

    df, sep = _read_csv(args.data)
    _require(df, args.score, "score", args.data)
    for col in args.by:
        _require(df, col, "--by", args.data)
    if args.weight:
        _require(df, args.weight, "weight", args.data)
    if args.min_cell < 0:
        raise CliError("--min-cell must be 0 or more")
    if len(set(args.by)) != len(args.by):
        raise CliError("--by lists a column twice")

    rng = (0, 10) if args.kind == "nps" else (None, None)
    frame = pd.DataFrame(index=df.index)
    frame["_y"] = _numeric_column(df, args.score, sep, "score", True, *rng)
    weight = None
    if args.weight:
        frame["_w"] = _numeric_column(df, args.weight, sep, "weight", False, minimum=0)
        weight = "_w"
    by_names = [f"_by{i}" for i in range(len(args.by))]
    for name, col in zip(by_names, args.by):
        frame[name] = df[col].mask(df[col].str.strip() == "")  # empty: its own (null) cell

    table = indicators.compute(frame, "_y", args.kind, by=by_names or None, weight=weight,
                               threshold=args.threshold, dropna=False)
    table = disclosure.suppress(table, min_cell=args.min_cell,
                                **indicators.table_layout(by_names))
    table = table.rename(columns=dict(zip(by_names, args.by)))
    columns = list(args.by) + ["n", "n_eff", "value", "ci_low", "ci_high", "suppressed"]
    table = table[columns]
    if args.format == "json":
        records = [
            {c: _json_value(v) for c, v in zip(columns, row)}
            for row in table.itertuples(index=False, name=None)
        ]
        out = "[\n" + ",\n".join(json.dumps(r, ensure_ascii=False, allow_nan=False)
                                 for r in records) + ("\n]\n" if records else "]\n")
        sys.stdout.write(out)
    else:
        table = table.copy()
        table["suppressed"] = table["suppressed"].map({True: "true", False: "false"})
        sys.stdout.write(table.to_csv(index=False, lineterminator="\n",
                                      float_format=None, na_rep=""))
    return 0


def _read_margins(path: str, data: pd.DataFrame, data_path: str, sep_data: str) -> dict:
    m, sep = _read_csv(path, "margins")
    for col in ("variable", "category", "target"):
        if col not in m.columns:
            raise CliError(f"margins file {path!r}: column {col!r} not found "
                           "(expected variable,category,target)")
    margins: dict[str, dict[str, float]] = {}
    targets = _to_number(m["target"], sep)
    for i, (var, cat, raw) in enumerate(zip(m["variable"], m["category"], m["target"])):
        row = i + 1
        var, cat = var.strip(), cat.strip()
        t = targets.iloc[i]
        if not var:
            raise CliError(f"margins file {path!r}: column 'variable' is empty in margins row {row}")
        if var not in data.columns:
            raise CliError(f"margins file {path!r}: variable {var!r} (margins row {row}) "
                           f"is not a column of {data_path!r}")
        if pd.isna(t) or not math.isfinite(t):
            raise CliError(f"margins file {path!r}: column 'target' is not a number "
                           f"({raw!r}) in margins row {row}")
        if t < 0:
            raise CliError(f"margins file {path!r}: column 'target' is negative ({raw!r}) "
                           f"in margins row {row}")
        if cat in margins.setdefault(var, {}):
            raise CliError(f"margins file {path!r}: {var}={cat!r} appears twice "
                           f"(margins row {row})")
        margins[var][cat] = float(t)
    if not margins:
        raise CliError(f"margins file {path!r} has no rows")
    return margins


def _rake(args) -> int:
    from .weighting import WeightingError, rake

    df, sep = _read_csv(args.data)
    margins = _read_margins(args.margins, df, args.data, sep)
    frame = pd.DataFrame({var: df[var].str.strip() for var in margins}, index=df.index)
    try:
        result = rake(frame.mask(frame == ""), margins, max_iter=args.max_iter, tol=args.tol)
    except WeightingError as exc:
        raise CliError(str(exc)) from None
    out = df.copy()
    out["weight"] = result.weights.to_numpy()
    text = out.to_csv(index=False, lineterminator="\n", sep=sep,
                      decimal="," if sep == ";" else ".")
    if args.out:
        try:
            with open(args.out, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        except OSError as exc:
            raise CliError(f"cannot write {args.out!r}: {exc.strerror}") from None
    else:
        sys.stdout.write(text)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = _build_parser()
        args = parser.parse_args(argv)
        if args.command == "indicators":
            return _indicators(args)
        return _rake(args)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: still one line, never a traceback
        print(f"error: internal error ({type(exc).__name__}: {exc})".replace("\n", " "),
              file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
