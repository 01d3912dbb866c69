"""Exports: microdata for authorised analysts, the codebook, and suppressed indicator tables.

**What microdata may contain.** An explicit allow-list, built from the questionnaire: the wave,
category and channel codes, the weight, and one column per question code (``CODE__choice`` for a
multiple choice, ``CODE__item`` for a matrix item) — see :func:`allowed_columns`. Anything else
the analysis frame may carry (response ids, timestamps, a participant link...) is dropped, so no
email, participant id, token, IP address or user agent can leave through an export (those are not
in the answers' tables in the first place; the allow-list keeps it so). Rows are numbered 1…n in
the file, not identified by the database id.

**Spreadsheets.** Text cells starting with ``= + - @`` or a tab / carriage return are prefixed with
``'`` in CSV and XLSX so a spreadsheet never runs them as formulas (CWE-1236); characters XLSX
cannot store (control characters) are removed. CSV is UTF-8 with a byte-order mark (Excel reads
the accents right), comma-separated, one header line.

**SPSS / Stata.** Variable names are made valid (letters, digits, ``_``; a letter first; ≤ 32
characters; unique; not a Stata reserved word) — the codebook maps each one to its question code.
Category, channel, wave and single-choice codes become integers 1…k with value labels;
multiple-choice columns 0/1 (non/oui); satisfaction scores keep their 1–5 values with labels.

Every export is recorded with :func:`surveys.models.audit` (who, when, which survey, format and
row count — never any data) by the caller (view or command).
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from surveys.services.spreadsheets import FORMULA_START, csv_bytes, neutralise, neutralise_frame

from . import xlsx_stream
from .codebook import codebook_json, codebook_markdown, codebook_rows  # noqa: F401 - part of the exports API
from .dont_know import DK_CHOICE, DK_CODE, DK_LABEL, STATA_DK

__all__ = [
    "FORMATS",
    "MICRODATA_FORMATS",
    "FORMULA_START",
    "neutralise",
    "neutralise_frame",
    "csv_bytes",
    "xlsx_bytes",
    "allowed_columns",
    "Microdata",
    "microdata",
    "render_microdata",
    "codebook_json",
    "codebook_markdown",
    "variable_name",
]

MICRODATA_FORMATS = ("csv", "xlsx", "parquet", "sav", "dta", "codebook-json", "codebook-md")
FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "parquet": ("application/vnd.apache.parquet", "parquet"),
    "sav": ("application/x-spss-sav", "sav"),
    "dta": ("application/x-stata-dta", "dta"),
    "codebook-json": ("application/json", "codebook.json"),
    "codebook-md": ("text/markdown; charset=utf-8", "codebook.md"),
}
XLSX_MAX_ROWS = 1_048_575  # one header line
STATA_MAX_STR = 2045
BASE_COLUMNS = ("wave", "category", "channel", "weight")
VERSION_COLUMN = "questionnaire_version"  # issue 18: added by analysis.break_data.add_version_column

SATISFACTION_LABELS = {1: "Très insatisfait", 2: "Plutôt insatisfait", 3: "Ni satisfait ni insatisfait",
                       4: "Plutôt satisfait", 5: "Très satisfait"}
YES_NO = {0: "Non", 1: "Oui"}

# Stata reserved words (manual [U] 11.3) and a few system names
STATA_RESERVED = frozenset("""_all _b byte _coef _cons double float if in int long _n _N _pi _pred
_rc _skip strL using with""".split()) | {f"str{i}" for i in range(1, 2046)}

class TooManyRows(ValueError):
    """The data does not fit the format (XLSX holds at most 1,048,576 rows)."""


# --------------------------------------------------------------------------------------------
# Formula injection and spreadsheets
# --------------------------------------------------------------------------------------------
# The one rule and the one CSV writer live in surveys.services.spreadsheets (FORMULA_START, neutralise,
# neutralise_frame, csv_bytes are re-exported here).


def xlsx_bytes(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """An XLSX workbook, one sheet per frame (neutralised text cells)."""
    for df in sheets.values():
        if len(df) > XLSX_MAX_ROWS:
            raise TooManyRows(f"{len(df)} lignes : plus que ce qu'un fichier XLSX peut contenir "
                              f"({XLSX_MAX_ROWS}) ; choisissez CSV, Parquet, SPSS ou Stata.")
    buf = io.BytesIO()
    xlsx_stream.write_workbook(buf, {name[:31]: neutralise_frame(df, xlsx=True) for name, df in sheets.items()})
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# Microdata
# --------------------------------------------------------------------------------------------
@dataclass
class Variable:
    """One column of the microdata file and its codebook entry."""

    name: str  # column name in the export (valid for SPSS and Stata)
    source: str  # column of the analysis frame
    question: str = ""  # question code ("" for wave/category/channel/weight)
    item: str = ""  # choice or matrix item code
    type: str = ""
    label: str = ""
    text_en: str = ""
    value_labels: dict = field(default_factory=dict)  # code (as exported) → label
    codes: dict = field(default_factory=dict)  # original code → integer (sav/dta)
    dont_know: bool = False  # DK_CODE is its don't-know (user-missing in SPSS, .d in Stata)

    def as_dict(self) -> dict:
        return {"name": self.name, "column": self.source, "question": self.question, "item": self.item,
                "type": self.type, "label": self.label, "label_en": self.text_en,
                "values": {str(k): v for k, v in self.value_labels.items()},
                "codes": {str(k): v for k, v in self.codes.items()},
                "dont_know": ({"code": DK_CODE, "choice": DK_CHOICE if self.type == "single" else None,
                               "spss": "user-missing", "stata": f".{STATA_DK}"} if self.dont_know else None)}


@dataclass
class Microdata:
    data: pd.DataFrame  # columns = the original frame names (allow-listed), in order
    variables: list[Variable]
    survey: str = ""
    waves: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        return len(self.data)


def variable_name(name: str, taken: set[str], limit: int = 32) -> str:
    """A valid SPSS/Stata name for ``name``: [A-Za-z_0-9], a letter first, ≤ ``limit``, unique."""
    clean = re.sub(r"[^A-Za-z0-9_]", "_", name)
    clean = re.sub(r"_+", "_", clean).strip("_") or "v"
    if not clean[0].isalpha():
        clean = "v_" + clean
    clean = clean[:limit].rstrip("_") or "v"
    candidate, i = clean, 1
    while candidate.lower() in {t.lower() for t in taken} or candidate in STATA_RESERVED:
        suffix = f"_{i}"
        candidate = clean[:limit - len(suffix)] + suffix
        i += 1
    taken.add(candidate)
    return candidate


def allowed_columns(questions: Sequence) -> list[tuple[str, object, str]]:
    """(frame column, question, item) of every column an export may hold, in questionnaire order.

    ``questions``: objects with ``code``, ``type`` and ``choices`` ((code, label_fr, label_en)…).
    """
    cols: list[tuple[str, object, str]] = [(c, None, "") for c in BASE_COLUMNS]
    cols.append((VERSION_COLUMN, None, ""))  # issue 18: the questionnaire version answered
    for q in questions:
        if q.type in ("multiple", "matrix"):
            cols += [(f"{q.code}__{code}", q, code) for code, _fr, _en in q.choices]
        else:
            cols.append((q.code, q, ""))
    return cols


def microdata(frame: pd.DataFrame, questions: Sequence, *, labels: Mapping[str, Mapping] | None = None,
              survey: str = "", waves: Sequence[str] = ()) -> Microdata:
    """The allow-listed columns of ``frame`` with their codebook (see the module docstring).

    ``labels``: {"wave"|"category"|"channel": {code: label}} for value labels.
    """
    labels = labels or {}
    taken: set[str] = set()
    keep, variables = [], []
    for col, q, item in allowed_columns(questions):
        if col not in frame.columns:
            continue
        keep.append(col)
        var = Variable(name=variable_name(col, taken), source=col)
        if q is None:
            var.type = "weight" if col == "weight" else "code"
            var.label = {"wave": "Vague", "category": "Catégorie d'utilisateurs", "channel": "Canal de contact",
                         "weight": "Poids"}[col]
            if col != "weight":
                present = [c for c in pd.unique(frame[col].astype(object)) if _present(c)]
                ordered = list(labels.get(col, {})) + sorted(str(c) for c in present
                                                             if c not in labels.get(col, {}))
                var.codes = {code: i + 1 for i, code in enumerate(dict.fromkeys(ordered))}
                var.value_labels = {i: str(labels.get(col, {}).get(code, code)) for code, i in var.codes.items()}
        else:
            choice_labels = {code: fr for code, fr, _en in q.choices}
            var.question, var.item, var.type = q.code, item, q.type
            var.label = q.text_fr + (f" : {choice_labels.get(item, item)}" if item else "")
            var.text_en = (q.text_en or "") + (f" : {item}" if item and q.text_en else "")
            if q.type == "multiple":
                var.value_labels = dict(YES_NO)
            elif q.type in ("satisfaction", "matrix"):
                var.value_labels = dict(SATISFACTION_LABELS)
            elif q.type == "single":
                var.codes = {code: i + 1 for i, (code, _fr, _en) in enumerate(q.choices)}
                var.value_labels = {i: choice_labels[code] for code, i in var.codes.items()}
                var.codes[DK_CHOICE] = DK_CODE
            if q.type in ("satisfaction", "scale", "nps", "matrix", "single"):  # the types offering it
                var.dont_know = True
                var.value_labels[DK_CODE] = DK_LABEL
        variables.append(var)
    data = frame[keep].reset_index(drop=True)
    return Microdata(data=data, variables=variables, survey=survey, waves=tuple(waves))


def _present(v) -> bool:
    return not (v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)))


def _plain(md: Microdata) -> pd.DataFrame:
    """Codes as text, booleans as 0/1, export names; the row number first."""
    out = {"row": np.arange(1, md.rows + 1, dtype=np.int64)}
    for var in md.variables:
        s = md.data[var.source]
        if pd.api.types.is_bool_dtype(s.dtype) or var.type == "multiple":
            out[var.name] = s.astype("boolean").astype("Int8") if len(s) else s.astype("Int8")
        elif isinstance(s.dtype, pd.CategoricalDtype) or s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            out[var.name] = s.astype(object).where(s.notna(), None)
        else:
            out[var.name] = s
    return pd.DataFrame(out)


def _numeric_coded(md: Microdata, *, stata: bool) -> tuple[pd.DataFrame, dict, dict]:
    """Frame for SPSS/Stata: coded columns as numbers; (frame, column labels, value labels)."""
    out = {"row": np.arange(1, md.rows + 1, dtype=np.float64)}
    col_labels = {"row": "Numéro de ligne"}
    value_labels: dict[str, dict] = {}
    limit = 80 if stata else 255
    for var in md.variables:
        s = md.data[var.source]
        if var.codes:
            mapped = s.astype(object).map(var.codes)  # a dict lookup in C; missing and unknown → NaN
            out[var.name] = pd.to_numeric(mapped, errors="coerce").astype(np.float64)
        elif var.type == "multiple" or pd.api.types.is_bool_dtype(s.dtype):
            out[var.name] = s.astype("boolean").astype("Float64").astype(np.float64)
        elif pd.api.types.is_numeric_dtype(s.dtype):
            out[var.name] = s.astype(np.float64)
        else:
            text = s.astype(object).where(s.notna(), "").map(str)
            if stata:
                text = text.map(lambda t: t.encode("utf-8")[:STATA_MAX_STR].decode("utf-8", "ignore"))
            out[var.name] = text
        col_labels[var.name] = var.label[:limit]
        if var.value_labels:
            value_labels[var.name] = {float(k) if stata else k: v[:limit] if stata else v
                                      for k, v in var.value_labels.items() if not (stata and k == DK_CODE)}
        if stata and var.dont_know:  # Stata's extended missing value .d
            column = out[var.name]
            out[var.name] = column.astype(object).where(column != DK_CODE, STATA_DK)
    return pd.DataFrame(out), col_labels, value_labels


def _dont_know_vars(md: Microdata) -> list[str]:
    return [v.name for v in md.variables if v.dont_know]


def _via_file(writer, suffix: str) -> bytes:
    fd, path = tempfile.mkstemp(suffix=suffix)
    os.close(fd)
    try:
        writer(path)
        with open(path, "rb") as fh:
            return fh.read()
    finally:
        os.unlink(path)


def render_microdata(md: Microdata, fmt: str) -> bytes:
    """The file of ``md`` in format ``fmt`` (one of :data:`MICRODATA_FORMATS`)."""
    if fmt == "csv":
        return csv_bytes(_plain(md))
    if fmt == "xlsx":
        return xlsx_bytes({"donnees": _plain(md), "codebook": codebook_rows(md)})
    if fmt == "parquet":
        buf = io.BytesIO()
        _plain(md).to_parquet(buf, index=False)
        return buf.getvalue()
    if fmt == "sav":
        import pyreadstat

        df, col_labels, value_labels = _numeric_coded(md, stata=False)
        return _via_file(lambda p: pyreadstat.write_sav(
            df, p, file_label=md.survey[:64], column_labels=col_labels, variable_value_labels=value_labels,
            missing_ranges={name: [DK_CODE] for name in _dont_know_vars(md)}), ".sav")
    if fmt == "dta":
        import pyreadstat

        df, col_labels, value_labels = _numeric_coded(md, stata=True)
        return _via_file(lambda p: pyreadstat.write_dta(
            df, p, file_label=md.survey[:80], column_labels=col_labels, variable_value_labels=value_labels,
            missing_user_values={name: [STATA_DK] for name in _dont_know_vars(md)}), ".dta")
    if fmt == "codebook-json":
        return codebook_json(md)
    if fmt == "codebook-md":
        return codebook_markdown(md)
    raise ValueError(f"unknown format {fmt!r}")


# --------------------------------------------------------------------------------------------
# Indicator tables (suppression already applied)
# --------------------------------------------------------------------------------------------
INDICATOR_FORMATS = ("csv", "xlsx")


def indicator_tables_bytes(tables: Mapping[str, pd.DataFrame], fmt: str) -> bytes:
    """Suppressed indicator tables: one XLSX sheet each, or one long CSV with a ``tableau`` column."""
    if fmt == "xlsx":
        return xlsx_bytes({name: export_ready(t) for name, t in tables.items()})
    if fmt == "csv":
        frames = [export_ready(t).assign(tableau=name) for name, t in tables.items()]
        long = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        if len(long.columns):
            long = long[["tableau"] + [c for c in long.columns if c != "tableau"]]
        return csv_bytes(long)
    raise ValueError(f"unknown format {fmt!r}")


#: columns never published: which hidden cells are primary (fewer than k answers) and which are
#: complements would tell which cells are small (the "secret" mark is the same for both)
UNPUBLISHED_COLUMNS = ("suppression_reason",)


def export_ready(t: pd.DataFrame) -> pd.DataFrame:
    """A suppressed table as published (CSV/XLSX): plain codes, no suppression reasons."""
    out = t.drop(columns=[c for c in UNPUBLISHED_COLUMNS if c in t.columns])
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(object)
    return out


def ensure_no_hidden_values(tables: Iterable[pd.DataFrame]) -> None:
    """Guard: a suppressed row must carry no figure (raises AssertionError otherwise)."""
    from .disclosure import MEASURES

    for t in tables:
        if "suppressed" not in t.columns or not len(t):
            continue
        hidden = t["suppressed"].fillna(True).to_numpy(dtype=bool)
        for col in MEASURES:
            if col in t.columns and t.loc[hidden, col].notna().any():
                raise AssertionError(f"suppressed cells carry values in column {col!r}")
