"""One response per browser on open links, and likely duplicates flagged for analysts.

An open link (website, newsletter, QR code) has no invitation to tie a response to a person, so a
survey may ask for one response per browser: a signed cookie, set when the answers are sent, turns
a second visit into a "déjà répondu" page. The cookie only exists for surveys that ask for it.
Whatever the option, each open-link response keeps a keyed hash of the client address and browser
(never the raw values: the key is the server's secret), and is flagged as a likely duplicate when
another complete response of the same wave came from the same hash within a day, so analysts can
look at those responses or leave them out.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from ..models import Response, Survey

SALT = "ecoute.browser-once"
#: how long the "already answered" cookie lasts (a wave rarely lasts longer)
COOKIE_DAYS = 400
#: responses from the same browser within this delay are called likely duplicates
DUPLICATE_WINDOW = timedelta(days=1)


def cookie_name(survey: Survey) -> str:
    return f"ecoute_repondu_{survey.pk}"


def answered_in_this_browser(request: HttpRequest, survey: Survey) -> bool:
    """True when the survey allows one response per browser and this browser has sent one."""
    if not survey.one_response_per_browser:
        return False
    value = request.get_signed_cookie(cookie_name(survey), default=None, salt=SALT,
                                      max_age=COOKIE_DAYS * 86400)
    return value == str(survey.pk)


def browser_hash(request: HttpRequest) -> str:
    """HMAC of the client address and user agent: comparable between responses, not reversible."""
    material = f"{request.META.get('REMOTE_ADDR', '')}|{request.META.get('HTTP_USER_AGENT', '')}"
    return hmac.new(settings.SECRET_KEY.encode(), material.encode(), hashlib.sha256).hexdigest()


def record_submission(request: HttpRequest, http_response: HttpResponse, survey: Survey, response_id) -> bool:
    """After an open-link response is sent: store its browser hash, flag it when it repeats an
    earlier one, and set the cookie when the survey asks for one response per browser.
    Returns whether the response was flagged."""
    digest = browser_hash(request)
    response = Response.objects.filter(pk=response_id, participant__isnull=True).select_related("wave").first()
    if response is None:
        return False
    earlier = Response.objects.filter(
        wave=response.wave, browser_hash=digest, status="complete",
        submitted_at__gte=response.submitted_at - DUPLICATE_WINDOW).exclude(pk=response.pk)
    flagged = earlier.exists()
    Response.objects.filter(pk=response.pk).update(browser_hash=digest, likely_duplicate=flagged)
    if survey.one_response_per_browser:
        http_response.set_signed_cookie(
            cookie_name(survey), str(survey.pk), salt=SALT, max_age=COOKIE_DAYS * 86400, httponly=True,
            samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
    return bool(flagged)


def likely_duplicates(wave) -> int:
    """Complete responses of the wave flagged as likely duplicates (shown on the tracking page)."""
    return Response.objects.filter(wave=wave, status="complete", likely_duplicate=True).count()
