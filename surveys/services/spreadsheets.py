"""Cells and CSV files for spreadsheets: the one formula-neutralising rule and the one CSV writer
of the platform (participants' status, microdata, indicator tables, open data, themes, the
``export_responses`` command).

**The rule** (CWE-1236): a *text* cell starting with ``= + - @``, a tab or a carriage return is
prefixed with ``'`` so a spreadsheet never runs it as a formula; numbers, negative ones included,
stay numbers; column names are text. The rule is idempotent (``'=x`` does not start with a formula
character), so a frame may go through it twice. Why here: surveys is the lowest room that writes
CSV (the fieldwork list), and analysis, publications, verbatims and api may import surveys, never
the reverse.
"""

from __future__ import annotations

import io
import re

import pandas as pd

__all__ = ["FORMULA_START", "ILLEGAL_XLSX", "neutralise", "neutralise_frame", "csv_text", "csv_bytes"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters XLSX cannot store


def neutralise(value):
    """``'`` in front of a text a spreadsheet would read as a formula; other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _is_text(s: pd.Series) -> bool:
    return s.dtype == object or pd.api.types.is_string_dtype(s.dtype) or isinstance(s.dtype, pd.CategoricalDtype)


def neutralise_frame(df: pd.DataFrame, xlsx: bool = False) -> pd.DataFrame:
    """A copy of ``df`` whose text cells (and column names) are neutralised; with ``xlsx``, the
    characters an XLSX file cannot hold are removed first."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if _is_text(s):
            values = s.astype(object)
            values = values.map(lambda v: neutralise(ILLEGAL_XLSX.sub("", v) if xlsx and isinstance(v, str) else v))
            out[col] = values
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def csv_text(df: pd.DataFrame, *, sep: str = ",", bom: bool = True, lineterminator: str = "\r\n",
             neutral: bool = True) -> str:
    """The one CSV writer: ``df`` without its index, text cells neutralised (unless ``neutral`` is
    off, for a CSV that is fed to the platform's own importer, never opened in a spreadsheet),
    missing cells empty, a byte-order mark for spreadsheets (Excel reads the accents right)."""
    buf = io.StringIO()
    (neutralise_frame(df) if neutral else df).to_csv(buf, index=False, sep=sep, lineterminator=lineterminator,
                                                     na_rep="")
    return ("\ufeff" if bom else "") + buf.getvalue()


def csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV for spreadsheets: UTF-8 with BOM, comma-separated, CRLF, neutralised text cells, no index."""
    return csv_text(df).encode("utf-8")
