"""Weighting runs: who weighted which wave, how, with which margins, and the weights it gave.

A wave has at most one *active* run (a partial unique constraint); its weights are the ones
copied into ``Response.weight``, which every dashboard and export reads. Earlier runs stay for
audit. ``RunWeight`` keeps one weight per response and run (composite key, written in bulk by
:mod:`analysis.weight_store`); erasing a response erases its weights too.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from surveys.models import Response, Wave


class WeightingMethod(models.TextChoices):
    POSTSTRAT = "poststrat", _("post-stratification")
    RAKING = "raking", _("calage sur marges (raking)")
    LINEAR = "linear", _("calage linéaire")
    LOGIT = "logit", _("calage logit")


class MarginsSource(models.TextChoices):
    FILE = "file", _("fichier CSV")
    FRAME = "frame", _("base d'invitation")


class WeightingRun(models.Model):
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="weighting_runs", verbose_name=_("vague"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("lancé par"))
    created_by_name = models.CharField(_("lancé par (nom)"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("date"), auto_now_add=True)
    method = models.CharField(_("méthode"), max_length=12, choices=WeightingMethod.choices)
    # a list of {variable, category, target} rows in file order (JSONB would not keep key order)
    margins = models.JSONField(_("marges"))
    margins_source = models.CharField(_("origine des marges"), max_length=8, choices=MarginsSource.choices,
                                      default=MarginsSource.FILE)
    bound_low = models.FloatField(_("borne basse"), null=True, blank=True)
    bound_high = models.FloatField(_("borne haute"), null=True, blank=True)
    converged = models.BooleanField(_("convergé"), default=True)
    iterations = models.PositiveIntegerField(_("itérations"), default=0)
    max_error = models.FloatField(_("écart relatif maximal aux marges"), default=0.0)
    n = models.PositiveIntegerField(_("réponses pondérées"), default=0)
    diagnostics = models.JSONField(_("diagnostics"), default=dict)
    is_active = models.BooleanField(_("active"), default=False)

    class Meta:
        verbose_name = _("pondération")
        verbose_name_plural = _("pondérations")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["wave"], condition=Q(is_active=True), name="one_active_weighting_per_wave"),
            models.CheckConstraint(condition=Q(bound_low__isnull=True) | Q(bound_low__gte=0),
                                   name="weighting_bound_low_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.wave} · {self.get_method_display()} · {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def bounds(self) -> tuple[float, float] | None:
        if self.bound_low is None or self.bound_high is None:
            return None
        return (self.bound_low, self.bound_high)

    @property
    def targets(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for row in self.margins:
            out.setdefault(row["variable"], {})[row["category"]] = row["target"]
        return out

    @property
    def variables(self) -> list[str]:
        return list(self.targets)


class RunWeight(models.Model):
    pk = models.CompositePrimaryKey("run", "response")
    # The composite key's index starts with run_id: no second index on it. No database-level
    # foreign keys: a million deferred per-row checks at commit cost more than the COPY itself;
    # Django's collector still cascades the ORM deletes (a run, an erased or purged response).
    run = models.ForeignKey(WeightingRun, on_delete=models.CASCADE, related_name="weights", db_index=False,
                            db_constraint=False)
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    weight = models.FloatField()

    class Meta:
        verbose_name = _("poids")
        verbose_name_plural = _("poids")
