"""The review page's content: every step the respondent has, with each answer as they would read it.

Why a service: what is shown before submission follows the same visibility rules as the run
(:mod:`surveys.services.responses`); the wizard view only renders it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from ..answers import DONT_KNOW, SATISFACTION_LABELS, StoredAnswer, scale_choices
from ..models import QuestionType, Section, tr
from .responses import answers_for_logic, visible_questions, visible_sections


def display_answer(question: Any, answer: StoredAnswer | None) -> str:
    """An answer as the respondent would read it on the review page."""
    if answer is None:
        return _("Pas de réponse")
    if answer.dont_know:
        return _("Ne sait pas / non concerné")
    if question.type == QuestionType.SATISFACTION and answer.value is not None:
        return f"{int(answer.value)} – {SATISFACTION_LABELS[int(answer.value)]}"
    if question.type in (QuestionType.SCALE, QuestionType.NPS) and answer.value is not None:
        return f"{int(answer.value)} / 10"
    if question.type == QuestionType.NUMBER and answer.value is not None:
        return f"{answer.value:g}"
    labels = {c.code: tr(c, "label") for c in question.choices.all()}
    if question.type == QuestionType.SINGLE:
        return labels.get(answer.text, answer.text)
    if question.type == QuestionType.MULTIPLE:
        return ", ".join(labels.get(c, c) for c in answer.codes or [])
    if question.type == QuestionType.MATRIX:
        ratings = dict(scale_choices(question))  # "4" → "4 – Plutôt satisfait", and "nsp"
        given = answer.codes or {}
        return _(" ; ").join(
            _("%(item)s : %(rating)s") % {"item": labels[code], "rating": ratings.get(
                DONT_KNOW if given[code] == DONT_KNOW else str(int(given[code])), str(given[code]))}
            for code in labels if code in given)  # in the questionnaire's order of the items
    return answer.text


def review_rows(structure: list[Section], category: str | None, answers: Mapping[str, StoredAnswer],
                slug: str) -> list[dict[str, Any]]:
    """Every visible step with its questions, the answer given and the step's URL."""
    logic = answers_for_logic(structure, answers)
    rows = []
    for section in visible_sections(structure, category, logic):
        items = [{"question": q, "answer": display_answer(q, answers.get(q.code))}
                 for q in visible_questions(section, category, logic)]
        rows.append({"section": section, "items": items,
                     "url": reverse("surveys:step", kwargs={"slug": slug, "step": section.code})})
    return rows
