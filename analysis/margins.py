"""Population margins of a wave, from a CSV ``variable,category,target``: one plain parser.

Pure Python, no Django: the caller says which variables exist and their categories (user
category, channel, single-choice questions) and how many respondents answered each.

Targets are counts or shares, per variable: a variable whose targets are all ≤ 1 is read as
shares, which must sum to 1 ± 0.001; otherwise as counts (any positive total). A file with an
unknown variable or category, a target that is negative or not a number, a repeated row, shares
that do not sum to 1, or a variable nobody answered is refused whole: :class:`MarginsError`
names the line (1-based, the header is line 1) and the field. ``;`` separators (and then decimal
commas) are accepted, as spreadsheets write them in French.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

__all__ = ["MarginsError", "Margins", "margins_parse", "margins_shares", "SHARE_TOLERANCE"]

SHARE_TOLERANCE = 0.001
HEADER = ("variable", "category", "target")


class MarginsError(ValueError):
    """A margins file cannot be used; ``line`` and ``field`` locate the first problem."""

    def __init__(self, message: str, line: int | None = None, field: str | None = None):
        where = ", ".join(p for p in (f"line {line}" if line else "", f"field {field!r}" if field else "") if p)
        super().__init__(f"{where}: {message}" if where else message)
        self.line, self.field, self.reason = line, field, message


@dataclass(frozen=True)
class Margins:
    targets: dict[str, dict[str, float]]  # {variable: {category: target}} in file order
    kinds: dict[str, str] = field(default_factory=dict)  # {variable: "shares" | "counts"}
    lines: dict[str, int] = field(default_factory=dict)  # first line of each variable

    def as_rows(self) -> list[dict]:
        """[{variable, category, target}] in file order (what a run stores)."""
        return [{"variable": v, "category": c, "target": t} for v, cats in self.targets.items() for c, t in cats.items()]


def margins_shares(targets: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    """Targets normalised to shares per variable (what the weighting core works with)."""
    out = {}
    for var, cats in targets.items():
        total = sum(cats.values())
        out[var] = {c: (t / total if total else 0.0) for c, t in cats.items()}
    return out


def _number(raw: str, decimal_comma: bool) -> float:
    text = raw.strip().replace("\u00a0", "").replace(" ", "")
    if decimal_comma:
        text = text.replace(",", ".")
    return float(text)


def _csv_rows(data: str | bytes) -> tuple[list[list[str]], str]:
    """The rows of the file (header checked) and its delimiter."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise MarginsError(f"the file is not UTF-8 text (byte {exc.start})", line=None) from None
    data = data.lstrip("\ufeff")
    first = data.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = list(csv.reader(io.StringIO(data), delimiter=delimiter))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise MarginsError("the file is empty; expected a header variable,category,target", line=1)
    header = tuple(cell.strip().lower() for cell in rows[0])
    if header != HEADER:
        raise MarginsError(f"the header must be {','.join(HEADER)}, got {','.join(rows[0])}", line=1)
    return rows, delimiter


def _margin_row(row: list[str], number: int, allowed: Mapping[str, Sequence[str]],
                seen: Mapping[tuple[str, str], int], decimal_comma: bool) -> tuple[str, str, float]:
    """(variable, category, target) of one data line, checked against ``allowed`` and ``seen``."""
    if len(row) != 3:
        raise MarginsError(f"expected 3 fields (variable, category, target), got {len(row)}", line=number)
    var, cat, raw = (cell.strip() for cell in row)
    if var not in allowed:
        known = ", ".join(sorted(allowed)) or "none"
        raise MarginsError(f"unknown variable {var!r} (known: {known})", line=number, field="variable")
    if cat not in allowed[var]:
        known = ", ".join(map(str, allowed[var])) or "none"
        raise MarginsError(f"unknown category {cat!r} of variable {var!r} (known: {known})",
                           line=number, field="category")
    if (var, cat) in seen:
        raise MarginsError(f"{var}={cat!r} repeats line {seen[var, cat]}", line=number, field="category")
    try:
        target = _number(raw, decimal_comma=decimal_comma)
    except ValueError:
        raise MarginsError(f"target {raw!r} is not a number", line=number, field="target") from None
    if not math.isfinite(target) or target < 0:
        raise MarginsError(f"target must be a non-negative number, got {raw}", line=number, field="target")
    return var, cat, target


def _kind(var: str, cats: Mapping[str, float], last_line: int) -> str:
    """"shares" (all ≤ 1, summing to 1 ± the tolerance) or "counts" (any positive total)."""
    total = sum(cats.values())
    if total <= 0:
        raise MarginsError(f"the targets of variable {var!r} sum to 0", line=last_line, field="target")
    if not all(t <= 1 for t in cats.values()):
        return "counts"
    if abs(total - 1) > SHARE_TOLERANCE:
        raise MarginsError(
            f"the shares of variable {var!r} sum to {total:.6g}, not 1 (± {SHARE_TOLERANCE:g}); "
            "give shares summing to 1 or counts", line=last_line, field="target")
    return "shares"


def margins_parse(
    data: str | bytes,
    allowed: Mapping[str, Sequence[str]],
    answered: Mapping[str, int] | None = None,
) -> Margins:
    """Parse and check a margins CSV against the variables ``allowed`` {variable: categories}.

    ``answered`` {variable: number of respondents with an answer}: a variable at 0 is refused.
    Returns :class:`Margins`; raises :class:`MarginsError` (line, field) on the first problem.
    """
    rows, delimiter = _csv_rows(data)
    targets: dict[str, dict[str, float]] = {}
    seen: dict[tuple[str, str], int] = {}
    lines: dict[str, int] = {}
    last_line: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank line
        var, cat, target = _margin_row(row, number, allowed, seen, decimal_comma=delimiter == ";")
        seen[var, cat] = number
        lines.setdefault(var, number)
        last_line[var] = number
        targets.setdefault(var, {})[cat] = target
    if not targets:
        raise MarginsError("the file has a header but no margin", line=2)
    kinds = {}
    for var, cats in targets.items():
        kinds[var] = _kind(var, cats, last_line[var])
        if answered is not None and answered.get(var, 0) == 0:
            raise MarginsError(f"no respondent of this wave answered variable {var!r}", line=lines[var],
                               field="variable")
    return Margins(targets, kinds, lines)
