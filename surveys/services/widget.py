"""The embeddable one-question widget's rules, apart from its pages (:mod:`surveys.widget_views`):
which question, category and wave a widget asks, the page URL it remembers, the signed one-time
form token, and the response an answer becomes.

Each answer becomes a COMPLETE Response on the `website` channel, remembering the page it was given
on (`page_url`: http(s) only, no credentials, no query string or fragment, 500 characters at most),
with one Answer to a real satisfaction Question of the survey (`?q=<code>`, by default the first
satisfaction question tied to the website channel); the comment is that Answer's `text`, masked
like any verbatim unless the survey keeps raw text.

The form carries a short-lived token signed with the SECRET_KEY (`TimestampSigner`,
WIDGET_TOKEN_MAX_AGE seconds) that names the survey, question and category and holds a random
nonce; a token is accepted once (the nonce is remembered in the cache until the token expires),
which also makes a double click record one answer (why no CSRF cookie: see the views' module).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.csp import CSP
from django.utils.translation import gettext as _

from ..models import Answer, Channel, Question, QuestionType, Response, ResponseStatus, Survey, UserCategory, Wave
from .privacy import mask_personal_data
from .responses import wave_for_answering
from .versions import wave_version_id

TOKEN_SALT = "ecoute.widget.form"
WEBSITE = "website"
DEFAULT_CATEGORIES = ("general_public", "other")
COMMENT_MAX = 500
PAGE_MAX = 500


def setting(name: str, default):
    """A WIDGET_* setting, else its default."""
    return getattr(settings, name, default)


def frame_ancestors() -> list[str]:
    """Sources allowed to frame the widget: WIDGET_FRAME_ANCESTORS, default `'self'` (why:
    :mod:`surveys.widget_views`)."""
    value = setting("WIDGET_FRAME_ANCESTORS", None)
    if value is None:
        value = os.environ.get("WIDGET_FRAME_ANCESTORS", "")
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    return list(value) or [CSP.SELF]


@dataclass
class Setup:
    survey: Survey
    wave: Wave
    question: Question
    category: UserCategory
    channel: Channel


class NotAvailable(Exception):
    """The widget cannot be shown; `args[0]` is a French sentence for the visitor."""


def widget_setup(survey: Survey, question_code: str = "", category_code: str = "") -> Setup:
    """Resolve the question, category and open wave of a widget, or raise NotAvailable / Http404."""
    wave, why = wave_for_answering(survey)
    if why:
        raise NotAvailable(_("Ce questionnaire n'est pas ouvert en ce moment. Merci de votre intérêt."))
    channel = Channel.objects.filter(code=WEBSITE).first()
    questions = Question.objects.filter(survey=survey, type=QuestionType.SATISFACTION).select_related(
        "section").order_by(
        "section__order", "order", "id")
    if question_code:
        question = questions.filter(code=question_code[:40]).first()
    else:
        question = questions.filter(channel__code=WEBSITE).first()
    offered = list(survey.categories.all())
    if category_code:
        category = UserCategory.objects.filter(code=category_code[:40]).first()
        if category is not None and offered and category not in offered:
            category = None
    else:
        category = next((c for code in DEFAULT_CATEGORIES for c in (offered or UserCategory.objects.all())
                         if c.code == code), None)
    if (channel is None or question is None or category is None
            or not (question.section.applies_to(category.code) and question.applies_to(category.code))):
        raise Http404("widget not configured")
    return Setup(survey, wave, question, category, channel)


def clean_page_url(value: str) -> str:
    """The embedding page, reduced to scheme, host and path; "" when it is not a plain http(s) URL.

    Query strings and fragments are dropped: they often carry personal data (search terms, email
    addresses in tracking parameters), and the path is enough to say which page was rated.
    """
    value = (value or "").strip()
    if not value or len(value) > 2000 or "\x00" in value:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(value)
        parts = urlsplit(value)
    except (ValidationError, ValueError):
        return ""
    if parts.username or parts.password or parts.scheme not in ("http", "https"):
        return ""
    cleaned = urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))
    return cleaned if len(cleaned) <= PAGE_MAX else ""


def widget_response_create(setup: Setup, score: int, comment: str, page_url: str, language: str) -> Response:
    """Record one widget answer as a complete response (one transaction)."""
    if comment and not setup.survey.keep_raw_text:
        comment = mask_personal_data(comment)
    now = timezone.now()
    with transaction.atomic():
        response = Response.objects.create(
            survey=setup.survey, wave=setup.wave, category=setup.category, channel=setup.channel,
            language=language, status=ResponseStatus.COMPLETE, started_at=now, submitted_at=now,
            page_url=page_url, notice_version=setup.survey.notice_version,
            version_id=wave_version_id(setup.wave.pk),  # the questionnaire version answered (issue 18)
        )
        Answer.objects.create(response=response, question=setup.question, value=float(score), text=comment)
    return response


def sign_token(setup: Setup) -> str:
    payload = {"s": setup.survey.pk, "q": setup.question.pk, "c": setup.category.pk, "n": secrets.token_urlsafe(12)}
    return signing.TimestampSigner(salt=TOKEN_SALT).sign_object(payload)


def read_token(token: str) -> dict | None:
    """The token's payload, or None if it is forged, expired or malformed."""
    try:
        payload = signing.TimestampSigner(salt=TOKEN_SALT).unsign_object(
            token or "", max_age=setting("WIDGET_TOKEN_MAX_AGE", 2 * 3600))
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return payload if isinstance(payload, dict) and {"s", "q", "c", "n"} <= payload.keys() else None


def spend_token(payload: dict) -> bool:
    """True the first time a token's nonce is used (so one token records one answer)."""
    return cache.add(f"widget-used:{payload['n']}", 1, timeout=setting("WIDGET_TOKEN_MAX_AGE", 2 * 3600) + 60)


def token_matches(payload: dict | None, setup: Setup) -> bool:
    """Was this token signed for this very widget (survey, question, category)?"""
    return payload is not None and (payload["s"], payload["q"], payload["c"]) == (
        setup.survey.pk, setup.question.pk, setup.category.pk)
