"""One generic form class for every questionnaire step, built from the step's questions.

Only this module knows how a question maps to form fields (field names, "don't know" values,
matrix items) and back to stored answers, so the wizard, the resume code and the review page
all go through `SectionForm`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Choice, Question, QuestionType, UserCategory, tr

DONT_KNOW = "nsp"
TEXT_DEFAULT_MAX = 2000

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


def _scale_choices(question: Question) -> list[tuple[str, str]]:
    low, high = question.scale_range or (1, 5)
    if question.type in (QuestionType.SATISFACTION, QuestionType.MATRIX):
        choices = [(str(v), f"{v} – {SATISFACTION_LABELS[v]}") for v in range(low, high + 1)]
    else:
        choices = [(str(v), str(v)) for v in range(low, high + 1)]
    if question.allow_dont_know:
        choices.append((DONT_KNOW, str(_("Ne sait pas / non concerné"))))
    return choices


class NoNullCharField(forms.CharField):
    """Free text without NUL bytes (PostgreSQL refuses them; they are never meant)."""

    default_error_messages = {"null": _("Ce texte contient un caractère non autorisé.")}

    def to_python(self, value: Any) -> str:
        value = super().to_python(value)
        if "\x00" in value:
            raise forms.ValidationError(self.error_messages["null"], code="null")
        return value


class SectionForm(forms.Form):
    """The form of one step: a field per question (a field per item for a matrix)."""

    required_css_class = "required"

    def __init__(self, *args: Any, questions: Iterable[Question] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for question in self.questions:
            for name, field in self._fields_for(question):
                self.fields[name] = field

    # -- building -------------------------------------------------------------------------
    def _fields_for(self, q: Question) -> list[tuple[str, forms.Field]]:
        label = tr(q, "text")
        help_text = tr(q, "help")
        required = q.required
        if q.type in (QuestionType.SATISFACTION, QuestionType.SCALE, QuestionType.NPS):
            return [(q.code, forms.ChoiceField(
                label=label, help_text=help_text, required=required, choices=_scale_choices(q),
                widget=forms.RadioSelect,
            ))]
        if q.type == QuestionType.SINGLE:
            choices = [(c.code, tr(c, "label")) for c in q.choices.all()]
            if q.allow_dont_know:
                choices.append((DONT_KNOW, str(_("Ne sait pas / non concerné"))))
            return [(q.code, forms.ChoiceField(
                label=label, help_text=help_text, required=required, choices=choices, widget=forms.RadioSelect,
            ))]
        if q.type == QuestionType.MULTIPLE:
            return [(q.code, forms.MultipleChoiceField(
                label=label, help_text=help_text, required=required,
                choices=[(c.code, tr(c, "label")) for c in q.choices.all()], widget=forms.CheckboxSelectMultiple,
            ))]
        if q.type == QuestionType.TEXT:
            max_length = q.max_length or TEXT_DEFAULT_MAX
            return [(q.code, NoNullCharField(
                label=label, help_text=help_text, required=required, max_length=max_length,
                widget=forms.Textarea(attrs={"rows": 4, "maxlength": max_length}),
            ))]
        if q.type == QuestionType.NUMBER:
            return [(q.code, forms.FloatField(
                label=label, help_text=help_text, required=required,
                min_value=q.min_value, max_value=q.max_value,
                widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
            ))]
        if q.type == QuestionType.MATRIX:
            return [
                (self.matrix_field_name(q, item), forms.ChoiceField(
                    label=tr(item, "label"), required=required, choices=_scale_choices(q), widget=forms.RadioSelect,
                ))
                for item in q.choices.all()
            ]
        raise ValueError(f"unknown question type {q.type!r}")

    @staticmethod
    def matrix_field_name(question: Question, item: Choice) -> str:
        return f"{question.code}__{item.code}"

    # -- rendering helpers ----------------------------------------------------------------
    @cached_property
    def blocks(self) -> list[dict[str, Any]]:
        """Questions with their bound fields, in order, for the step template.

        Radio and checkbox options come as plain dicts (``id``, ``value``, ``label``, ``checked``):
        the template reads each with one dict lookup, where Django's per-option widget objects
        cost a fifth of a step's rendering in the load test's profile.
        """
        out = []
        for q in self.questions:
            if q.type == QuestionType.MATRIX:
                rows = []
                for item in q.choices.all():
                    bf = self[self.matrix_field_name(q, item)]
                    rows.append({"item": item, "field": bf, "name": bf.html_name, "options": _options(bf)})
                out.append({"question": q, "rows": rows, "scale": _scale_choices(q), "kind": "matrix",
                            "errors": [e for row in rows for e in row["field"].errors]})
            else:
                bf = self[q.code]
                # CheckboxSelectMultiple is a subclass of RadioSelect: test it first, or a
                # multiple-choice question renders as radios and takes one answer only.
                kind = "checkbox" if isinstance(bf.field.widget, forms.CheckboxSelectMultiple) else (
                    "radio" if isinstance(bf.field.widget, forms.RadioSelect) else
                    "textarea" if q.type == QuestionType.TEXT else "number")
                block = {"question": q, "field": bf, "kind": kind, "errors": bf.errors}
                if kind in ("radio", "checkbox"):
                    block.update(name=bf.html_name, options=_options(bf))
                out.append(block)
        return out

    # -- answers <-> fields ---------------------------------------------------------------
    def stored_answers(self) -> dict[str, StoredAnswer]:
        """Cleaned data as answers keyed by question code (empty answers omitted)."""
        return cleaned_to_answers(self.questions, self.cleaned_data)


def _options(bf: forms.BoundField) -> list[dict[str, Any]]:
    """A choice field's options with the ids Django's widgets give them (``<auto_id>_<index>``)."""
    value = bf.value()
    selected = {str(v) for v in (value if isinstance(value, (list, tuple)) else [value]) if v is not None}
    auto_id = bf.auto_id
    return [{"id": f"{auto_id}_{i}", "value": str(v), "label": label, "checked": str(v) in selected}
            for i, (v, label) in enumerate(bf.field.choices)]


def cleaned_to_answers(questions: Iterable[Question], data: Mapping[str, Any]) -> dict[str, StoredAnswer]:
    """Turn a step's cleaned data into StoredAnswers keyed by question code."""
    answers: dict[str, StoredAnswer] = {}
    for q in questions:
        if q.type == QuestionType.MATRIX:
            items = {}
            for item in q.choices.all():
                raw = data.get(SectionForm.matrix_field_name(q, item))
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


class CategoryForm(forms.Form):
    """First step of an open link that does not say who the respondent is."""

    category = forms.ModelChoiceField(
        queryset=UserCategory.objects.none(), widget=forms.RadioSelect, empty_label=None, to_field_name="code",
        label=_("Vous êtes…"), error_messages={"required": _("Indiquez la catégorie qui vous correspond le mieux.")},
    )

    def __init__(self, *args: Any, categories: Iterable[UserCategory] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = UserCategory.objects.filter(pk__in=[c.pk for c in categories])
        self.fields["category"].label_from_instance = lambda obj: tr(obj, "label")


class ReviewForm(forms.Form):
    """The review page: nothing to fill, a confirmation to send everything."""
