"""A survey's outline for the workbench: sections and questions in order, moved up or down, removed.

Order is what respondents meet, and conditions may only name questions of earlier sections (the
importer's rule): so a move or a removal that would leave a condition on a later, or vanished,
question is refused and rolled back, with the importer's own messages. Positions are renumbered
1..n at every move, so rows imported or created with equal orders still move one step at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.db.models import Max, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Choice, Question, Section, Survey
from .import_export import survey_export, validate_document
from .versions import freeze_started_waves, open_waves

UP, DOWN = "up", "down"
_LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)  # wave checks belong to the publish checklist, not here


class OutlineRefused(ValueError):
    """The change would break the questionnaire; `.problems` says how (nothing was written)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class OutlineSection:
    section: Section
    questions: list[Question]
    shown: bool  # for the category looked at (always True when none is chosen)


def survey_outline(survey: Survey, category: str | None = None) -> list[OutlineSection]:
    """Sections with their questions, in order; `shown` marks what a respondent of `category` gets."""
    questions = Prefetch("questions", Question.objects.order_by("order", "id").select_related("channel")
                         .prefetch_related("categories", Prefetch("choices", Choice.objects.order_by("order", "id"))))
    sections = survey.sections.order_by("order", "id").prefetch_related("categories", questions)
    out = []
    for section in sections:
        qs = list(section.questions.all())
        for q in qs:
            q.shown = category is None or q.applies_to(category)
        out.append(OutlineSection(section, qs, category is None or section.applies_to(category)))
    return out


def next_order(queryset: QuerySet) -> int:
    """The position after the last row of `queryset` (1 for the first)."""
    return (queryset.aggregate(m=Max("order"))["m"] or 0) + 1


def _structure_problems(survey: Survey) -> set[str]:
    return {e for e in validate_document(survey_export(survey), now=_LONG_AGO)
            if e.startswith("sections") and ".condition" in e}


def _guarded(survey: Survey, change: Callable[[], None]) -> None:
    """Run `change` in a transaction; undo it if it adds a condition problem to the survey."""
    before = _structure_problems(survey)
    with transaction.atomic():
        change()
        added = sorted(_structure_problems(survey) - before)
        if added:
            transaction.set_rollback(True)
    if added:
        raise OutlineRefused(added)


def _swap(rows: list, index: int, direction: str) -> None:
    other = index - 1 if direction == UP else index + 1
    if other < 0 or other >= len(rows):
        return
    rows[index], rows[other] = rows[other], rows[index]
    for position, row in enumerate(rows, start=1):
        if row.order != position:
            type(row).objects.filter(pk=row.pk).update(order=position)
            row.order = position
    # a queryset update sends no signal: bump the survey's updated_at, the questionnaire's cache key
    Survey.objects.filter(pk=rows[index].survey_id).update(updated_at=timezone.now())


def _refuse_if_in_use(survey: Survey) -> None:
    """A move changes the order respondents meet: not while an open wave uses the questionnaire
    (issue 18); closed waves are frozen first, since a queryset update sends no pre_save signal."""
    freeze_started_waves(survey)
    waves = open_waves(survey)
    if waves:
        raise OutlineRefused([_("la vague « %(wave)s » est ouverte : l'ordre du questionnaire qu'elle utilise est "
                                "figé jusqu'à sa clôture") % {"wave": waves[0].label or waves[0].code}])


def move_section(section: Section, direction: str) -> None:
    """Move a section one place up or down; OutlineRefused if a condition would then look ahead."""
    _refuse_if_in_use(section.survey)
    rows = list(Section.objects.filter(survey_id=section.survey_id).order_by("order", "id"))
    index = next(i for i, s in enumerate(rows) if s.pk == section.pk)
    _guarded(section.survey, lambda: _swap(rows, index, direction))


def move_question(question: Question, direction: str) -> None:
    """Move a question one place up or down within its section (conditions never name the same section)."""
    _refuse_if_in_use(question.survey)
    rows = list(Question.objects.filter(section_id=question.section_id).order_by("order", "id"))
    index = next(i for i, q in enumerate(rows) if q.pk == question.pk)
    with transaction.atomic():
        _swap(rows, index, direction)


def _refuse_if_answered(survey: Survey) -> None:
    if survey.has_responses():
        raise OutlineRefused([
            "this survey already has responses: its questions and sections stay (answers refer to them)"])


def delete_question(question: Question) -> None:
    """Remove a question unless answers or another element's condition refer to it."""
    _refuse_if_answered(question.survey)
    _guarded(question.survey, question.delete)


def delete_section(section: Section) -> None:
    """Remove a section and its questions unless answers or a later condition refer to them."""
    _refuse_if_answered(section.survey)
    _guarded(section.survey, section.delete)
