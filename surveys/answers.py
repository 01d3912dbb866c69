"""How an answer is represented: posted values → stored answers → values for display conditions,
and back to posted values to resume a questionnaire.

Why a module of its own: services (responses, validation, imports, exports) need the representation
(the "don't know" code, :class:`StoredAnswer`) without depending on forms; the step form
(:class:`surveys.forms.SectionForm`) builds its fields from the same names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from .models import Choice, Question, QuestionType

DONT_KNOW = "nsp"

SATISFACTION_LABELS = {
    1: _("Très insatisfait"),
    2: _("Plutôt insatisfait"),
    3: _("Ni satisfait ni insatisfait"),
    4: _("Plutôt satisfait"),
    5: _("Très satisfait"),
}


@dataclass(frozen=True)
class StoredAnswer:
    """What one question's answer becomes in the Answer table."""

    value: float | None = None
    text: str = ""
    codes: Any = None
    dont_know: bool = False

    def is_empty(self) -> bool:
        return self.value is None and not self.text and not self.codes and not self.dont_know


def scale_choices(question: Question) -> list[tuple[str, str]]:
    """A scored question's (value, label) pairs: "4" → "4 – Plutôt satisfait" on satisfaction
    scales and matrices, the bare number elsewhere, and don't-know when offered."""
    low, high = question.scale_range or (1, 5)
    if question.type in (QuestionType.SATISFACTION, QuestionType.MATRIX):
        choices = [(str(v), f"{v} – {SATISFACTION_LABELS[v]}") for v in range(low, high + 1)]
    else:
        choices = [(str(v), str(v)) for v in range(low, high + 1)]
    if question.allow_dont_know:
        choices.append((DONT_KNOW, str(_("Ne sait pas / non concerné"))))
    return choices


def matrix_field_name(question: Question, item: Choice) -> str:
    """The form field (and posted key, after the step prefix) of one matrix item."""
    return f"{question.code}__{item.code}"


def cleaned_to_answers(questions: Iterable[Question], data: Mapping[str, Any]) -> dict[str, StoredAnswer]:
    """Turn a step's cleaned data into StoredAnswers keyed by question code."""
    answers: dict[str, StoredAnswer] = {}
    for q in questions:
        if q.type == QuestionType.MATRIX:
            items = {}
            for item in q.choices.all():
                raw = data.get(matrix_field_name(q, item))
                if raw == DONT_KNOW:  # kept, as data: exported as the item's reserved code
                    items[item.code] = DONT_KNOW
                elif raw not in (None, ""):
                    items[item.code] = int(raw)
            answer = StoredAnswer(codes=items or None)
        else:
            raw = data.get(q.code)
            if raw in (None, "", []):
                continue
            if raw == DONT_KNOW:
                answer = StoredAnswer(dont_know=True)
            elif q.type in (QuestionType.SATISFACTION, QuestionType.SCALE, QuestionType.NPS):
                answer = StoredAnswer(value=float(int(raw)))
            elif q.type == QuestionType.NUMBER:
                answer = StoredAnswer(value=float(raw))
            elif q.type == QuestionType.SINGLE:
                answer = StoredAnswer(text=str(raw))
            elif q.type == QuestionType.MULTIPLE:
                answer = StoredAnswer(codes=list(raw))
            else:
                answer = StoredAnswer(text=str(raw))
        if not answer.is_empty():
            answers[q.code] = answer
    return answers


def answers_to_data(questions: Iterable[Question], answers: Mapping[str, Any], prefix: str) -> dict[str, list[str]]:
    """Rebuild the posted data of a step from stored Answer rows (to resume a questionnaire)."""
    data: dict[str, list[str]] = {}
    for q in questions:
        answer = answers.get(q.code)
        if answer is None:
            continue
        if q.type == QuestionType.MATRIX:
            for item_code, score in (answer.codes or {}).items():
                data[f"{prefix}-{q.code}__{item_code}"] = [DONT_KNOW if score == DONT_KNOW else str(int(score))]
        elif answer.dont_know:
            data[f"{prefix}-{q.code}"] = [DONT_KNOW]
        elif q.type in (QuestionType.SATISFACTION, QuestionType.SCALE, QuestionType.NPS):
            data[f"{prefix}-{q.code}"] = [str(int(answer.value))]
        elif q.type == QuestionType.NUMBER:
            value = answer.value
            data[f"{prefix}-{q.code}"] = [str(int(value)) if float(value).is_integer() else str(value)]
        elif q.type == QuestionType.MULTIPLE:
            data[f"{prefix}-{q.code}"] = [str(c) for c in (answer.codes or [])]
        else:
            data[f"{prefix}-{q.code}"] = [answer.text]
    return data


def answer_for_logic(question_type: str, answer: StoredAnswer) -> Any:
    """The value a display condition compares: a number, a code, or a list of codes."""
    if answer.dont_know:
        return None
    if answer.value is not None:
        return answer.value
    if question_type == QuestionType.MULTIPLE:
        return answer.codes or []
    return answer.text or None
