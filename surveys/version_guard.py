"""Editing the questionnaire while a wave is open (issue 18): the forms' check, the admin's actor,
and the signals that freeze waves before an edit and log a minor correction after it.

Any designer form (the admin's and the workbench's survey, section, question and choice forms)
mixes in `OpenWaveEditMixin`: it adds the « correction mineure » checkbox and its reason, and
refuses other edits with the reason why (`services.versions.open_wave_refusal`). A survey form
guards only what the questionnaire snapshot holds (`SURVEY_FIELDS`: slug, texts respondents
read, categories), not its notice or administrative settings.
"""

from __future__ import annotations

from django import forms
from django.db.models.signals import post_save, pre_save
from django.utils.translation import gettext_lazy as _

from .models import Choice, Question, Section, Survey
from .services.versions import SURVEY_FIELDS, freeze_started_waves, open_wave_refusal, record_minor_correction

GUARD_FIELDS = ("minor_correction", "correction_reason")


def _survey_of(instance: object) -> Survey | None:
    if isinstance(instance, Survey):
        return instance if instance.pk else None
    if isinstance(instance, Choice):
        return instance.question.survey if instance.question_id else None
    if isinstance(instance, Question) and not instance.survey_id and instance.section_id:
        return instance.section.survey
    return getattr(instance, "survey", None) if getattr(instance, "survey_id", None) else None


class OpenWaveEditMixin(forms.Form):
    """Refuses a questionnaire edit while a wave is open, unless it is a logged minor correction."""

    minor_correction = forms.BooleanField(
        label=_("correction mineure"), required=False,
        help_text=_("Faute de frappe corrigée sans changer le sens, pendant une vague ouverte (consignée)."))
    correction_reason = forms.CharField(label=_("motif de la correction"), required=False, max_length=300)
    #: the fields the rule covers (None: all the form's)
    guarded_fields: frozenset[str] | None = None

    def guarded_changes(self) -> set[str]:
        """What this post changes in the questionnaire (a workbench form adds its built condition)."""
        changed = set(self.changed_data) - set(GUARD_FIELDS)
        return changed if self.guarded_fields is None else changed & self.guarded_fields

    def correction(self, cleaned: dict) -> tuple[bool, str]:
        """(minor correction?, reason): this form's own fields, unless a parent form decides."""
        return bool(cleaned.get("minor_correction")), cleaned.get("correction_reason", "")

    def clean(self):
        cleaned = super().clean()
        survey = _survey_of(self.instance)
        if survey is None:
            section = cleaned.get("section") or (cleaned.get("question") and cleaned["question"].section)
            survey = cleaned.get("survey") or (section.survey if section else None)
        changed = self.guarded_changes()
        is_new = self.instance.pk is None and bool(changed)
        minor, reason = self.correction(cleaned)
        refusal = open_wave_refusal(survey, changed, is_new=is_new, minor=minor, reason=reason)
        if refusal is not None:
            self.add_error(refusal[0], refusal[1])
        elif minor and changed and survey is not None:
            self.instance._version_correction = reason.strip()
        return cleaned


class VersionedAdminMixin:
    """Tells the correction log who saved (the admin's request user)."""

    def save_model(self, request, obj, form, change) -> None:
        obj._version_actor = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change) -> None:
        for f in formset.forms:
            f.instance._version_actor = request.user
        super().save_formset(request, form, formset, change)


def _before_save(sender, instance, **kwargs) -> None:
    """Waves that have opened keep the questionnaire as it was before this edit."""
    survey = _survey_of(instance)
    if survey is not None and (instance.pk is not None or survey.has_responses()):
        freeze_started_waves(survey)


def _after_save(sender, instance, **kwargs) -> None:
    reason = getattr(instance, "_version_correction", None)
    survey = _survey_of(instance)
    if reason and survey is not None:
        record_minor_correction(survey, getattr(instance, "_version_actor", "admin"), reason)
        instance._version_correction = None


def connect_version_signals() -> None:
    for model in (Survey, Section, Question, Choice):
        pre_save.connect(_before_save, sender=model, dispatch_uid=f"version_freeze_{model.__name__}")
        post_save.connect(_after_save, sender=model, dispatch_uid=f"version_correction_{model.__name__}")
