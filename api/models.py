"""API tokens, idempotency keys, webhooks, their deliveries and the per-call audit trail.

A token's secret is shown once and only its SHA-256 is stored (like participants' tokens); a
webhook's signing secret must be stored as is, since the server computes the HMAC with it.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from surveys.models import Survey

TOKEN_PREFIX = "ecoute_"


class Scope(models.TextChoices):
    RESULTS_READ = "results:read", _("lire les résultats (indicateurs)")
    MICRODATA_READ = "microdata:read", _("lire les microdonnées")
    QUESTIONNAIRE_WRITE = "questionnaire:write", _("modifier le questionnaire")
    PARTICIPANTS_WRITE = "participants:write", _("importer des participants")


class Event(models.TextChoices):
    RESPONSE_COMPLETED = "response.completed", _("réponse complète")
    WAVE_CLOSED = "wave.closed", _("vague close")
    PUBLICATION_RELEASED = "publication.released", _("publication diffusée")


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal access token: the owner's rights, narrowed to some scopes and surveys."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("nom"), max_length=100)
    prefix = models.CharField(max_length=16, editable=False)  # shown in lists, never enough to use it
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list)
    surveys = models.ManyToManyField(Survey, related_name="api_tokens", verbose_name=_("enquêtes"))
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expiration"))
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("jeton d'API")
        verbose_name_plural = _("jetons d'API")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def new_secret() -> str:
        return TOKEN_PREFIX + secrets.token_urlsafe(32)

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now


class IdempotencyKey(models.Model):
    """The first result of a POST with an ``Idempotency-Key``: a repeat returns it, writes nothing."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="idempotency_keys")
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    body = models.BinaryField(default=b"")
    content_type = models.CharField(max_length=100, default="application/json")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "key"], name="idempotency_key_unique_per_token")]


class Webhook(models.Model):
    """A URL a designer registered for some events of one survey."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="webhooks", verbose_name=_("enquête"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   related_name="webhooks")
    url = models.URLField(_("adresse"), max_length=500)
    events = models.JSONField(default=list)
    secret = models.CharField(max_length=100, editable=False)
    microdata = models.BooleanField(_("avec les réponses (portée microdata:read)"), default=False)
    active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["survey", "url"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return f"{self.survey.slug} → {self.url}"

    @staticmethod
    def new_secret() -> str:
        return "whsec_" + secrets.token_urlsafe(32)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("en attente")
    DELIVERED = "delivered", _("livrée")
    FAILED = "failed", _("abandonnée")


class Delivery(models.Model):
    """One event for one webhook, with its attempts (retried with backoff until delivered)."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, choices=Event.choices)
    event_key = models.CharField(max_length=120)  # "response.completed:<id>": one delivery per event
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("envoi de webhook")
        verbose_name_plural = _("envois de webhook")
        constraints = [models.UniqueConstraint(fields=["webhook", "event_key"], name="one_delivery_per_event")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]


class ApiCall(models.Model):
    """Audit of every API call: who (token), what (method, path), the answer's status. No data."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    token = models.ForeignKey(ApiToken, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls")
    actor = models.CharField(max_length=150, blank=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    status = models.PositiveSmallIntegerField()
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("appel d'API")
        verbose_name_plural = _("appels d'API")
