"""Qualitative analysis of verbatims: stored theme runs, their themes, the codebook and hand codes.

A run is computed once (a background task) and stored, so the themes page opens instantly. Hand
codes belong to the survey's codebook, not to a run: re-running the model never touches them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from surveys.models import Answer, Survey, tr


class RunStatus(models.TextChoices):
    PENDING = "pending", _("en attente")
    RUNNING = "running", _("en cours")
    DONE = "done", _("terminé")
    FAILED = "failed", _("échec")


class ThemeRun(models.Model):
    """One computation of themes for a survey and a set of waves."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="theme_runs")
    waves = models.JSONField(_("vagues"), default=list)
    question = models.CharField(_("question"), max_length=40, blank=True)
    requested_k = models.PositiveSmallIntegerField(_("nombre de thèmes demandé"), null=True, blank=True)
    k = models.PositiveSmallIntegerField(_("nombre de thèmes"), null=True, blank=True)
    seed = models.PositiveIntegerField(default=0)
    stop_words = models.JSONField(_("mots vides ajoutés"), default=list, blank=True)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    n_verbatims = models.PositiveIntegerField(default=0)
    stability = models.JSONField(default=dict, blank=True)
    #: per verbatim, aligned lists: answer id, theme number (-1: none), channel, category, weight
    members = models.JSONField(default=dict, blank=True)
    #: {"dissatisfied": [rows], "channels": {code: [rows]}}, rows = {term, count_in, count_out, delta, z}
    keyness = models.JSONField(default=dict, blank=True)
    weighted = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("calcul de thèmes")
        verbose_name_plural = _("calculs de thèmes")

    def __str__(self) -> str:
        return f"{self.survey.slug} · {','.join(self.waves)} · {self.get_status_display()}"


class Theme(models.Model):
    """A theme of a run; the analyst may rename it, merge it into another or delete (hide) it."""

    run = models.ForeignKey(ThemeRun, on_delete=models.CASCADE, related_name="themes")
    number = models.PositiveSmallIntegerField()
    label_fr = models.CharField(_("libellé (fr)"), max_length=200)
    label_en = models.CharField(_("libellé (en)"), max_length=200, blank=True)
    terms = models.JSONField(default=list)
    size = models.PositiveIntegerField(default=0)
    quotes = models.JSONField(default=list)
    hidden = models.BooleanField(_("supprimé"), default=False)
    merged_into = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged")

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="theme_number_unique_per_run")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return tr(self, "label")


class Code(models.Model):
    """An entry of a survey's codebook (FR/EN labels), which hand codes point at."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="codes")
    label_fr = models.CharField(_("libellé (fr)"), max_length=200)
    label_en = models.CharField(_("libellé (en)"), max_length=200, blank=True)
    description = models.TextField(_("définition"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["label_fr", "id"]
        verbose_name = _("code")
        verbose_name_plural = _("codes")
        constraints = [models.UniqueConstraint(fields=["survey", "label_fr"], name="code_label_unique_per_survey")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return tr(self, "label")


class HandCode(models.Model):
    """An analyst's decision that a verbatim belongs to a code (one verbatim may have several)."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="hand_codes")
    code = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="hand_codes")
    coded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["answer", "code"], name="one_hand_code_per_answer_code")]
