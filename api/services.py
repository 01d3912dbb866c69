"""Creating and revoking tokens and webhooks (the account page calls these; tests too)."""

from __future__ import annotations

from collections.abc import Iterable
import ipaddress
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from surveys.models import Survey, audit
from surveys.permissions import is_designer, surveys_for

from .auth import scopes_allowed
from .models import ApiToken, Event, Webhook, hash_token


def token_create(user, name: str, scopes: Iterable[str], surveys: Iterable[Survey], days: int
                 ) -> tuple[ApiToken, str]:
    """A new token and its secret (shown once, then only its hash is kept).

    Scopes and surveys are those the user holds now; beyond that the token is refused, and
    each call checks the owner's rights again (``api.auth``).
    """
    scopes, surveys = sorted(set(scopes)), list(surveys)
    if not scopes or not surveys:
        raise ValidationError(_("Choisissez au moins une portée et une enquête."))
    if set(scopes) - set(scopes_allowed(user)):
        raise ValidationError(_("Votre rôle ne permet pas cette portée."))
    granted = set(surveys_for(user).values_list("pk", flat=True))
    if any(s.pk not in granted for s in surveys):
        raise ValidationError(_("Cette enquête ne vous est pas attribuée."))
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise ValidationError(_("Durée de validité hors limites."))
    secret = ApiToken.new_secret()
    token = ApiToken.objects.create(user=user, name=name[:100], prefix=secret[:12], key_hash=hash_token(secret),
                                    scopes=scopes, expires_at=timezone.now() + timedelta(days=days))
    token.surveys.set(surveys)
    audit(user, "api_token_create", f"token:{token.pk}", scopes=scopes, surveys=[s.slug for s in surveys], days=days)
    return token, secret


def token_revoke(user, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit(user, "api_token_revoke", f"token:{token.pk}")


def webhook_url_check(url: str) -> None:
    """https only, and no loopback or private address literal (unless WEBHOOK_ALLOW_HTTP: development)."""
    parts = urlsplit(url)
    allowed = ("https", "http") if settings.WEBHOOK_ALLOW_HTTP else ("https",)
    if parts.scheme not in allowed or not parts.hostname:
        raise ValidationError(_("Adresse refusée : https:// obligatoire."))
    if settings.WEBHOOK_ALLOW_HTTP:
        return
    host = parts.hostname.lower()
    try:
        internal = not ipaddress.ip_address(host).is_global
    except ValueError:
        internal = host == "localhost" or host.endswith((".localhost", ".local", ".internal"))
    if internal:
        raise ValidationError(_("Adresse refusée : adresse interne."))


def webhook_create(user, survey: Survey, url: str, events: Iterable[str], microdata: bool = False
                   ) -> tuple[Webhook, str]:
    """Register a URL for some events of a survey (designers of that survey); returns its secret."""
    from analysis.views import may_export_microdata

    events = sorted(set(events))
    if not (user.is_staff and is_designer(user)) or not surveys_for(user).filter(pk=survey.pk).exists():
        raise ValidationError(_("Seule l'équipe de conception de l'enquête enregistre ses webhooks."))
    if not events or set(events) - set(Event.values):
        raise ValidationError(_("Choisissez au moins un événement."))
    if microdata and not may_export_microdata(user):
        raise ValidationError(_("Votre rôle ne permet pas d'envoyer les réponses."))
    webhook_url_check(url)
    secret = Webhook.new_secret()
    hook = Webhook.objects.create(survey=survey, created_by=user, url=url, events=events, secret=secret,
                                  microdata=microdata)
    audit(user, "webhook_create", f"survey:{survey.slug}", url=url, events=events, microdata=microdata)
    return hook, secret
