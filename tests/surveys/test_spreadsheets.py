"""One CSV writer and one formula-neutralising rule for every CSV the platform writes."""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd

from surveys.services.spreadsheets import csv_bytes, csv_text, neutralise

ROOT = Path(__file__).resolve().parents[2]
APPS = ("surveys", "analysis", "publications", "jobs", "verbatims", "api")


def test_text_cells_that_a_spreadsheet_would_run_get_a_quote_numbers_stay_numbers():
    frame = pd.DataFrame({"t": ["=1+1", "-2", "+a", "@b", "\tc", "\rd", "ok", "'=x", None], "n": [-1.5] * 9})
    text = csv_text(frame, bom=False, lineterminator="\n")
    assert text.splitlines()[1:4] == ["'=1+1,-1.5", "'-2,-1.5", "'+a,-1.5"]
    assert "'@b," in text and "'\tc," in text and "ok,-1.5" in text and "\n,-1.5\n" in text
    assert "''=x" not in text  # idempotent: a neutralised cell is not quoted twice
    assert neutralise(-3) == -3 and neutralise("-3") == "'-3"


def test_the_spreadsheet_csv_has_a_bom_crlf_and_neutralised_column_names():
    data = csv_bytes(pd.DataFrame({"=a": ["x"]}))
    assert data == "\ufeff'=a\r\nx\r\n".encode("utf-8")


def test_a_csv_for_the_importer_is_left_as_written():
    frame = pd.DataFrame({"email": ["=a@x.org"]}, dtype=object)
    assert csv_text(frame, bom=False, neutral=False) == "email\r\n=a@x.org\r\n"


def test_no_other_module_writes_csv_or_defines_the_formula_characters():
    offenders = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts or path.name == "spreadsheets.py":
                continue
            source = path.read_text(encoding="utf-8")
            tree = ast.parse(source)
            for node in ast.walk(tree):
                if isinstance(node, ast.Attribute) and node.attr in ("writer", "DictWriter") \
                        and isinstance(node.value, ast.Name) and node.value.id == "csv":
                    offenders.append(f"{path.relative_to(ROOT)}: csv.{node.attr}")
                if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "FORMULA_START"
                                                        for t in node.targets):
                    offenders.append(f"{path.relative_to(ROOT)}: FORMULA_START")
    assert offenders == []
