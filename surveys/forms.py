"""One generic form class for every questionnaire step, built from the step's questions.

Only this module knows how a question maps to form fields; how posted values map to stored
answers and back (field names, "don't know" values, matrix items) is :mod:`surveys.answers`, which
the services use without any form. The wizard, the resume code and the review page all go through
`SectionForm`.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .answers import (  # noqa: F401 (re-exported: the answers representation lives in surveys.answers)
    DONT_KNOW,
    SATISFACTION_LABELS,
    StoredAnswer,
    answer_for_logic,
    answers_to_data,
    cleaned_to_answers,
    matrix_field_name,
    scale_choices,
)
from .models import Question, QuestionType, UserCategory, tr

TEXT_DEFAULT_MAX = 2000


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
                label=label, help_text=help_text, required=required, choices=scale_choices(q),
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
                    label=tr(item, "label"), required=required, choices=scale_choices(q), widget=forms.RadioSelect,
                ))
                for item in q.choices.all()
            ]
        raise ValueError(f"unknown question type {q.type!r}")

    matrix_field_name = staticmethod(matrix_field_name)

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
                out.append({"question": q, "rows": rows, "scale": scale_choices(q), "kind": "matrix",
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
