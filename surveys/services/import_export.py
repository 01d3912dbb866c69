"""A questionnaire as one JSON document: export, validate, import (schema ``ecoute.survey``, version 1).

The document is what a quality team keeps under version control, sends to another service or loads
as the demo. One function, `validate_document`, decides whether a document is acceptable, and it
checks the *whole* document before anything is written: `survey_import` then writes everything in
one transaction, so a malformed file writes nothing. `survey_export` writes the same schema back in
a canonical form (every key present, fixed key order), so export → import → export is identical.

Schema, version 1
-----------------
Every text shown to respondents is a bilingual object ``{"fr": "...", "en": "..."}`` (French
required where the text is, English optional: the French is shown when it is empty). Texts are
plain text. Markup is not refused at import, but it is never trusted: templates escape every text,
except the notice and thank-you page, which go through the `rich` filter's allow-list
(surveys.templatetags.ecoute: paragraphs, emphasis, lists, links). Lists are ordered: a section's,
question's or choice's place in its list is its order in the questionnaire.

::

    {
      "schema": "ecoute.survey",            # required, exactly this
      "version": 1,                         # required, this module reads version 1
      "survey": {
        "slug": "satisfaction-usagers",     # required, letters, digits, "-" and "_"
        "title": {"fr", "en"},              # required
        "intro": {"fr", "en"}, "thanks": {"fr", "en"},
        "categories": ["researchers", ...], # categories offered to respondents; [] = all
        "min_cell": 5,                      # smallest publishable cell (statistical secrecy)
        "retention": {"drafts_days": 90, "identities_days": 365, "responses_days": 1825},
        "keep_raw_text": false, "allow_erasure": true,
        "notice": {"controller": {"fr", "en"}, ...}   # the 10 keys of models.NOTICE_ELEMENTS
      },
      "categories": [{"code", "label": {"fr", "en"}, "order"}],   # created/updated by code
      "channels":   [{"code", "label": {"fr", "en"}, "order"}],   # created/updated by code
      "waves": [{"code": "2026", "label": "Vague 2026",
                 "opens_at": "2026-09-01T00:00:00+02:00", "closes_at": "..."}],  # ISO 8601, in order
      "sections": [{
        "code": "core", "title": {"fr", "en"}, "intro": {"fr", "en"},
        "categories": [],                   # [] = every category
        "condition": null,                  # as in surveys.logic, on questions of EARLIER sections
        "questions": [{
          "code": "SAT_OVERALL", "type": "satisfaction",   # satisfaction|scale|nps|single|multiple|
                                                          # text|number|matrix
          "text": {"fr", "en"}, "help": {"fr", "en"},
          "required": true, "allow_dont_know": false,
          "categories": [], "channel": null,  # channel: code of the channel the question rates
          "condition": null,
          "min_value": null, "max_value": null,   # number questions only
          "max_length": null,                     # text questions only
          "threshold": null,                      # scored questions: lowest "satisfied" score
          "choices": [{"code": "website", "label": {"fr", "en"}}]  # single/multiple: options;
        }]                                                         # matrix: the rows (items)
      }]
    }

Categories and channels are shared nomenclatures: the document carries the ones it uses
(`survey_export` writes the survey's categories — all of them when the survey offers all — and every
channel, since a respondent may arrive through any channel), and an import creates or relabels
them by code. Every code a survey, section or question refers to must be declared in the document,
so a document stands on its own.

Errors name the path of the bad element, e.g. ``sections[2].questions[0].type: unknown type
"likert7"``. `validate_document` returns them all, in document order; `survey_import` raises
`SurveyImportError` whose message is the first one (all are in ``.errors``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone

from ..answers import DONT_KNOW
from ..logic import ConditionError, validate_condition
from ..models import (
    NOTICE_ELEMENTS, Channel, Choice, Participant, Question, QuestionType, Response, Section, Survey, UserCategory,
    Wave, audit,
)

SCHEMA = "ecoute.survey"
VERSION = 1
ROOT = "document"  # the path of the document itself in error messages

NOTICE_KEYS = [key for key, _label in NOTICE_ELEMENTS]
QUESTION_TYPES = [t.value for t in QuestionType]
SCORED = {"satisfaction": (1, 5), "matrix": (1, 5), "scale": (0, 10), "nps": (0, 10)}
NUMERIC_FOR_CONDITIONS = {"satisfaction", "scale", "nps", "number"}
WITH_CHOICES = {"single", "multiple", "matrix"}
WITH_DONT_KNOW = {"satisfaction", "scale", "nps", "single", "matrix"}

# Step names the questionnaire wizard uses itself (surveys.wizard CATEGORY_STEP, REVIEW_STEP and the
# done step): a section with one of these codes would collide with them.
RESERVED_SECTION_CODES = {"categorie", "recapitulatif", "fin"}

SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+$")
QUESTION_CODE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
CHOICE_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
CODE_RULES = {
    SLUG_RE: 'letters, digits, "-" and "_" only',
    QUESTION_CODE_RE: 'a letter, then letters, digits or "_"',
    CHOICE_CODE_RE: 'letters, digits, "_", "." or "-", starting with a letter or a digit',
}

# Sanity limits: generous for a real questionnaire, small enough to refuse a runaway file.
MAX_TEXT = 20_000            # any long text (intro, notice element, help)
MAX_SECTIONS = 60
MAX_QUESTIONS = 500          # in the whole survey
MAX_CHOICES = 200            # per question
MAX_WAVES = 100
MAX_NOMENCLATURE = 200       # categories, channels
MAX_CONDITION_DEPTH = 8
MAX_ERRORS = 100
MAX_TEXT_ANSWER = 10_000     # max_length of a text question
MAX_RETENTION_DAYS = 36_500

TOP_KEYS = {"schema": True, "version": True, "survey": True, "categories": False, "channels": False,
            "waves": False, "sections": True}
SURVEY_KEYS = {"slug": True, "title": True, "intro": False, "thanks": False, "categories": False,
               "min_cell": False, "retention": False, "keep_raw_text": False, "allow_erasure": False,
               "notice": False}
RETENTION_KEYS = {"drafts_days": "retention_drafts_days", "identities_days": "retention_identities_days",
                  "responses_days": "retention_responses_days"}
LABELLED_KEYS = {"code": True, "label": True, "order": False}
WAVE_KEYS = {"code": True, "label": False, "opens_at": True, "closes_at": True}
SECTION_KEYS = {"code": True, "title": True, "intro": False, "categories": False, "condition": False,
                "questions": True}
QUESTION_KEYS = {"code": True, "type": True, "text": True, "help": False, "required": False,
                 "allow_dont_know": False, "categories": False, "channel": False, "condition": False,
                 "min_value": False, "max_value": False, "max_length": False, "threshold": False,
                 "choices": False}
CHOICE_KEYS = {"code": True, "label": True}


class SurveyImportError(ValueError):
    """A document that cannot be imported; the message starts with the path of the first bad element."""

    def __init__(self, errors: list[str] | str) -> None:
        self.errors = [errors] if isinstance(errors, str) else list(errors)
        super().__init__(self.errors[0])


# -- export --------------------------------------------------------------------------------------

def _text(obj: object, field: str) -> dict[str, str]:
    return {"fr": getattr(obj, f"{field}_fr"), "en": getattr(obj, f"{field}_en")}


def _number(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _codes(labelled: list) -> list[str]:
    return [x.code for x in sorted(labelled, key=lambda x: (x.order, x.code))]


def _labelled(objs: list) -> list[dict[str, Any]]:
    return [{"code": o.code, "label": _text(o, "label"), "order": o.order}
            for o in sorted(objs, key=lambda x: (x.order, x.code))]


def survey_export(survey: Survey) -> dict[str, Any]:
    """The survey as a version-1 document: every key present, in the documented order."""
    choices = Prefetch("choices", Choice.objects.order_by("order", "id"))
    questions = Prefetch(
        "questions",
        Question.objects.order_by("order", "id").select_related("channel").prefetch_related("categories", choices),
    )
    sections = list(survey.sections.order_by("order", "id").prefetch_related("categories", questions))
    offered = list(survey.categories.all())

    used_categories = {c.pk: c for c in offered}
    for section in sections:
        used_categories.update({c.pk: c for c in section.categories.all()})
        for question in section.questions.all():
            used_categories.update({c.pk: c for c in question.categories.all()})
    if not offered:  # every category is offered
        used_categories.update({c.pk: c for c in UserCategory.objects.all()})

    return {
        "schema": SCHEMA,
        "version": VERSION,
        "survey": {
            "slug": survey.slug,
            "title": _text(survey, "title"),
            "intro": _text(survey, "intro"),
            "thanks": _text(survey, "thanks"),
            "categories": _codes(offered),
            "min_cell": survey.min_cell,
            "retention": {key: getattr(survey, field) for key, field in RETENTION_KEYS.items()},
            "keep_raw_text": survey.keep_raw_text,
            "allow_erasure": survey.allow_erasure,
            "notice": {key: _text(survey, f"notice_{key}") for key in NOTICE_KEYS},
        },
        "categories": _labelled(list(used_categories.values())),
        "channels": _labelled(list(Channel.objects.all())),
        "waves": [
            {"code": w.code, "label": w.label, "opens_at": timezone.localtime(w.opens_at).isoformat(),
             "closes_at": timezone.localtime(w.closes_at).isoformat()}
            for w in survey.waves.order_by("opens_at", "code")
        ],
        "sections": [
            {
                "code": s.code,
                "title": _text(s, "title"),
                "intro": _text(s, "intro"),
                "categories": _codes(list(s.categories.all())),
                "condition": canonical_condition(s.condition),
                "questions": [_question_export(q) for q in s.questions.all()],
            }
            for s in sections
        ],
    }


def _question_export(q: Question) -> dict[str, Any]:
    return {
        "code": q.code,
        "type": q.type,
        "text": _text(q, "text"),
        "help": _text(q, "help"),
        "required": q.required,
        "allow_dont_know": q.allow_dont_know,
        "categories": _codes(list(q.categories.all())),
        "channel": q.channel.code if q.channel else None,
        "condition": canonical_condition(q.condition),
        "min_value": _number(q.min_value),
        "max_value": _number(q.max_value),
        "max_length": q.max_length,
        "threshold": q.threshold,
        "choices": [{"code": c.code, "label": _text(c, "label")} for c in q.choices.all()],
    }


def document_dumps(data: Mapping[str, Any]) -> str:
    """The document as pretty-printed UTF-8 JSON (accents kept, key order as built, final newline)."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


# -- validation ----------------------------------------------------------------------------------

def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _parse_datetime(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    if timezone.is_naive(parsed):  # read in the service's time zone (settings.TIME_ZONE)
        parsed = timezone.make_aware(parsed)
    return parsed


class _Stop(Exception):
    """Too many errors: stop collecting."""


class _Validator:
    """Walks a document once, in order, collecting `path: message` errors."""

    def __init__(self, now: datetime | None = None) -> None:
        self.errors: list[str] = []
        self.now = now or timezone.now()
        self.categories: set[str] = set()
        self.channels: set[str] = set()
        self.offered: set[str] = set()

    # helpers ------------------------------------------------------------------------------
    def error(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}")
        if len(self.errors) >= MAX_ERRORS:
            raise _Stop

    def object(self, value: Any, path: str, keys: Mapping[str, bool]) -> bool:
        """An object with its required keys and no unknown key; False if it is not an object."""
        if not isinstance(value, Mapping):
            self.error(path, "must be an object")
            return False
        for key in value:
            if key not in keys:
                self.error(path, f'unknown key "{str(key)[:60]}"')
        for key, required in keys.items():
            if required and key not in value:
                self.error(key if path == ROOT else f"{path}.{key}", "required")
        return True

    def list(self, value: Any, path: str, *, max_items: int, non_empty: bool = False) -> list:
        if not isinstance(value, list):
            self.error(path, "must be a list")
            return []
        if non_empty and not value:
            self.error(path, "must not be empty")
        if len(value) > max_items:
            self.error(path, f"too many items ({len(value)}, at most {max_items})")
            return []
        return value

    def string(self, value: Any, path: str, *, max_length: int, required: bool = False) -> bool:
        if not isinstance(value, str):
            self.error(path, "must be a string")
            return False
        if "\x00" in value:
            self.error(path, "contains a NUL character")
            return False
        if len(value) > max_length:
            self.error(path, f"too long ({len(value)} characters, at most {max_length})")
            return False
        if required and not value.strip():
            self.error(path, "must not be empty")
            return False
        return True

    def text(self, value: Any, path: str, *, max_length: int = MAX_TEXT, required: bool = False) -> None:
        """A bilingual text {"fr": ..., "en": ...}: French required when the text is."""
        if not self.object(value, path, {"fr": True, "en": False}):
            return
        if "fr" in value:
            self.string(value["fr"], f"{path}.fr", max_length=max_length, required=required)
        if "en" in value:
            self.string(value["en"], f"{path}.en", max_length=max_length)

    def code(self, value: Any, path: str, pattern: re.Pattern, max_length: int, what: str) -> bool:
        """A code (slug, question code...) matching `pattern`, at most `max_length` characters."""
        if not isinstance(value, str):
            self.error(path, "must be a string")
            return False
        if not value or len(value) > max_length or not pattern.match(value):
            rule = CODE_RULES[pattern]
            self.error(path, f'invalid {what} "{value[:60]}" ({rule}, at most {max_length} characters)')
            return False
        return True

    def boolean(self, obj: Mapping, key: str, path: str) -> None:
        if key in obj and not isinstance(obj[key], bool):
            self.error(f"{path}.{key}", "must be true or false")

    def integer(self, obj: Mapping, key: str, path: str, low: int, high: int, nullable: bool = False) -> None:
        if key not in obj or (nullable and obj[key] is None):
            return
        value = obj[key]
        if not _is_int(value):
            self.error(f"{path}.{key}", "must be an integer")
        elif not low <= value <= high:
            self.error(f"{path}.{key}", f"must be between {low} and {high}")

    def references(self, value: Any, path: str, known: set[str], what: str, *, within: set[str] | None = None,
                   within_name: str = "") -> list[str]:
        codes = []
        for i, code in enumerate(self.list(value, path, max_items=MAX_NOMENCLATURE)):
            p = f"{path}[{i}]"
            if not isinstance(code, str):
                self.error(p, "must be a string")
            elif code not in known:
                self.error(p, f'unknown {what} "{code[:60]}"')
            elif code in codes:
                self.error(p, f'duplicate {what} "{code}"')
            elif within and code not in within:
                self.error(p, f'{what} "{code}" is not among {within_name}')
            else:
                codes.append(code)
        return codes

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
        """Well formed (surveys.logic), on questions of earlier sections, with codes those questions have."""
        if _depth(condition) > MAX_CONDITION_DEPTH:
            self.error(path, f"nested too deeply (at most {MAX_CONDITION_DEPTH} levels)")
            return
        bad_op = _unhashable_op(condition, path)
        if bad_op:  # surveys.logic looks "op" up in a dict: it must be a string before it gets there
            self.error(bad_op, "must be an operator (a string)")
            return
        try:
            validate_condition(condition, known_codes=set(earlier), path=path)
        except ConditionError as exc:
            self.errors.append(str(exc))
            if len(self.errors) >= MAX_ERRORS:
                raise _Stop from exc
            return
        self._condition_targets(condition, path, earlier)

    def _condition_targets(self, condition: Mapping, path: str, earlier: Mapping[str, tuple[str, set[str]]]) -> None:
        for key in ("all", "any"):
            if key in condition:
                for i, part in enumerate(condition[key]):
                    self._condition_targets(part, f"{path}.{key}[{i}]", earlier)
                return
        if "not" in condition:
            self._condition_targets(condition["not"], f"{path}.not", earlier)
            return
        unknown = set(condition) - {"question", "in", "op", "value"}
        if unknown:
            self.error(path, f'unknown key "{sorted(unknown)[0]}"')
        code = condition["question"]
        qtype, choice_codes = earlier[code]
        if qtype in ("matrix", "text"):
            self.error(f"{path}.question", f'a condition cannot refer to a {qtype} question ("{code}")')
        elif "in" in condition:
            for i, wanted in enumerate(condition["in"]):
                if not isinstance(wanted, (str, int)) or isinstance(wanted, bool):
                    self.error(f"{path}.in[{i}]", "must be a code (string) or an integer")
                elif choice_codes and str(wanted) not in choice_codes:
                    self.error(f"{path}.in[{i}]", f'"{wanted}" is not a choice of {code}')
                elif qtype in SCORED and str(wanted) not in {str(v) for v in range(SCORED[qtype][0],
                                                                                   SCORED[qtype][1] + 1)}:
                    low, high = SCORED[qtype]
                    self.error(f"{path}.in[{i}]", f'"{wanted}" is not a score of {code} ({low} to {high})')
        elif qtype not in NUMERIC_FOR_CONDITIONS:
            self.error(f"{path}.op", f'comparing needs a numeric question; {code} is a {qtype} question (use "in")')


CONDITION_KEY_ORDER = ("all", "any", "not", "question", "in", "op", "value")


def canonical_condition(condition: Any) -> Any:
    """A condition with its keys in one fixed order: PostgreSQL's jsonb reorders keys, SQLite keeps
    them as written, and an export must read the same whatever the database."""
    if isinstance(condition, Mapping):
        ordered = {k: canonical_condition(condition[k]) for k in CONDITION_KEY_ORDER if k in condition}
        ordered.update({k: canonical_condition(v) for k, v in condition.items() if k not in ordered})
        return ordered
    if isinstance(condition, list):
        return [canonical_condition(c) for c in condition]
    return condition


def _unhashable_op(condition: Any, path: str) -> str | None:
    """The path of an "op" that is not a string (a list or an object), if any."""
    if not isinstance(condition, Mapping):
        return None
    for key in ("all", "any"):
        if key in condition:
            parts = condition[key] if isinstance(condition[key], list) else []
            for i, part in enumerate(parts):
                found = _unhashable_op(part, f"{path}.{key}[{i}]")
                if found:
                    return found
            return None
    if "not" in condition:
        return _unhashable_op(condition["not"], f"{path}.not")
    if "op" in condition and "in" not in condition and not isinstance(condition["op"], (str, int, float, type(None))):
        return f"{path}.op"
    return None


def _depth(condition: Any) -> int:
    if isinstance(condition, Mapping):
        parts = [p for key in ("all", "any") if isinstance(condition.get(key), list) for p in condition[key]]
        if "not" in condition:
            parts.append(condition["not"])
        return 1 + max((_depth(p) for p in parts), default=0)
    return 1


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


# -- import --------------------------------------------------------------------------------------

def _fr(value: Mapping | None) -> str:
    return (value or {}).get("fr", "")


def _en(value: Mapping | None) -> str:
    return (value or {}).get("en", "")


def survey_import(data: dict, *, replace: bool = False, actor: object = None) -> Survey:
    """Create the survey a document describes (or rebuild it in place with `replace=True`).

    The whole document is validated first (`validate_document`); then everything is written in one
    transaction. A survey with the same slug is an error unless `replace` is set, and even then a
    survey that already has responses or invited participants is never replaced: its questions and
    waves are what those answers and invitations refer to. Replacing keeps the survey row (its id and
    owners) and rebuilds its sections, questions and waves.
    """
    errors = validate_document(data)
    if errors:
        raise SurveyImportError(errors)

    slug = data["survey"]["slug"]
    try:
        with transaction.atomic():
            existing = Survey.objects.select_for_update().filter(slug=slug).first()
            if existing is not None:
                _check_replaceable(existing, replace)
            for model, key in ((UserCategory, "categories"), (Channel, "channels")):
                for i, item in enumerate(data.get(key, [])):
                    model.objects.update_or_create(code=item["code"], defaults={
                        "label_fr": _fr(item["label"]), "label_en": _en(item["label"]), "order": item.get("order", i),
                    })
            survey = _write_survey(existing or Survey(), data["survey"])
            if existing is not None:
                survey.sections.all().delete()
                survey.waves.all().delete()
            _write_waves(survey, data.get("waves", []))
            _write_sections(survey, data["sections"])
            audit(actor, "survey_import", slug, replace=existing is not None,
                  sections=len(data["sections"]), questions=sum(len(s["questions"]) for s in data["sections"]))
    except IntegrityError as exc:  # e.g. the same slug imported concurrently
        raise SurveyImportError(f'survey.slug: could not write survey "{slug}" ({exc})') from exc
    return survey


def _check_replaceable(existing: Survey, replace: bool) -> None:
    slug = existing.slug
    if not replace:
        raise SurveyImportError(f'survey.slug: a survey "{slug}" already exists (import with replace to rebuild it)')
    n_responses = Response.objects.filter(survey=existing).count()
    if n_responses:
        raise SurveyImportError(
            f'survey.slug: cannot replace survey "{slug}": it already has {n_responses} response(s), whose '
            "answers refer to its questions and waves; import the new version under another slug"
        )
    n_participants = Participant.objects.filter(survey=existing).count()
    if n_participants:
        raise SurveyImportError(
            f'survey.slug: cannot replace survey "{slug}": it already has {n_participants} invited participant(s), '
            "whose invitations refer to its waves; import the new version under another slug"
        )


def _write_survey(survey: Survey, block: Mapping[str, Any]) -> Survey:
    survey.slug = block["slug"]
    for field in ("title", "intro", "thanks"):
        setattr(survey, f"{field}_fr", _fr(block.get(field)))
        setattr(survey, f"{field}_en", _en(block.get(field)))
    defaults = {f.name: f.default for f in Survey._meta.fields if f.name in (
        "min_cell", "keep_raw_text", "allow_erasure", *RETENTION_KEYS.values())}
    survey.min_cell = block.get("min_cell", defaults["min_cell"])
    retention = block.get("retention", {})
    for key, field in RETENTION_KEYS.items():
        setattr(survey, field, retention.get(key, defaults[field]))
    survey.keep_raw_text = block.get("keep_raw_text", defaults["keep_raw_text"])
    survey.allow_erasure = block.get("allow_erasure", defaults["allow_erasure"])
    notice = block.get("notice", {})
    for key in NOTICE_KEYS:
        setattr(survey, f"notice_{key}_fr", _fr(notice.get(key)))
        setattr(survey, f"notice_{key}_en", _en(notice.get(key)))
    survey.save()
    survey.categories.set(UserCategory.objects.filter(code__in=block.get("categories", [])))
    return survey


def _write_waves(survey: Survey, waves: list[Mapping[str, Any]]) -> None:
    Wave.objects.bulk_create([
        Wave(survey=survey, code=w["code"], label=w.get("label", ""),
             opens_at=_parse_datetime(w["opens_at"]), closes_at=_parse_datetime(w["closes_at"]))
        for w in waves
    ])


def _write_sections(survey: Survey, sections: list[Mapping[str, Any]]) -> None:
    categories = {c.code: c.pk for c in UserCategory.objects.all()}
    channels = {c.code: c.pk for c in Channel.objects.all()}
    section_links, question_links, choices = [], [], []
    for i, block in enumerate(sections, start=1):
        section = Section.objects.create(
            survey=survey, code=block["code"], order=i, condition=block.get("condition"),
            title_fr=_fr(block["title"]), title_en=_en(block["title"]),
            intro_fr=_fr(block.get("intro")), intro_en=_en(block.get("intro")),
        )
        section_links += [Section.categories.through(section_id=section.pk, usercategory_id=categories[c])
                          for c in block.get("categories", [])]
        questions = [
            Question(
                survey=survey, section=section, order=j, code=q["code"], type=q["type"],
                text_fr=_fr(q["text"]), text_en=_en(q["text"]), help_fr=_fr(q.get("help")), help_en=_en(q.get("help")),
                required=q.get("required", False), allow_dont_know=q.get("allow_dont_know", False),
                channel_id=channels[q["channel"]] if q.get("channel") else None, condition=q.get("condition"),
                min_value=q.get("min_value"), max_value=q.get("max_value"), max_length=q.get("max_length"),
                threshold=q.get("threshold"),
            )
            for j, q in enumerate(block["questions"], start=1)
        ]
        Question.objects.bulk_create(questions)
        for question, q in zip(questions, block["questions"], strict=True):
            question_links += [Question.categories.through(question_id=question.pk, usercategory_id=categories[c])
                               for c in q.get("categories", [])]
            choices += [Choice(question=question, code=c["code"], label_fr=_fr(c["label"]), label_en=_en(c["label"]),
                               order=k) for k, c in enumerate(q.get("choices") or [], start=1)]
    Section.categories.through.objects.bulk_create(section_links)
    Question.categories.through.objects.bulk_create(question_links)
    Choice.objects.bulk_create(choices)
