"""Questionnaire versions (issue 18): the questionnaire each wave used, frozen as a JSON snapshot.

A version holds the survey's questionnaire in the export format (`services.import_export`),
without its waves: texts in both languages, scales, choices, conditions, targeting. A wave points
at the version frozen when it opened; a response at the version it answered. Imported from
`surveys.models` so that Django sees these models as the app's own.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class QuestionnaireVersion(models.Model):
    """One frozen state of a survey's questionnaire (numbered 1, 2, … per survey)."""

    survey = models.ForeignKey("surveys.Survey", on_delete=models.CASCADE, related_name="versions",
                               verbose_name=_("enquête"))
    number = models.PositiveIntegerField(_("numéro"))
    snapshot = models.JSONField(_("questionnaire figé"))
    digest = models.CharField(max_length=64, editable=False)  # sha256 of the snapshot, to reuse an equal one
    created_at = models.DateTimeField(default=timezone.now)
    corrections = models.JSONField(_("corrections mineures"), default=list, blank=True)

    class Meta:
        ordering = ["survey", "number"]
        verbose_name = _("version du questionnaire")
        verbose_name_plural = _("versions du questionnaire")
        constraints = [models.UniqueConstraint(fields=["survey", "number"], name="version_number_unique_per_survey")]

    def __str__(self) -> str:
        return f"{self.survey.slug} · v{self.number}"


class BreakDecision(models.Model):
    """A designer's ruling on a reworded question between two versions: a break, or harmless."""

    BREAK = "break"
    HARMLESS = "harmless"
    DECISIONS = [(BREAK, _("rupture de série")), (HARMLESS, _("sans effet sur la comparaison"))]

    version_a = models.ForeignKey(QuestionnaireVersion, on_delete=models.CASCADE, related_name="+")
    version_b = models.ForeignKey(QuestionnaireVersion, on_delete=models.CASCADE, related_name="+")
    question = models.CharField(_("question"), max_length=40)
    decision = models.CharField(_("décision"), max_length=10, choices=DECISIONS)
    reason = models.TextField(_("motif"))
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("décision de comparabilité")
        verbose_name_plural = _("décisions de comparabilité")
        constraints = [models.UniqueConstraint(fields=["version_a", "version_b", "question"],
                                               name="one_break_decision_per_pair_question")]
