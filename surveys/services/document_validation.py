"""Is a questionnaire document importable? One walk through the whole document, in order, collecting
every problem as ``path: message`` before anything is written (schema in
:mod:`surveys.services.import_export`; the condition grammar's checks in :mod:`surveys.logic`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.utils import timezone

from ..answers import DONT_KNOW
from ..logic import condition_problems
from .document_schema import (
    CHOICE_CODE_RE, CHOICE_KEYS, LABELLED_KEYS, MAX_CHOICES, MAX_CONDITION_DEPTH, MAX_ERRORS,
    MAX_NOMENCLATURE, MAX_QUESTIONS, MAX_RETENTION_DAYS, MAX_SECTIONS, MAX_TEXT_ANSWER, MAX_WAVES,
    NOTICE_KEYS, QUESTION_CODE_RE, QUESTION_KEYS, QUESTION_TYPES, RESERVED_SECTION_CODES, RETENTION_KEYS, ROOT,
    SCHEMA, SCORED, SECTION_KEYS, SLUG_RE, SURVEY_KEYS, TOP_KEYS, VERSION, WAVE_KEYS, WITH_CHOICES, WITH_DONT_KNOW,
    _is_int, _is_number, _number, _parse_datetime,
)
from .document_checks import _Checks, _Stop


class _Validator(_Checks):
    """Walks a document once, in order, collecting `path: message` errors."""

    def __init__(self, now: datetime | None = None) -> None:
        self.errors: list[str] = []
        self.now = now or timezone.now()
        self.categories: set[str] = set()
        self.channels: set[str] = set()
        self.offered: set[str] = set()

    # the document ---------------------------------------------------------------------------
    def document(self, data: Any) -> None:
        if not isinstance(data, Mapping):
            self.error(ROOT, "must be a JSON object")
            return
        if data.get("schema") != SCHEMA:
            self.error("schema", f'expected "{SCHEMA}", got {json.dumps(data.get("schema"))[:60]}')
            return
        version = data.get("version")
        if version != VERSION or not _is_int(version):
            self.error("version", f"unsupported version {json.dumps(version)[:20]} (this application reads "
                                  f"version {VERSION})")
            return
        self.object(data, ROOT, TOP_KEYS)
        # Nomenclatures first: the survey and its questions refer to them.
        self.categories = self.nomenclature(data.get("categories", []), "categories", "category")
        self.channels = self.nomenclature(data.get("channels", []), "channels", "channel")
        notice_missing: list[str] = []
        if "survey" in data:
            notice_missing = self.survey(data["survey"], "survey")
        self.waves(data.get("waves", []), "waves", notice_missing)
        if "sections" in data:
            self.sections(data["sections"], "sections")

    def nomenclature(self, value: Any, path: str, what: str) -> set[str]:
        seen: set[str] = set()
        for i, item in enumerate(self.list(value, path, max_items=MAX_NOMENCLATURE)):
            p = f"{path}[{i}]"
            if not self.object(item, p, LABELLED_KEYS):
                continue
            if "code" in item and self.code(item["code"], f"{p}.code", SLUG_RE, 40, f"{what} code"):
                if item["code"] in seen:
                    self.error(f"{p}.code", f'duplicate {what} code "{item["code"]}"')
                seen.add(item["code"])
            if "label" in item:
                self.text(item["label"], f"{p}.label", max_length=200, required=True)
            self.integer(item, "order", p, 0, 1_000_000)
        return seen

    def survey(self, value: Any, path: str) -> list[str]:
        """Check the survey block; return the notice elements still empty in French."""
        if not self.object(value, path, SURVEY_KEYS):
            return []
        if "slug" in value:
            self.code(value["slug"], f"{path}.slug", SLUG_RE, 60, "slug")
        if "title" in value:
            self.text(value["title"], f"{path}.title", max_length=200, required=True)
        for key in ("intro", "thanks"):
            if key in value:
                self.text(value[key], f"{path}.{key}")
        if "categories" in value:
            self.offered = set(self.references(value["categories"], f"{path}.categories", self.categories,
                                               "category"))
        self.integer(value, "min_cell", path, 1, 1000)
        if "retention" in value and self.object(value["retention"], f"{path}.retention",
                                                 dict.fromkeys(RETENTION_KEYS, False)):
            for key in RETENTION_KEYS:
                self.integer(value["retention"], key, f"{path}.retention", 1, MAX_RETENTION_DAYS)
        self.boolean(value, "keep_raw_text", path)
        self.boolean(value, "allow_erasure", path)
        notice = value.get("notice", {})
        if not self.object(notice, f"{path}.notice", dict.fromkeys(NOTICE_KEYS, False)):
            return []
        for key in NOTICE_KEYS:
            if key in notice:
                self.text(notice[key], f"{path}.notice.{key}")
        return [key for key in NOTICE_KEYS if not (
            isinstance(notice.get(key), Mapping) and isinstance(notice[key].get("fr"), str)
            and notice[key]["fr"].strip())]

    def waves(self, value: Any, path: str, notice_missing: list[str]) -> None:
        """Codes unique, ISO dates, each wave closing after it opens and opening after the previous one
        closes; a wave open now needs the complete notice (as models.Wave.clean requires)."""
        seen: set[str] = set()
        previous: tuple[str, datetime] | None = None
        for i, wave in enumerate(self.list(value, path, max_items=MAX_WAVES)):
            p = f"{path}[{i}]"
            if not self.object(wave, p, WAVE_KEYS):
                continue
            if "code" in wave and self.code(wave["code"], f"{p}.code", SLUG_RE, 40, "wave code"):
                if wave["code"] in seen:
                    self.error(f"{p}.code", f'duplicate wave code "{wave["code"]}"')
                seen.add(wave["code"])
            if "label" in wave:
                self.string(wave["label"], f"{p}.label", max_length=100)
            dates = {}
            for key in ("opens_at", "closes_at"):
                if key not in wave:
                    continue
                parsed = _parse_datetime(wave[key]) if isinstance(wave[key], str) else None
                if parsed is None:
                    self.error(f"{p}.{key}", "must be an ISO 8601 date-time (e.g. 2026-09-01T00:00:00+02:00)")
                else:
                    dates[key] = parsed
            if len(dates) < 2:
                continue
            opens, closes = dates["opens_at"], dates["closes_at"]
            if closes <= opens:
                self.error(f"{p}.closes_at", "must be after opens_at")
                continue
            if previous is not None and opens < previous[1]:
                self.error(f"{p}.opens_at", f"must not be before the previous wave closes ({previous[0]}.closes_at)")
            previous = (p, closes)
            if opens <= self.now < closes and notice_missing:
                self.error(p, "this wave is open now, so the information notice must be complete "
                              f"(missing in French: {', '.join(notice_missing)})")

    def sections(self, value: Any, path: str) -> None:
        # question code -> (type, choice codes), for the questions of the sections already read
        earlier: dict[str, tuple[str, set[str]]] = {}
        question_paths: dict[str, str] = {}
        section_codes: dict[str, str] = {}
        n_questions = 0
        for i, section in enumerate(self.list(value, path, max_items=MAX_SECTIONS, non_empty=True)):
            p = f"{path}[{i}]"
            if not self.object(section, p, SECTION_KEYS):
                continue
            code = section.get("code")
            if "code" in section and self.code(code, f"{p}.code", SLUG_RE, 40, "section code"):
                if code in section_codes:
                    self.error(f"{p}.code", f'duplicate section code "{code}" (already {section_codes[code]})')
                elif code in RESERVED_SECTION_CODES:
                    self.error(f"{p}.code", f'"{code}" is reserved by the questionnaire wizard')
                section_codes.setdefault(code, p)
            if "title" in section:
                self.text(section["title"], f"{p}.title", max_length=200, required=True)
            if "intro" in section:
                self.text(section["intro"], f"{p}.intro")
            section_categories: set[str] = set()
            if "categories" in section:
                section_categories = set(self.references(
                    section["categories"], f"{p}.categories", self.categories, "category",
                    within=self.offered, within_name="the survey's categories (survey.categories)"))
            if section.get("condition") is not None:
                self.condition(section["condition"], f"{p}.condition", earlier)
            current: dict[str, tuple[str, set[str]]] = {}
            questions = self.list(section.get("questions", []), f"{p}.questions", max_items=MAX_QUESTIONS,
                                  non_empty="questions" in section)
            for j, question in enumerate(questions):
                n_questions += 1
                if n_questions > MAX_QUESTIONS:
                    self.error(f"{p}.questions[{j}]", f"too many questions in the survey (at most {MAX_QUESTIONS})")
                    return
                qp = f"{p}.questions[{j}]"
                parsed = self.question(question, qp, earlier, section_categories)
                if parsed is None:
                    continue
                qcode, qtype, choice_codes = parsed
                if qcode in question_paths:
                    self.error(f"{qp}.code", f'duplicate question code "{qcode}" (already {question_paths[qcode]})')
                    continue
                question_paths[qcode] = qp
                current[qcode] = (qtype, choice_codes)
            earlier.update(current)

    def question(self, q: Any, path: str, earlier: Mapping[str, tuple[str, set[str]]],
                 section_categories: set[str]) -> tuple[str, str, set[str]] | None:
        if not self.object(q, path, QUESTION_KEYS):
            return None
        code = q.get("code")
        valid_code = "code" in q and self.code(code, f"{path}.code", QUESTION_CODE_RE, 40,
                                               "question code")
        if valid_code and "__" in code:
            self.error(f"{path}.code", f'"{code}": "__" is reserved (matrix item fields)')
            valid_code = False
        qtype = q.get("type")
        if "type" in q and qtype not in QUESTION_TYPES:
            self.error(f"{path}.type", f'unknown type {json.dumps(qtype, ensure_ascii=False)[:60]} '
                                       f'(expected one of: {", ".join(QUESTION_TYPES)})')
            qtype = None
        if "text" in q:
            self.text(q["text"], f"{path}.text", required=True)
        if "help" in q:
            self.text(q["help"], f"{path}.help")
        self.boolean(q, "required", path)
        self.boolean(q, "allow_dont_know", path)
        if "categories" in q:
            self.references(q["categories"], f"{path}.categories", self.categories, "category",
                            within=section_categories or self.offered,
                            within_name=("the section's categories" if section_categories
                                         else "the survey's categories (survey.categories)"))
        channel = q.get("channel")
        if channel is not None:
            if not isinstance(channel, str):
                self.error(f"{path}.channel", "must be a channel code or null")
            elif channel not in self.channels:
                self.error(f"{path}.channel", f'unknown channel "{channel[:60]}"')
        if q.get("condition") is not None:
            self.condition(q["condition"], f"{path}.condition", earlier)
        choice_codes = self.choices(q, path, qtype)
        if qtype is not None:
            self.type_options(q, path, qtype)
        if not valid_code or qtype is None:
            return None
        return code, qtype, choice_codes

    def choices(self, q: Mapping, path: str, qtype: str | None) -> set[str]:
        value = q.get("choices")
        if value is not None and not isinstance(value, list):
            self.error(f"{path}.choices", "must be a list")
            return set()
        if qtype in WITH_CHOICES:
            if not value:
                what = "items (rows)" if qtype == "matrix" else "choices"
                self.error(f"{path}.choices", f"a {qtype} question needs {what}")
                return set()
        elif value:
            if qtype is not None:
                self.error(f"{path}.choices", "only single, multiple and matrix questions have choices")
            return set()
        codes: set[str] = set()
        for k, choice in enumerate(self.list(value or [], f"{path}.choices", max_items=MAX_CHOICES)):
            cp = f"{path}.choices[{k}]"
            if not self.object(choice, cp, CHOICE_KEYS):
                continue
            if "code" in choice and self.code(choice["code"], f"{cp}.code", CHOICE_CODE_RE, 40,
                                              "choice code"):
                if choice["code"] in codes:
                    self.error(f"{cp}.code", f'duplicate choice code "{choice["code"]}"')
                elif choice["code"] == DONT_KNOW:
                    self.error(f"{cp}.code", f'"{DONT_KNOW}" is reserved for "don\'t know" (use allow_dont_know)')
                codes.add(choice["code"])
            if "label" in choice:
                self.text(choice["label"], f"{cp}.label", max_length=300, required=True)
        return codes

    def type_options(self, q: Mapping, path: str, qtype: str) -> None:
        if q.get("allow_dont_know") and qtype not in WITH_DONT_KNOW:
            self.error(f"{path}.allow_dont_know", f"not available for {qtype} questions")
        bounds = {}
        for key in ("min_value", "max_value"):
            value = q.get(key)
            if value is None:
                continue
            if qtype != "number":
                self.error(f"{path}.{key}", "only number questions have bounds")
            elif not _is_number(value) or value != value or abs(value) > 1e12:
                self.error(f"{path}.{key}", "must be a number")
            else:
                bounds[key] = value
        if len(bounds) == 2 and bounds["min_value"] > bounds["max_value"]:
            self.error(f"{path}.max_value", f"must be at least min_value ({_number(bounds['min_value'])})")
        if q.get("max_length") is not None:
            if qtype != "text":
                self.error(f"{path}.max_length", "only text questions have a maximum length")
            else:
                self.integer(q, "max_length", path, 1, MAX_TEXT_ANSWER)
        if q.get("threshold") is not None:
            if qtype not in SCORED:
                self.error(f"{path}.threshold", "only scored questions (satisfaction, scale, nps, matrix) have one")
            else:
                low, high = SCORED[qtype]
                self.integer(q, "threshold", path, low, high)

    def condition(self, condition: Any, path: str, earlier: Mapping[str, tuple[str, set[str]]]) -> None:
        """Well formed, on questions of earlier sections, with codes those questions have (the grammar
        and its checks: :func:`surveys.logic.condition_problems`)."""
        for problem in condition_problems(condition, path, earlier, max_depth=MAX_CONDITION_DEPTH):
            self.errors.append(problem)
            if len(self.errors) >= MAX_ERRORS:
                raise _Stop


def validate_document(data: Any, *, now: datetime | None = None) -> list[str]:
    """Every problem of the document as ``path: message``, in document order ([] when importable).

    Pure: reads no database. `now` decides which waves are open (an open wave needs a complete notice).
    """
    validator = _Validator(now=now)
    try:
        validator.document(data)
    except _Stop:
        validator.errors.append(f"{ROOT}: stopped after {MAX_ERRORS} errors")
    return validator.errors
