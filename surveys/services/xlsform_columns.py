"""What an Écoute questionnaire needs beyond plain XLSForm, shared by the XLSForm import and export.

Extra columns of the ``survey`` sheet (pyxform passes unknown columns through, so the file stays a
valid XLSForm):

- ``ecoute_role``: ``satisfaction`` (a ``select_one`` with the choices 1 to 5), ``scale`` or ``nps``
  (0 to 10) on a question; ``matrix`` on a ``begin group`` whose rows are ``select_one`` 1-to-5
  questions named ``<group>__<item>``;
- ``ecoute_channel``: the code of the contact channel the question rates;
- ``ecoute_categories``: the user categories a question or a group is for (codes, space-separated);
- ``ecoute_threshold``: the lowest "satisfied" score of a scored question.

A choice named ``nsp`` in a question's list is Écoute's "don't know" (``allow_dont_know``).

The ``ecoute`` sheet (ignored by pyxform) carries the rest of the survey, one row per item, with the
columns ``kind``, ``code``, ``label::Français (fr)``, ``label::English (en)``, ``value``: ``survey``
texts (title, intro, thanks, ``notice.<element>``), ``setting`` values (slug, categories offered,
min_cell, keep_raw_text, allow_erasure, retention days), the ``category`` and ``channel``
nomenclatures (value: order) and the ``wave`` rows (value: opening and closing ISO date-times).
"""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from ..answers import DONT_KNOW
from .import_export import NOTICE_KEYS, RETENTION_KEYS, SLUG_RE

ROLE = {"role": "ecoute_role", "channel": "ecoute_channel", "categories": "ecoute_categories",
        "threshold": "ecoute_threshold"}
ROLE_SCORES = {"satisfaction": (1, 5), "scale": (0, 10), "nps": (0, 10)}
ECOUTE_SHEET = "ecoute"
ECOUTE_HEADERS = ["kind", "code", "label::Français (fr)", "label::English (en)", "value"]
LANGUAGES = {"fr": "Français (fr)", "en": "English (en)"}
OTHER_CHOICE = {"fr": "Autre", "en": "Other"}
OTHER_TEXT = {"fr": "Autre, précisez :", "en": "Other, please specify:"}
DONT_KNOW_LABEL = {"fr": "Ne sait pas / non concerné", "en": "Don't know / not applicable"}
SCORE_LABELS = {1: {"fr": "Très insatisfait", "en": "Very dissatisfied"},
                2: {"fr": "Plutôt insatisfait", "en": "Fairly dissatisfied"},
                3: {"fr": "Ni satisfait ni insatisfait", "en": "Neither satisfied nor dissatisfied"},
                4: {"fr": "Plutôt satisfait", "en": "Fairly satisfied"}, 5: {"fr": "Très satisfait", "en": "Very satisfied"}}
SETTINGS = ("slug", "categories", "min_cell", "keep_raw_text", "allow_erasure", *RETENTION_KEYS)
_FRENCH = {"fr", "french", "français", "francais"}
_ENGLISH = {"en", "english", "anglais"}

__all__ = ["DONT_KNOW", "ECOUTE_HEADERS", "ECOUTE_SHEET", "LANGUAGES", "ROLE", "ROLE_SCORES", "SCORE_LABELS",
           "language_of", "read_ecoute_sheet"]


def language_of(name: str) -> str | None:
    """ "fr" or "en" for an XLSForm language ("Français (fr)", "English", "default"...), else None.

    An untagged column (pyxform's "default") is taken as French, the questionnaire's first language.
    """
    name = name.strip()
    code = re.search(r"\(([A-Za-z-]+)\)\s*$", name)
    if code:
        tag = code.group(1).lower().split("-")[0]
        return tag if tag in ("fr", "en") else None
    lowered = name.lower()
    if lowered in _FRENCH or lowered == "default":
        return "fr"
    if lowered in _ENGLISH:
        return "en"
    return None


def _cell(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _setting(key: str, value: str) -> Any:
    if key in ("keep_raw_text", "allow_erasure"):
        return value.lower() in ("true", "yes", "1")
    if key == "categories":
        return value.split()
    if key == "slug":
        return value
    try:
        return int(value)
    except ValueError:
        return value  # the validation names the bad value


def read_ecoute_sheet(source: str | Path | bytes, tree: dict, stem: str) -> dict[str, Any]:
    """The survey block, nomenclatures and waves of the ``ecoute`` sheet (defaults from the form's
    settings when the sheet is absent: title = form_title, slug = form_id)."""
    title = str(tree.get("title") or stem)
    slug = re.sub(r"[^-A-Za-z0-9_]", "-", str(tree.get("id_string") or stem))[:60] or "xlsform"
    survey: dict[str, Any] = {"slug": slug if SLUG_RE.match(slug) else "xlsform",
                              "title": {"fr": title, "en": ""}}
    out: dict[str, Any] = {"survey": survey, "categories": [], "channels": [], "waves": []}
    data = Path(source).read_bytes() if isinstance(source, (str, Path)) else bytes(source)
    book = load_workbook(BytesIO(data), read_only=True, data_only=True)
    try:
        if ECOUTE_SHEET in book.sheetnames:
            rows = list(book[ECOUTE_SHEET].iter_rows(values_only=True))
            headers = [_cell(h) for h in rows[0]] if rows else []
            for raw in rows[1:]:
                row = dict(zip(headers, (_cell(v) for v in raw), strict=False))
                _ecoute_row(row, out)
    finally:
        book.close()
    out["title"] = dict(survey["title"])
    return out


def _ecoute_row(row: dict[str, str], out: dict[str, Any]) -> None:
    kind, code, value = row.get("kind", ""), row.get("code", ""), row.get("value", "")
    label = {"fr": row.get(ECOUTE_HEADERS[2], ""), "en": row.get(ECOUTE_HEADERS[3], "")}
    survey = out["survey"]
    if kind == "survey" and code in ("title", "intro", "thanks"):
        survey[code] = label
    elif kind == "survey" and code.startswith("notice.") and code[7:] in NOTICE_KEYS:
        survey.setdefault("notice", {})[code[7:]] = label
    elif kind == "setting" and code in RETENTION_KEYS:
        survey.setdefault("retention", {})[code] = _setting(code, value)
    elif kind == "setting" and code in SETTINGS:
        survey[code] = _setting(code, value)
    elif kind in ("category", "channel"):
        out["categories" if kind == "category" else "channels"].append(
            {"code": code, "label": label, "order": _setting("order", value)})
    elif kind == "wave":
        opens, _, closes = value.partition(" ")
        out["waves"].append({"code": code, "label": label["fr"], "opens_at": opens, "closes_at": closes})


def complete_nomenclature(declared: list[dict], used: set[str], model: type) -> list[dict]:
    """The declared codes, plus the used ones the database already knows (so a form written for this
    service can name them without redeclaring them); an unknown code stays undeclared and the
    validation names it."""
    codes = {d["code"] for d in declared}
    known = {o.code: o for o in model.objects.filter(code__in=used - codes)}
    return list(declared) + [{"code": c, "label": {"fr": known[c].label_fr, "en": known[c].label_en},
                              "order": known[c].order} for c in sorted(known)]
