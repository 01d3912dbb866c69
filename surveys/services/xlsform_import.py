"""XLSForm in: a spreadsheet questionnaire becomes an ``ecoute.survey`` document, then the usual import.

pyxform (the reference XLSForm parser) reads the workbook: it resolves type aliases, ``or_other``,
translations and choice lists, and refuses a malformed form with its own message. We walk its result
and build the version-1 document of `import_export`, so the one validation (`validate_document`)
and the one writer (`survey_import`) apply to spreadsheets too. What the document cannot express (a
``calculate``, a ``repeat``, a ``relevant`` outside our condition model, a ``choice_filter``...) is
refused whole, with the sheet, row and column, unless the designer asks for a lenient import: then
it is left out and listed in the warnings, never dropped silently.

Écoute shows one section per page and a condition may only look at earlier pages, so a question
whose ``relevant`` looks at a question of its own group starts a new page (a continuation section,
``<group>-2``), and so does a ``note`` after the first question (a note becomes a section intro).
The extra columns of `xlsform_columns` (indicator role, channel, categories, threshold) and the
``ecoute`` sheet carry what plain XLSForm has no column for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..answers import DONT_KNOW
from ..models import Channel, UserCategory
from .import_export import SCHEMA, VERSION, SurveyImportError, survey_import, validate_document
from .relevance import RelevanceError, relevant_to_condition
from .xlsform_read import XLSFormError, codes_in, kept_paths, locate, read_xlsform, where
from .xlsform_columns import (
    DONT_KNOW_LABEL, ECOUTE_SHEET, OTHER_CHOICE, OTHER_TEXT, ROLE, ROLE_SCORES, complete_nomenclature, language_of,
    read_ecoute_sheet,
)

TYPES = {"text": "text", "integer": "number", "decimal": "number", "select one": "single",
         "select all that apply": "multiple"}
REFUSED_TYPES = {
    "calculate": "a calculate cannot be represented (Écoute stores answers, not computed values)",
    "repeat": "a repeat cannot be represented (Écoute asks each question once)",
}
KNOWN_KEYS = {"type", "name", "label", "hint", "bind", "choices", "itemset", "list_name", "parameters",
              "children", "control", "media", *ROLE.values()}
BIND_KEYS = {"required", "relevant", "constraint", "jr:constraintMsg"}
TRUE, FALSE = {"yes", "true", "true()", "1"}, {"", "no", "false", "false()", "0"}
NUMBER_BOUND = re.compile(r"^\s*\.\s*(>=|<=)\s*(-?\d+(?:\.\d+)?)\s*$")
TEXT_LENGTH = re.compile(r"^\s*string-length\(\s*\.\s*\)\s*<=\s*(\d+)\s*$")
OR_OTHER = re.compile(r"\bor_other\b|\bor specify other\b", re.I)


@dataclass
class XLSFormResult:
    document: dict[str, Any]
    warnings: list[str] = field(default_factory=list)  # left out (lenient import)
    notes: list[str] = field(default_factory=list)     # how the form was mapped (nothing lost)


class _Builder:
    """One pass over pyxform's tree, in sheet order, building the sections of the document."""

    def __init__(self, book: Any, lenient: bool, extras: Mapping[str, Any]) -> None:
        self.lenient = lenient
        self.extras = extras
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.sections: list[dict] = []
        self.kinds: dict[str, str] = {}       # question code -> Écoute type, in order
        self.current: dict | None = None      # the section being filled
        self.current_codes: set[str] = set()
        self.used_sections: set[str] = set()
        self.paths: dict[str, tuple[str, int | None]] = {}  # document path -> (sheet, row)
        self.headers = list((book.survey_header or [{}])[0])
        self.rows: dict[str, list[int]] = {}
        for i, row in enumerate(book.survey or [], start=2):
            if row.get("name"):
                self.rows.setdefault(str(row["name"]), []).append(i)
        self.raw = {i: row for i, row in enumerate(book.survey or [], start=2)}
        self.title = extras["title"]

    # problems ---------------------------------------------------------------------------------
    def problem(self, row: int | None, column: str | None, message: str, sheet: str = "survey") -> None:
        self.problems.append(f"{where(row, column, sheet)}: {message}")

    def column(self, row: int | None, base: str) -> str:
        """The header of `base` as written in the sheet (e.g. "label::Français (fr)" for "label")."""
        for header in (self.raw.get(row) or {}) if row else self.headers:
            if re.split(r"::?", header)[0].strip().lower() == base:
                return header
        return base

    def row_of(self, name: str) -> int | None:
        rows = self.rows.get(name)
        return rows.pop(0) if rows else None

    # texts --------------------------------------------------------------------------------------
    def text(self, value: Any, row: int | None, base: str) -> dict[str, str]:
        if not value:
            return {"fr": "", "en": ""}
        if isinstance(value, str):
            return {"fr": value, "en": ""}
        out = {"fr": "", "en": ""}
        for name, text in value.items():
            lang = language_of(name)
            if lang is not None:
                out[lang] = out[lang] or str(text)
        if not out["fr"] and out["en"]:
            out["fr"] = out["en"]
        return out

    # sections -----------------------------------------------------------------------------------
    def section_code(self, base: str) -> str:
        base = re.sub(r"[^-A-Za-z0-9_]", "-", base)[:36] or "section"
        code, n = base, 1
        while code in self.used_sections:
            n += 1
            code = f"{base}-{n}"
        self.used_sections.add(code)
        return code

    def open_section(self, base: str, title: dict, row: int | None, *, condition: Any = None,
                     categories: list[str] | None = None, intro: dict | None = None) -> dict:
        section = {"code": self.section_code(base), "title": title, "intro": intro or {"fr": "", "en": ""},
                   "categories": categories or [], "condition": condition, "questions": [],
                   "_base": base, "_row": row, "_loose": False, "_note_row": None}
        self.paths[f"sections[{len(self.sections)}]"] = ("survey", row)
        self.sections.append(section)
        self.current, self.current_codes = section, set()
        return section

    def continuation(self, why: str) -> dict:
        """A new page with the same title, categories and condition as the current section."""
        prev = self.current
        section = self.open_section(prev["_base"], prev["title"], prev["_row"], condition=prev["condition"],
                                    categories=prev["categories"])
        section["_loose"] = prev["_loose"]
        self.notes.append(f'section "{section["code"]}" continues "{prev["code"]}" on a new page ({why})')
        return section

    def loose_section(self) -> dict:
        if self.current is None or not self.current["_loose"]:
            self.open_section(f"section-{len(self.sections) + 1}", dict(self.title), None)
            self.current["_loose"] = True
        return self.current

    def finish(self) -> None:
        """A page needs a question: a note or group left without one cannot be shown."""
        for section in self.sections:
            if not section["questions"] and (section["intro"]["fr"] or section["intro"]["en"]):
                self.problem(section["_note_row"] or section["_row"], None,
                             "a note with no question after it on its page cannot be represented "
                             "(a note is the introduction of a page)")

    # the tree -----------------------------------------------------------------------------------
    def walk(self, children: list[dict], in_group: dict | None = None) -> None:
        for element in children:
            if (element.get("control") or {}).get("bodyless"):
                continue  # pyxform's own "meta" group (instanceID)
            etype = element.get("type")
            name = str(element.get("name", ""))
            row = self.row_of(name) if not name.endswith("_other") or name in self.rows else None
            if etype in REFUSED_TYPES:
                self.problem(row, "type", f'"{self.raw.get(row, {}).get("type", etype)}": {REFUSED_TYPES[etype]}')
                continue
            if etype == "group" and element.get(ROLE["role"]) == "matrix":
                self.matrix(element, row)
            elif etype == "group":
                self.group(element, row, in_group)
            elif etype == "note":
                self.note(element, row)
            elif etype in TYPES:
                if element.get("_or_other_generated"):
                    continue
                self.question(element, row)
            else:
                raw_type = self.raw.get(row, {}).get("type", etype)
                self.problem(row, "type", f'type "{raw_type}" has no equivalent in Écoute')

    def group(self, element: dict, row: int | None, parent: dict | None) -> None:
        condition = self.relevant(element, row)
        if parent is not None and parent["condition"] is not None:
            condition = {"all": [parent["condition"], condition]} if condition else parent["condition"]
        categories = self.codes(element, row, "categories")
        section = self.open_section(str(element["name"]), self.text(element.get("label") or element["name"], row,
                                                                     "label"),
                                    row, condition=condition, categories=categories)
        section["intro"] = self.text(element.get("hint"), row, "hint")
        self.unknown_keys(element, row)
        self.walk(element.get("children", []), in_group=section)
        if parent is not None:  # the rest of the enclosing group is a page of its own
            self.current = None
            self.open_section(parent["_base"], parent["title"], parent["_row"], condition=parent["condition"],
                              categories=parent["categories"])
        else:
            self.current = None

    def note(self, element: dict, row: int | None) -> None:
        if (element.get("bind") or {}).get("relevant"):
            self.problem(row, "relevant", "a note is shown with its page: its own relevant cannot be represented")
        intro = self.text(element.get("label"), row, "label")
        section = self.current if self.current is not None else self.loose_section()
        if section["questions"]:
            section = self.continuation(f'note "{element["name"]}" in row {row}')
        section["_note_row"] = section["_note_row"] or row
        for lang in ("fr", "en"):
            section["intro"][lang] = "\n\n".join(t for t in (section["intro"][lang], intro[lang]) if t)

    def question(self, element: dict, row: int | None) -> None:
        qtype = TYPES[element["type"]]
        bind = element.get("bind") or {}
        q: dict[str, Any] = {
            "code": str(element["name"]), "type": qtype, "text": self.text(element.get("label"), row, "label"),
            "help": self.text(element.get("hint"), row, "hint"), "required": self.required(bind, row),
            "allow_dont_know": False, "categories": self.codes(element, row, "categories"),
            "channel": element.get(ROLE["channel"]) or None, "condition": self.relevant(element, row),
        }
        if qtype in ("single", "multiple"):
            self.choices(element, row, q)
        self.constraint(bind.get("constraint"), row, q)
        threshold = element.get(ROLE["threshold"])
        if threshold not in (None, ""):
            try:
                q["threshold"] = int(threshold)
            except ValueError:
                self.problem(row, self.column(row, ROLE["threshold"]), f'"{threshold}" is not an integer')
        self.unknown_keys(element, row)
        self.add(q, row)
        raw_type = str(self.raw.get(row, {}).get("type", ""))
        if OR_OTHER.search(raw_type):
            self.add({"code": f"{q['code']}_other", "type": "text", "text": dict(OTHER_TEXT),
                      "help": {"fr": "", "en": ""}, "required": False, "allow_dont_know": False,
                      "categories": list(q["categories"]), "channel": None,
                      "condition": {"question": q["code"], "in": ["other"]}}, row)

    def add(self, q: dict, row: int | None) -> None:
        """Put `q` on the current page, or on a new one when its condition looks at this page."""
        section = self.current if self.current is not None else self.loose_section()
        if codes_in(q["condition"]) & self.current_codes:
            section = self.continuation(f'{q["code"]} depends on a question of the same page')
        self.paths[f"sections[{len(self.sections) - 1}].questions[{len(section['questions'])}]"] = ("survey", row)
        section["questions"].append(q)
        self.current_codes.add(q["code"])
        self.kinds[q["code"]] = q["type"]

    def choices(self, element: dict, row: int | None, q: dict) -> None:
        choices = []
        for choice in element.get("choices") or []:
            code = str(choice.get("name"))
            if code == DONT_KNOW:
                q["allow_dont_know"] = True
                continue
            label = OTHER_CHOICE if code == "other" and OR_OTHER.search(str(self.raw.get(row, {}).get("type", ""))) \
                else self.text(choice.get("label") or code, row, "label")
            choices.append({"code": code, "label": dict(label)})
        role = element.get(ROLE["role"])
        if role:
            self.scored(role, q, choices, row)
        else:
            q["choices"] = choices
        if element.get("choice_filter"):
            self.problem(row, "choice_filter", "a choice_filter cannot be represented (every choice is shown)")

    def scored(self, role: str, q: dict, choices: list[dict], row: int | None) -> None:
        column = self.column(row, ROLE["role"])
        if role not in ROLE_SCORES or q["type"] != "single":
            self.problem(row, column, f'"{role}" is not a role of a select_one (expected one of: '
                                      f'{", ".join(ROLE_SCORES)})')
            return
        low, high = ROLE_SCORES[role]
        if [c["code"] for c in choices] != [str(v) for v in range(low, high + 1)]:
            self.problem(row, column, f"a {role} question needs the choices {low} to {high} (and optionally "
                                      f'"{DONT_KNOW}" for don\'t know), in order')
            return
        q["type"] = role

    def matrix(self, element: dict, row: int | None) -> None:
        items, dont_know, required = [], False, False
        prefix = f"{element['name']}__"
        for child in element.get("children", []):
            child_row = self.row_of(str(child.get("name")))
            codes = [str(c.get("name")) for c in child.get("choices") or []]
            if child.get("type") != "select one" or [c for c in codes if c != DONT_KNOW] != list("12345"):
                self.problem(child_row, "type", "a matrix row must be a select_one with the choices 1 to 5")
                continue
            dont_know = dont_know or DONT_KNOW in codes
            required = required or self.required(child.get("bind") or {}, child_row)
            name = str(child["name"])
            items.append({"code": name[len(prefix):] if name.startswith(prefix) else name,
                          "label": self.text(child.get("label"), child_row, "label")})
        self.add({"code": str(element["name"]), "type": "matrix", "text": self.text(element.get("label"), row, "label"),
                  "help": self.text(element.get("hint"), row, "hint"), "required": required,
                  "allow_dont_know": dont_know, "categories": self.codes(element, row, "categories"),
                  "channel": element.get(ROLE["channel"]) or None, "condition": self.relevant(element, row),
                  "choices": items}, row)

    # columns ----------------------------------------------------------------------------------
    def required(self, bind: Mapping, row: int | None) -> bool:
        value = str(bind.get("required", "")).strip().lower()
        if value in TRUE:
            return True
        if value not in FALSE:
            self.problem(row, "required", f'"{bind["required"]}": only yes or no can be represented')
        return False

    def relevant(self, element: dict, row: int | None) -> dict | None:
        text = (element.get("bind") or {}).get("relevant")
        if not text:
            return None
        try:
            return relevant_to_condition(str(text), self.kinds)
        except RelevanceError as exc:
            self.problem(row, "relevant", f"cannot be represented as a condition: {exc}")
            return None

    def constraint(self, text: Any, row: int | None, q: dict) -> None:
        if not text:
            return
        parts = [p for p in re.split(r"\s+and\s+", str(text))]
        if q["type"] == "number" and all(NUMBER_BOUND.match(p) for p in parts):
            for part in parts:
                op, value = NUMBER_BOUND.match(part).groups()
                number = float(value)
                q["min_value" if op == ">=" else "max_value"] = int(number) if number.is_integer() else number
            return
        if q["type"] == "text" and len(parts) == 1 and TEXT_LENGTH.match(parts[0]):
            q["max_length"] = int(TEXT_LENGTH.match(parts[0]).group(1))
            return
        self.problem(row, "constraint", f'"{text}" cannot be represented (only ". >= a and . <= b" on a number, '
                                        '"string-length(.) <= n" on a text)')

    def codes(self, element: dict, row: int | None, what: str) -> list[str]:
        value = element.get(ROLE[what])
        return str(value).split() if value else []

    def unknown_keys(self, element: dict, row: int | None) -> None:
        for key in sorted(set(element) - KNOWN_KEYS - {"choice_filter"}):
            self.problem(row, self.column(row, key), "this column cannot be represented")
        for key in sorted(set(element.get("bind") or {}) - BIND_KEYS):
            self.problem(row, key, "this column cannot be represented")


def xlsform_to_document(source: str | Path | bytes, *, lenient: bool = False, slug: str | None = None,
                        filename: str | None = None) -> XLSFormResult:
    """Read an XLSForm workbook into a version-1 document (XLSFormError if anything cannot be mapped and
    the import is strict; with `lenient`, what cannot be mapped is left out and listed in the warnings)."""
    book, tree, stem = read_xlsform(source, filename)
    try:
        extras = read_ecoute_sheet(source, tree, stem)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a damaged workbook
        raise XLSFormError([f"{ECOUTE_SHEET} sheet: cannot be read ({exc})"]) from exc
    builder = _Builder(book, lenient, extras)
    for header in builder.headers:
        match = re.match(r"^(label|hint)::?(.+)$", header.strip(), re.I)
        if match and language_of(match.group(2)) is None:
            builder.problem(1, header, f'language "{match.group(2).strip()}" is neither French nor English')
    builder.walk(tree.get("children", []))
    builder.finish()
    if builder.problems and not lenient:
        raise XLSFormError(builder.problems)
    document = _document(builder, extras, slug)
    errors = validate_document(document)
    if errors:
        paths = kept_paths(builder.sections, builder.paths)
        raise XLSFormError([locate(e, paths) for e in errors])
    return XLSFormResult(document, warnings=builder.problems, notes=builder.notes)


def _document(builder: _Builder, extras: Mapping[str, Any], slug: str | None) -> dict[str, Any]:
    sections = [{k: v for k, v in s.items() if not k.startswith("_")} for s in builder.sections if s["questions"]]
    used = {c for s in sections for c in s["categories"]} | {c for s in sections for q in s["questions"]
                                                             for c in q["categories"]}
    channels = {q["channel"] for s in sections for q in s["questions"] if q["channel"]}
    survey = dict(extras["survey"])
    survey["slug"] = slug or survey["slug"]
    used |= set(survey.get("categories", []))
    return {"schema": SCHEMA, "version": VERSION, "survey": survey,
            "categories": complete_nomenclature(extras["categories"], used, UserCategory),
            "channels": complete_nomenclature(extras["channels"], channels, Channel),
            "waves": extras["waves"], "sections": sections}


def xlsform_import(source: str | Path | bytes, *, lenient: bool = False, slug: str | None = None,
                   replace: bool = False, actor: object = None,
                   filename: str | None = None) -> tuple[Any, XLSFormResult]:
    """Import a workbook with the usual importer; returns the survey and the mapping result."""
    result = xlsform_to_document(source, lenient=lenient, slug=slug, filename=filename)
    try:
        survey = survey_import(result.document, replace=replace, actor=actor)
    except SurveyImportError as exc:
        raise XLSFormError(exc.errors) from exc
    return survey, result


__all__ = ["ECOUTE_SHEET", "DONT_KNOW_LABEL", "XLSFormError", "XLSFormResult", "xlsform_import",
           "xlsform_to_document"]
