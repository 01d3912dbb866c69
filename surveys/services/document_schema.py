"""The questionnaire document's schema (``ecoute.survey``, version 1): its name and version, the keys
each object has, the code rules, the sanity limits and the import error.

Why a module of its own: export, validation and import (and the XLSForm converters) all read these
names; the schema itself is described in :mod:`surveys.services.import_export`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.utils import timezone

from ..logic import NUMERIC_FOR_CONDITIONS, SCORED  # noqa: F401 (re-exported: part of the schema)
from ..models import NOTICE_ELEMENTS, QuestionType

SCHEMA = "ecoute.survey"
VERSION = 1
ROOT = "document"  # the path of the document itself in error messages

NOTICE_KEYS = [key for key, _label in NOTICE_ELEMENTS]
QUESTION_TYPES = [t.value for t in QuestionType]
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


def _number(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value
