"""One validation for the questionnaire: the JSON importer's checks, run by every admin form too.

What `import_export.validate_document` refuses in a file (a malformed code, a condition on an
unknown or later question, a comparison on a non-numeric question, bounds on a non-number question,
a choice question without choices, a duplicate code) must be refused in the admin as well, as a
form error next to the field. These functions run the importer's own validator (`_Validator`) on
the one element a form edits, with the survey's other questions read from the database, and
return the importer's messages keyed by form field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Q

from ..answers import DONT_KNOW
from ..models import Question, Section, Survey
from .import_export import (
    CHOICE_CODE_RE, QUESTION_CODE_RE, RESERVED_SECTION_CODES, WITH_CHOICES, _Stop, _Validator,
)

Earlier = Mapping[str, tuple[str, set[str]]]
_PATH = "question"


def _run(check) -> list[str]:
    validator = _Validator()
    try:
        check(validator)
    except _Stop:
        pass
    return validator.errors


def _by_field(errors: list[str], default: str) -> dict[str, list[str]]:
    """`question.max_value: must be…` → {"max_value": ["must be…"]}; other paths go to `default`."""
    out: dict[str, list[str]] = {}
    for error in errors:
        path, _sep, message = error.partition(": ")
        head, _dot, rest = path.partition(".")
        field = rest.split(".")[0].split("[")[0] if head == _PATH and rest else default
        if field == "condition":
            message = error.removeprefix(f"{_PATH}.")  # the nested path says which part is wrong
        out.setdefault(field, []).append(message)
    return out


def questions_before(survey_id: int, order: int, section_id: int | None) -> dict[str, tuple[str, set[str]]]:
    """Questions of the sections shown before a section at (`order`, `section_id`): what a condition
    may name (the importer's rule: conditions read earlier sections only), with their choice codes."""
    earlier = Q(order__lt=order)
    if section_id is not None:
        earlier |= Q(order=order, id__lt=section_id)
    else:
        earlier |= Q(order=order)
    sections = Section.objects.filter(earlier, survey_id=survey_id)
    questions = Question.objects.filter(section__in=sections).prefetch_related("choices")
    return {q.code: (q.type, {c.code for c in q.choices.all()}) for q in questions}


def condition_problems(condition: Any, earlier: Earlier) -> list[str]:
    """The importer's verdict on a display condition (well formed, on earlier questions, valid codes)."""
    if condition is None:
        return []
    return _run(lambda v: v.condition(condition, "condition", earlier))


def question_problems(survey: Survey, section: Section, data: Mapping[str, Any],
                      instance_pk: int | None = None) -> dict[str, list[str]]:
    """Problems of a question as a form would save it, keyed by field (code, type options, condition)."""
    code, qtype = data.get("code") or "", data.get("type")

    def check(v: _Validator) -> None:
        if v.code(code, f"{_PATH}.code", QUESTION_CODE_RE, 40, "question code") and "__" in code:
            v.error(f"{_PATH}.code", f'"{code}": "__" is reserved (matrix item fields)')
        if qtype:
            v.type_options({k: data.get(k) for k in ("allow_dont_know", "min_value", "max_value", "max_length",
                                                     "threshold")}, _PATH, qtype)
        if data.get("condition") is not None:
            v.condition(data["condition"], f"{_PATH}.condition",
                        questions_before(survey.pk, section.order, section.pk))

    problems = _by_field(_run(check), "code")
    if code and Question.objects.filter(survey=survey, code=code).exclude(pk=instance_pk).exists():
        problems.setdefault("code", []).append(f'duplicate question code "{code}" (already in this survey)')
    return problems


def section_problems(survey: Survey, code: str, order: int, condition: Any,
                     instance_pk: int | None = None) -> dict[str, list[str]]:
    """Problems of a section: a code the wizard reserves, a condition the importer would refuse."""
    problems: dict[str, list[str]] = {}
    if code in RESERVED_SECTION_CODES:
        problems["code"] = [f'"{code}" is reserved by the questionnaire wizard']
    errors = condition_problems(condition, questions_before(survey.pk, order, instance_pk))
    if errors:
        problems["condition"] = errors
    return problems


def choice_code_problems(code: str) -> list[str]:
    """A choice code as the importer accepts it (and never the reserved don't-know code)."""
    errors = [e.partition(": ")[2] for e in _run(lambda v: v.code(code, "code", CHOICE_CODE_RE, 40, "choice code"))]
    if code == DONT_KNOW:
        errors.append(f'"{DONT_KNOW}" is reserved for "don\'t know" (use allow_dont_know)')
    return errors


def needs_choices(qtype: str | None) -> bool:
    return qtype in WITH_CHOICES


def choices_missing_message(qtype: str) -> str:
    what = "items (rows)" if qtype == "matrix" else "choices"
    return f"a {qtype} question needs {what}"
