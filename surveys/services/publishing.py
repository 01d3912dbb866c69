"""Draft → published → closed: the publish checklist and the status changes.

A survey is built as a draft (every public URL answers 404, its designers get the preview). It is
published only when `survey_publish_problems` finds nothing: a respondent must never meet an
incomplete information notice, a questionnaire without a wave to answer in, a choice question
without choices or a condition that can never be evaluated. The structural checks are the JSON
importer's own (`validate_document` on the survey's export), so what the importer refuses cannot
be published either. Closing stops answering and keeps every result.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import NOTICE_ELEMENTS, Survey, SurveyStatus, audit
from .import_export import survey_export, validate_document

# The notice elements without which a survey may not be published (GDPR art. 13: who, whom to
# contact, why, for how long). The others are checked when a wave opens (models.Wave.clean).
PUBLISH_NOTICE_KEYS = ("controller", "dpo_contact", "purpose", "retention")
_LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)  # validate_document's "now": open-wave checks are ours
_QUESTION_PATH = re.compile(r"^sections\[(\d+)\]\.questions\[(\d+)\]")
_SECTION_PATH = re.compile(r"^sections\[(\d+)\]")


class PublishRefused(ValueError):
    """The checklist found problems; `.problems` lists them, one sentence each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _readable(error: str, document: dict) -> str:
    """`sections[1].questions[0].choices: …` → `Question SAT_X — choices: …` (codes, not indexes)."""
    sections = document.get("sections", [])
    match = _QUESTION_PATH.match(error)
    if match:
        i, j = int(match.group(1)), int(match.group(2))
        code = sections[i]["questions"][j]["code"]
        rest = error[match.end():].lstrip(".")
        return _("Question %(code)s — %(problem)s") % {"code": code, "problem": rest}
    match = _SECTION_PATH.match(error)
    if match:
        code = sections[int(match.group(1))]["code"]
        rest = error[match.end():].lstrip(".")
        return _("Section %(code)s — %(problem)s") % {"code": code, "problem": rest}
    return error


def survey_publish_problems(survey: Survey) -> list[str]:
    """Everything that forbids publishing `survey`, one readable sentence each ([] = publishable)."""
    problems: list[str] = []
    labels = dict(NOTICE_ELEMENTS)
    for key in PUBLISH_NOTICE_KEYS:
        if not getattr(survey, f"notice_{key}_fr").strip():
            problems.append(_("La notice d'information n'indique pas : %(element)s.") % {"element": labels[key]})
    if not survey.waves.filter(closes_at__gt=timezone.now()).exists():
        problems.append(_("Aucune vague n'est ouverte ni programmée : ajoutez une vague qui n'est pas encore close."))
    document = survey_export(survey)
    if not document.get("sections"):
        problems.append(_("Le questionnaire n'a aucune section."))
        return problems
    for error in validate_document(document, now=_LONG_AGO):
        if error.startswith(("sections", "survey.categories")):
            problems.append(_readable(error, document))
    return problems


def survey_publish(survey: Survey, user: object) -> Survey:
    """Publish `survey` (from draft, or reopen it once closed); raise PublishRefused with the checklist."""
    problems = survey_publish_problems(survey)
    if problems:
        raise PublishRefused(problems)
    return _set_status(survey, SurveyStatus.PUBLISHED, user, "survey_publish")


def survey_close(survey: Survey, user: object) -> Survey:
    """Stop answering: every public URL shows "this survey is closed" (410); results stay."""
    return _set_status(survey, SurveyStatus.CLOSED, user, "survey_close")


def _set_status(survey: Survey, status: str, user: object, action: str) -> Survey:
    previous = survey.status
    Survey.objects.filter(pk=survey.pk).update(status=status)
    survey.status = status
    audit(user, action, survey.slug, previous=previous)
    return survey
