"""The admin's forms: the importer's checks (services.validation) shown as errors next to each field.

A question, section or choice the JSON importer would refuse cannot be saved from the admin either:
a malformed or duplicate code, a condition on an unknown or later question, bounds on a
non-number question, a choice question left without choices. Nothing then reaches the database's
constraints, so a mistake is a form error, never a 500.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from .logic import ConditionError, validate_condition
from .version_guard import OpenWaveEditMixin
from .services.versions import SURVEY_FIELDS
from .models import Participant, Question, Section, Survey
from .services.validation import (
    choice_code_problems, choices_missing_message, needs_choices, question_problems, section_problems,
)

LOCKED_MESSAGE = _(
    "Cette enquête a déjà des réponses : on ne peut plus supprimer ses questions ni changer leur code ou "
    "leur type (les réponses et les exports y renvoient). Le libellé reste modifiable."
)
QUESTION_CHECKED = ("code", "type", "allow_dont_know", "min_value", "max_value", "max_length", "threshold",
                    "condition")


class ConditionField(forms.JSONField):
    """A JSON condition validated by `surveys.logic` with a message naming the bad element."""

    def validate(self, value):
        super().validate(value)
        try:
            validate_condition(value)
        except ConditionError as exc:
            raise forms.ValidationError(str(exc)) from exc


def _add_problems(form: forms.Form, problems: dict[str, list[str]]) -> None:
    for field, messages in problems.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


class QuestionAdminForm(OpenWaveEditMixin, forms.ModelForm):  # issue 18: OpenWaveEditMixin
    condition = ConditionField(required=False, label=_("condition d'affichage"))

    class Meta:
        model = Question
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        instance = self.instance
        section = cleaned.get("section")
        if instance.pk and section is not None and section.survey_id != instance.survey_id:
            self.add_error("section", _("Une question ne change pas d'enquête : choisissez une section de la même enquête."))
        if instance.pk and instance.survey_id and instance.survey.has_responses():
            for name in ("code", "type"):
                if name in self.changed_data:
                    self.add_error(name, LOCKED_MESSAGE)
        if (section is not None and section.survey_id and cleaned.get("code") and cleaned.get("type")
                and not self.errors.get("condition")):
            data = {name: cleaned[name] if name in self.fields else getattr(instance, name, None)
                    for name in QUESTION_CHECKED if name in cleaned or name not in self.fields}
            _add_problems(self, question_problems(section.survey, section, data, instance.pk))
        return cleaned


class QuestionInlineForm(QuestionAdminForm):
    """A question edited on its section's page, where its choices cannot be entered."""

    def clean(self):
        cleaned = super().clean()
        qtype = cleaned.get("type")
        if needs_choices(qtype) and not (self.instance.pk and self.instance.choices.exists()):
            self.add_error("type", _("%(problem)s : créez-la depuis la page « Questions », où l'on saisit ses "
                                     "modalités.") % {"problem": choices_missing_message(qtype)})
        return cleaned


class QuestionFormSet(BaseInlineFormSet):
    """Two rows of one post may not share a question code (the database would refuse the second)."""

    def clean(self):
        super().clean()
        seen: set[str] = set()
        for form in self.forms:
            code = getattr(form, "cleaned_data", {}).get("code")
            if not code or form.cleaned_data.get("DELETE"):
                continue
            if code in seen:
                form.add_error("code", f'duplicate question code "{code}"')
            seen.add(code)


class ChoiceInlineForm(OpenWaveEditMixin, forms.ModelForm):  # issue 18: open-wave guard
    def clean_code(self) -> str:
        code = self.cleaned_data.get("code", "")
        problems = choice_code_problems(code)
        if problems:
            raise forms.ValidationError(problems)
        return code


class ChoiceFormSet(BaseInlineFormSet):
    """A single, multiple or matrix question keeps at least one choice (row)."""

    def clean(self):
        super().clean()
        qtype = getattr(self.instance, "type", None)
        if not needs_choices(qtype):
            return
        existing = set(self.instance.choices.values_list("pk", flat=True)) if self.instance.pk else set()
        deleted, added = set(), 0
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if data.get("DELETE") and form.instance.pk:
                deleted.add(form.instance.pk)
            elif not form.instance.pk and data.get("code") and not data.get("DELETE"):
                added += 1
        if not (existing - deleted) and not added:
            raise forms.ValidationError(choices_missing_message(qtype))


class SectionAdminForm(OpenWaveEditMixin, forms.ModelForm):  # issue 18: open-wave guard
    condition = ConditionField(required=False, label=_("condition d'affichage"))

    class Meta:
        model = Section
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        instance = self.instance
        survey = cleaned.get("survey") if "survey" in self.fields else getattr(instance, "survey", None)
        if instance.pk and survey is not None and survey.pk != instance.survey_id and instance.questions.exists():
            self.add_error("survey", _("Une section qui a des questions ne change pas d'enquête."))
        if survey is not None and survey.pk and not self.errors.get("condition"):
            condition = cleaned.get("condition") if "condition" in self.fields else instance.condition
            order = cleaned.get("order", instance.order) or 0
            _add_problems(self, section_problems(survey, cleaned.get("code") or "", order, condition, instance.pk))
        return cleaned


class SurveyAdminForm(OpenWaveEditMixin, forms.ModelForm):  # issue 18: the texts respondents read are guarded
    guarded_fields = SURVEY_FIELDS

    class Meta:
        model = Survey
        fields = "__all__"


class ParticipantAdminForm(forms.ModelForm):
    class Meta:
        model = Participant
        # the sending state is the send service's to keep (surveys/services/sending.py), not typed in
        exclude = ["token_hash", "message_id", "send_failures"]

    def clean(self):
        cleaned = super().clean()
        survey, wave = cleaned.get("survey"), cleaned.get("wave")
        if survey is not None and wave is not None and wave.survey_id != survey.pk:
            self.add_error("wave", _("Cette vague n'appartient pas à l'enquête choisie."))
        return cleaned
