"""Display conditions as rows a designer fills in, and back: the JSON stays the storage, never the interface.

A designer describes a condition as rows (question, operator, value or values), combined by "all"
or "any", the whole optionally negated. `rows_to_condition` builds the `surveys.logic` JSON from
those rows; `condition_to_rows` reads a stored condition back into rows, or answers None when the
condition has a shape rows cannot show (nested groups written by hand or imported): the workbench
then shows it in words (`describe`) and leaves it alone unless the designer replaces it.

Operator "in" ("est parmi") and "not_in" ("n'est pas parmi", stored as ``{"not": {... "in" ...}}``)
take codes separated by commas; the comparisons take one number (a decimal comma is accepted).
Whether the codes exist and the question comes earlier is `services.validation`'s job, as for an import.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..logic import OPERATORS

IN, NOT_IN = "in", "not_in"
OPERATOR_CHOICES = [
    (IN, gettext_lazy("est parmi")), (NOT_IN, gettext_lazy("n'est pas parmi")),
    ("==", gettext_lazy("est égal à")), ("!=", gettext_lazy("est différent de")),
    ("<", gettext_lazy("est inférieur à")), ("<=", gettext_lazy("est inférieur ou égal à")),
    (">", gettext_lazy("est supérieur à")), (">=", gettext_lazy("est supérieur ou égal à")),
]
MODES = ("all", "any")
_SPLIT = re.compile(r"[,;]")


@dataclass
class Row:
    """One line of the builder: the question's code, an operator of OPERATOR_CHOICES, the value as typed."""

    question: str
    op: str
    value: str


@dataclass
class Rows:
    """A condition as the builder shows it: rows joined by `mode` ("all"/"any"), `negate` for "not"."""

    rows: list[Row] = field(default_factory=list)
    mode: str = "all"
    negate: bool = False


class RowError(ValueError):
    """A row that cannot become a condition; `.index` is the row's position (0-based)."""

    def __init__(self, index: int, message: str, field: str = "value") -> None:
        super().__init__(message)
        self.index = index
        self.field = field


def _number_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace(".", ",") if isinstance(value, float) else str(value)


def _leaf_row(leaf: Any) -> Row | None:
    if not isinstance(leaf, Mapping):
        return None
    negated = set(leaf) == {"not"}
    inner = leaf["not"] if negated else leaf
    if not isinstance(inner, Mapping) or not isinstance(inner.get("question"), str):
        return None
    if set(inner) == {"question", "in"} and isinstance(inner["in"], list):
        return Row(inner["question"], NOT_IN if negated else IN, ", ".join(str(v) for v in inner["in"]))
    if not negated and set(inner) == {"question", "op", "value"} and inner["op"] in OPERATORS:
        return Row(inner["question"], inner["op"], _number_text(inner["value"]))
    return None


def condition_to_rows(condition: Any) -> Rows | None:
    """The builder's rows for a stored condition (empty rows for none); None if rows cannot show it."""
    if not condition:
        return Rows()
    row = _leaf_row(condition)
    if row is not None:
        return Rows([row])
    negate = isinstance(condition, Mapping) and set(condition) == {"not"}
    group = condition["not"] if negate else condition
    if not isinstance(group, Mapping) or len(group) != 1:
        return None
    mode = next(iter(group))
    if mode not in MODES or not isinstance(group[mode], list):
        return None
    rows = [_leaf_row(part) for part in group[mode]]
    if not rows or any(r is None for r in rows):
        return None
    return Rows(rows, mode, negate)


def _parse_number(text: str) -> int | float:
    number = float(text.replace(" ", "").replace("\u202f", "").replace(",", "."))
    if number != number or abs(number) > 1e12:
        raise ValueError(text)
    return int(number) if number.is_integer() else number


def row_to_leaf(row: Row, index: int = 0) -> dict[str, Any]:
    """One row as a `surveys.logic` condition; RowError says what is missing or malformed."""
    if row.op in (IN, NOT_IN):
        codes = [c.strip() for c in _SPLIT.split(row.value or "") if c.strip()]
        if not codes:
            raise RowError(index, _("Indiquez au moins une valeur (codes séparés par des virgules)."))
        leaf: dict[str, Any] = {"question": row.question, "in": codes}
        return {"not": leaf} if row.op == NOT_IN else leaf
    if row.op not in OPERATORS:
        raise RowError(index, _("Opérateur inconnu."))
    try:
        value = _parse_number((row.value or "").strip())
    except ValueError:
        raise RowError(index, _("Une comparaison demande un nombre.")) from None
    return {"question": row.question, "op": row.op, "value": value}


def rows_to_condition(rows: Rows) -> dict[str, Any] | None:
    """The condition the rows describe (None when no row names a question), in the stored grammar."""
    leaves = []
    for i, row in enumerate(rows.rows):
        if row.question:
            leaves.append(row_to_leaf(row, i))
        elif (row.value or "").strip():
            raise RowError(i, _("Choisissez la question de cette ligne (ou videz sa valeur)."), "question")
    if not leaves:
        return None
    condition = leaves[0] if len(leaves) == 1 else {rows.mode if rows.mode in MODES else "all": leaves}
    return {"not": condition} if rows.negate else condition


def describe(condition: Any) -> str:
    """A condition in words, for the outline and for conditions the rows cannot show."""
    if not condition:
        return ""
    if not isinstance(condition, Mapping):
        return str(condition)
    for mode, word in (("all", _(" et ")), ("any", _(" ou "))):
        if mode in condition and isinstance(condition[mode], list):
            return "(" + word.join(describe(part) for part in condition[mode]) + ")"
    if "not" in condition:
        return _("non %(condition)s") % {"condition": describe(condition["not"])}
    row = _leaf_row(condition)
    if row is None:
        return str(condition)
    label = dict(OPERATOR_CHOICES).get(row.op, row.op)
    return f"{row.question} {label} {row.value}"
