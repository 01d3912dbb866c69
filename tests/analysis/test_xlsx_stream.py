"""The streamed XLSX writer reads back cell for cell (pandas/openpyxl as the independent reader)."""

from __future__ import annotations

import io

import numpy as np
import openpyxl
import pandas as pd

from analysis import exports, xlsx_stream


def test_column_letters():
    assert [xlsx_stream.column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702)] == \
        ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"]


def test_values_read_back_across_row_blocks(monkeypatch):
    monkeypatch.setattr(xlsx_stream, "BLOCK_ROWS", 3)  # 7 rows: three blocks
    df = pd.DataFrame({
        "score": [1.0, np.nan, 3.5, 4.0, np.inf, 2.0, 5.0],
        "count": pd.array([1, None, 3, 4, 5, 6, 7], dtype="Int8"),
        "flag": [True, False, True, False, True, False, True],
        "text": [" lead", "a & b <c>", None, "trail ", "ok", "=1+1", "é"],
        "code": pd.Categorical(["x", "y", "x", None, "y", "x", "y"]),
    })
    buf = io.BytesIO()
    xlsx_stream.write_workbook(buf, {"données": df, "empty": df.iloc[:0]})
    wb = openpyxl.load_workbook(io.BytesIO(buf.getvalue()))
    assert wb.sheetnames == ["données", "empty"]
    rows = list(wb["données"].iter_rows(values_only=True))
    assert rows[0] == ("score", "count", "flag", "text", "code")
    assert [r[0] for r in rows[1:]] == [1.0, None, 3.5, 4.0, None, 2.0, 5.0]  # inf left out
    assert [r[1] for r in rows[1:]] == [1, None, 3, 4, 5, 6, 7]
    assert [r[2] for r in rows[1:]] == [True, False, True, False, True, False, True]
    assert [r[3] for r in rows[1:]] == [" lead", "a & b <c>", None, "trail ", "ok", "=1+1", "é"]
    assert [r[4] for r in rows[1:]] == ["x", "y", "x", None, "y", "x", "y"]
    assert list(wb["empty"].iter_rows(values_only=True)) == [("score", "count", "flag", "text", "code")]
    back = pd.read_excel(io.BytesIO(buf.getvalue()), sheet_name="données")
    assert back["flag"].tolist() == df["flag"].tolist()


def test_xlsx_bytes_writes_text_never_formulas():
    content = exports.xlsx_bytes({"t": pd.DataFrame({"v": ["=HYPERLINK(\"x\")", "+1", "plain"]})})
    wb = openpyxl.load_workbook(io.BytesIO(content))
    cells = [c for row in wb["t"].iter_rows(min_row=2) for c in row]
    assert [c.value for c in cells] == ["'=HYPERLINK(\"x\")", "'+1", "plain"]
    assert all(c.data_type == "s" for c in cells)
