"""Reading an XLSForm workbook with pyxform, and naming where in the sheets a problem is."""

from __future__ import annotations

import re
from collections.abc import Mapping
from io import BytesIO
from pathlib import Path
from typing import Any

from pyxform.errors import PyXFormError
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import get_xlsform

from .xlsform_columns import ROLE

MAX_FILE_BYTES = 5 * 1024 * 1024


class XLSFormError(ValueError):
    """A workbook that cannot be imported: every message names the sheet, row and column."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        super().__init__(self.errors[0])


def where(row: int | None, column: str | None = None, sheet: str = "survey") -> str:
    where = f"{sheet} sheet" + (f", row {row}" if row else "")
    return where + (f', column "{column}"' if column else "")


def read_xlsform(source: str | Path | bytes, filename: str | None = None) -> tuple[Any, dict, str]:
    data = Path(source).read_bytes() if isinstance(source, (str, Path)) else bytes(source)
    if len(data) > MAX_FILE_BYTES:
        raise XLSFormError([f"file too large (at most {MAX_FILE_BYTES // (1024 * 1024)} MB)"])
    stem = Path(filename or (source if isinstance(source, (str, Path)) else "xlsform")).stem
    stem = re.sub(r"[^A-Za-z0-9_-]", "_", stem)[:60].lstrip("-_") or "xlsform"
    try:
        book = get_xlsform(BytesIO(data), file_type=".xlsx")
        tree = workbook_to_json(book, fallback_form_name=stem, warnings=[])
    except PyXFormError as exc:
        raise XLSFormError([f"XLSForm refused by pyxform: {exc}"]) from exc
    mark_or_other(tree)
    return book, tree, stem


def mark_or_other(tree: dict) -> None:
    """Flag the text question pyxform adds after an ``or_other`` select (we add our own, bilingual)."""
    children = tree.get("children", [])
    for i, element in enumerate(children):
        if element.get("children"):
            mark_or_other(element)
        relevant = (element.get("bind") or {}).get("relevant", "")
        if i and element.get("name") == f"{children[i - 1].get('name')}_other" and relevant.startswith("selected(../"):
            element["_or_other_generated"] = True


def locate(error: str, paths: Mapping[str, tuple[str, int | None]]) -> str:
    """``sections[1].questions[0].code: ...`` -> ``survey sheet, row 4, column "name": code: ...``."""
    path, _, message = error.partition(": ")
    best = max((p for p in paths if path == p or path.startswith(p + ".")), key=len, default=None)
    if best is None:
        return error
    sheet, row = paths[best]
    rest = path[len(best) + 1:]
    key = rest.split(".")[0].split("[")[0]
    column = {"code": "name", "text": "label", "help": "hint", "condition": "relevant", "type": "type",
              "choices": "choices", "channel": ROLE["channel"], "categories": ROLE["categories"],
              "threshold": ROLE["threshold"], "title": "label", "intro": "hint"}.get(key)
    return f"{where(row, column, sheet)}: {rest or path}: {message}"


def codes_in(condition: Any) -> set[str]:
    """The question codes a condition looks at (to see whether it looks at its own page)."""
    if not isinstance(condition, Mapping):
        return set()
    found = {condition["question"]} if "question" in condition else set()
    for key in ("all", "any"):
        for part in condition.get(key, []):
            found |= codes_in(part)
    return found | codes_in(condition.get("not"))


def kept_paths(sections: list[dict],
               paths: Mapping[str, tuple[str, int | None]]) -> dict[str, tuple[str, int | None]]:
    """The sheet rows of the document's paths, once the sections left empty are dropped."""
    new_index = {}
    for old, section in enumerate(sections):
        if section["questions"]:
            new_index[old] = len(new_index)
    kept = {}
    for path, place in paths.items():
        old = int(path[len("sections["):path.index("]")])
        if old in new_index:
            kept[f"sections[{new_index[old]}]{path[path.index(']') + 1:]}"] = place
    return kept
