"""Build small XLSForm workbooks in tests (openpyxl), so each refusal is shown by a file made for it."""

from __future__ import annotations

from pathlib import Path

import openpyxl

FR, EN = "label::Français (fr)", "label::English (en)"
DATA = Path(__file__).resolve().parent.parent / "data" / "xlsform"


def write_book(path: Path, survey: list[list], choices: list[list] | None = None,
               settings: list[list] | None = None, extra: dict[str, list[list]] | None = None) -> Path:
    """Write the sheets (first row = headers) to `path` and return it."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in (("survey", survey), ("choices", choices), ("settings", settings), *(extra or {}).items()):
        if rows is None:
            continue
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path
