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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

# numpy/pandas are imported only once the arguments and the CSV headers are known to be good,
# so that such mistakes are reported at once.
if TYPE_CHECKING:
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
@dataclass
class _Csv:
    path: str
    what: str  # "data" or "margins", for messages
    text: str
    sep: str
    header: list[str]

    def require(self, col: str, role: str) -> None:
        if col not in self.header:
            raise CliError(f"column {col!r} ({role}) not found in {self.path!r}; "
                           f"columns are: {', '.join(self.header)}")

    def frame(self) -> "pd.DataFrame":
        """Every cell as a string ("" = empty)."""
        import pandas as pd

        try:
            return pd.read_csv(io.StringIO(self.text), sep=self.sep, dtype=str,
                               keep_default_na=False, na_filter=False, skip_blank_lines=True)
        except (pd.errors.ParserError, ValueError) as exc:
            msg = " ".join(str(exc).split())
            raise CliError(f"{self.what} file {self.path!r} is not valid CSV: {msg}") from None


def _read_csv(path: str, what: str = "data") -> _Csv:
    """The file's text, its delimiter (, ; or tab, from the header line) and header cells."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise CliError(f"{what} file {path!r} not found") from None
    except UnicodeDecodeError as exc:
        raise CliError(f"{what} file {path!r} is not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise CliError(f"cannot read {what} file {path!r}: {exc.strerror}") from None
    first = text.split("\n", 1)[0].rstrip("\r")
    if not first.strip():
        raise CliError(f"{what} file {path!r} is empty (no header line)")
    sep = max([",", ";", "\t"], key=first.count)
    if first.count(sep) == 0:
        sep = ","
    header = next(csv.reader([first], delimiter=sep))
    seen: set[str] = set()
    for h in header:
        if h in seen:
            raise CliError(f"{what} file {path!r}: column {h!r} appears twice in the header")
        seen.add(h)
    return _Csv(path, what, text, sep, header)


def _without_dont_know(raw: "pd.Series") -> "pd.Series":
    """The don't-know code of an exported score column (99, analysis.dont_know) read as missing:
    excluded from the denominator. Only in a score column (every other value within 0..10)."""
    from .dont_know import DK_CODE

    stripped = raw.fillna("").str.strip()
    dk = stripped == str(DK_CODE)
    if not dk.any():
        return raw
    import pandas as pd

    others = pd.to_numeric(stripped[~dk & (stripped != "")], errors="coerce")
    if others.isna().any() or not others.between(0, 10).all():
        return raw
    return raw.mask(dk, "")


def _numeric_column(df: "pd.DataFrame", col: str, sep: str, role: str, allow_missing: bool,
                    minimum: float | None = None, maximum: float | None = None) -> "np.ndarray":
    """Parse a column of strings as numbers; the first bad row is reported (1-based)."""
    import numpy as np
    import pandas as pd

    raw = df[col]
    stripped = raw.str.strip()
    if sep == ";":  # French CSV: decimal comma
        stripped = stripped.str.replace(",", ".", regex=False)
    empty = (stripped == "").to_numpy()
    values = pd.to_numeric(stripped.mask(stripped == ""), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan)
    bad = ~empty & ~np.isfinite(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise CliError(f"column {col!r} ({role}): non-numeric value {raw.iloc[i]!r} "
                       f"in data row {i + 1}")
    if not allow_missing and empty.any():
        i = int(np.flatnonzero(empty)[0])
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


def _number(text: str, sep: str) -> float | None:
    text = text.strip()
    if sep == ";":
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _read_margins(path: str, data: _Csv) -> dict[str, dict[str, float]]:
    """variable,category,target rows → {variable: {category: target}} (checked row by row)."""
    src = _read_csv(path, "margins")
    for col in ("variable", "category", "target"):
        if col not in src.header:
            raise CliError(f"margins file {path!r}: column {col!r} not found "
                           "(expected variable,category,target)")
    margins: dict[str, dict[str, float]] = {}
    reader = csv.DictReader(io.StringIO(src.text), delimiter=src.sep)
    for row_number, rec in enumerate(reader, start=1):
        var = (rec.get("variable") or "").strip()
        cat = (rec.get("category") or "").strip()
        raw = rec.get("target") or ""
        where = f"margins row {row_number}"
        if not var:
            raise CliError(f"margins file {path!r}: column 'variable' is empty in {where}")
        if var not in data.header:
            raise CliError(f"margins file {path!r}: variable {var!r} ({where}) "
                           f"is not a column of {data.path!r}")
        target = _number(raw, src.sep)
        if target is None:
            raise CliError(f"margins file {path!r}: column 'target' is not a number "
                           f"({raw!r}) in {where}")
        if target < 0:
            raise CliError(f"margins file {path!r}: column 'target' is negative ({raw!r}) "
                           f"in {where}")
        if cat in margins.setdefault(var, {}):
            raise CliError(f"margins file {path!r}: {var}={cat!r} appears twice ({where})")
        margins[var][cat] = target
    if not margins:
        raise CliError(f"margins file {path!r} has no rows")
    return margins


# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------
def _json_value(v):
    import numpy as np
    import pandas as pd

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
    if args.min_cell < 0:
        raise CliError("--min-cell must be 0 or more")
    if len(set(args.by)) != len(args.by):
        raise CliError("--by lists a column twice")
    src = _read_csv(args.data)
    src.require(args.score, "score")
    for col in args.by:
        src.require(col, "--by")
    if args.weight:
        src.require(args.weight, "weight")

    import pandas as pd

    from . import disclosure, indicators

    df = src.frame()
    df[args.score] = _without_dont_know(df[args.score])
    rng = (0, 10) if args.kind == "nps" else (None, None)
    frame = pd.DataFrame(index=df.index)
    frame["_y"] = _numeric_column(df, args.score, src.sep, "score", True, *rng)
    weight = None
    if args.weight:
        frame["_w"] = _numeric_column(df, args.weight, src.sep, "weight", False, minimum=0)
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
        body = ",\n".join(json.dumps(r, ensure_ascii=False, allow_nan=False) for r in records)
        sys.stdout.write("[\n" + body + "\n]\n" if records else "[]\n")
    else:
        table = table.copy()
        table["suppressed"] = table["suppressed"].map({True: "true", False: "false"})
        sys.stdout.write(table.to_csv(index=False, lineterminator="\n", na_rep=""))
    return 0


def _rake(args) -> int:
    src = _read_csv(args.data)
    margins = _read_margins(args.margins, src)

    import pandas as pd

    from .weighting import WeightingError, rake

    df = src.frame()
    frame = pd.DataFrame({var: df[var].str.strip() for var in margins}, index=df.index)
    try:
        result = rake(frame.mask(frame == ""), margins, max_iter=args.max_iter, tol=args.tol)
    except WeightingError as exc:
        raise CliError(str(exc)) from None
    out = df.copy()
    out["weight"] = result.weights.to_numpy()
    text = out.to_csv(index=False, lineterminator="\n", sep=src.sep,
                      decimal="," if src.sep == ";" else ".")
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
        args = _build_parser().parse_args(argv)
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
