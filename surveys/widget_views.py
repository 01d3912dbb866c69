"""The embeddable one-question widget: "your opinion on this page", 1 to 5, plus an optional comment.

A site of the service embeds it with ``<script src="https://<host>/w/<slug>/embed.js" async>``: the
script (static/js/widget-embed.js) inserts an iframe showing `/w/<slug>/?page=<the page's URL>`.
Without JavaScript, a plain ``<iframe src="/w/<slug>/?page=...">`` works the same. Each answer
becomes a COMPLETE Response on the `website` channel, remembering the page it was given on
(`page_url`: http(s) only, no credentials, no query string or fragment, 500 characters at most),
with one Answer to a real satisfaction Question of the survey (`?q=<code>`, by default the first
satisfaction question tied to the website channel); the comment is that Answer's `text`, masked
like any verbatim unless the survey keeps raw text.

Why there is no CSRF cookie here (the one documented `csrf_exempt` of the project): inside a
third-party page the iframe is a third-party context, where browsers drop or block our cookies, so
neither a session nor Django's CSRF cookie can work. Instead the form carries a short-lived token
signed with the SECRET_KEY (`TimestampSigner`, WIDGET_TOKEN_MAX_AGE seconds) that names the survey,
question and category and holds a random nonce; a token is accepted once (the nonce is remembered
in the cache until the token expires), which also makes a double click record one answer. An
Origin/Referer check cannot tell the embedding sites apart, so posts are also rate-limited per
client address (a salted hash of it, in the cache; never stored in the database): above
WIDGET_RATE_LIMIT posts per WIDGET_RATE_WINDOW seconds the answer is refused with a 429 page.

Framing: X-Frame-Options is lifted for these views only, and the CSP `frame-ancestors` comes from
WIDGET_FRAME_ANCESTORS (settings, else the environment variable, space- or comma-separated). Its
default is `'self'` only: embedding sites must be listed explicitly, so that no other site can
frame the form (and dress it up to collect misleading "website" ratings under our name).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlencode, urlsplit, urlunsplit

from django import forms
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.csp import CSP
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from .forms import SATISFACTION_LABELS, NoNullCharField
from .models import (
    Answer, Channel, Question, QuestionType, Response, ResponseStatus, Survey, SurveyStatus, UserCategory, Wave,
)
from .gate import is_survey_designer
from .ratelimit import hit
from .services.privacy import mask_personal_data
from .services.responses import wave_for_answering
from .services.versions import wave_version_id  # issue 18

TOKEN_SALT = "ecoute.widget.form"
WEBSITE = "website"
DEFAULT_CATEGORIES = ("general_public", "other")
COMMENT_MAX = 500
PAGE_MAX = 500


def _setting(name: str, default):
    return getattr(settings, name, default)


def frame_ancestors() -> list[str]:
    """Sources allowed to frame the widget: WIDGET_FRAME_ANCESTORS, default `'self'` (see module doc)."""
    value = _setting("WIDGET_FRAME_ANCESTORS", None)
    if value is None:
        value = os.environ.get("WIDGET_FRAME_ANCESTORS", "")
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    return list(value) or [CSP.SELF]


def embeddable(view: Callable) -> Callable:
    """Let this view's pages be framed by the listed sites only; never cached (they carry a token)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        config = {**settings.SECURE_CSP, "frame-ancestors": frame_ancestors()}
        return csp_override(config)(view)(request, *args, **kwargs)

    return xframe_options_exempt(never_cache(wrapped))


# --- What a widget asks, and the answer it records -------------------------------------------------

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
            version_id=wave_version_id(setup.wave.pk),  # issue 18
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
            token or "", max_age=_setting("WIDGET_TOKEN_MAX_AGE", 2 * 3600))
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return payload if isinstance(payload, dict) and {"s", "q", "c", "n"} <= payload.keys() else None


def spend_token(payload: dict) -> bool:
    """True the first time a token's nonce is used (so one token records one answer)."""
    return cache.add(f"widget-used:{payload['n']}", 1, timeout=_setting("WIDGET_TOKEN_MAX_AGE", 2 * 3600) + 60)


# --- Views ---------------------------------------------------------------------------------------

def _score_choices() -> list[tuple[str, str]]:
    return [(str(v), f"{v} – {label}") for v, label in SATISFACTION_LABELS.items()]  # in the active language


class WidgetForm(forms.Form):
    score = forms.TypedChoiceField(
        choices=_score_choices, coerce=int, widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choisissez une note de 1 à 5.")},
    )
    comment = NoNullCharField(
        required=False, max_length=COMMENT_MAX, label=gettext_lazy("Un commentaire ? (facultatif)"),
        error_messages={"max_length": gettext_lazy("500 caractères au maximum (vous en avez saisi %(show_value)d).")},
    )


def _language(data) -> str:
    lang = (data.get("langue") or "").strip()[:2]
    return lang if lang in ("fr", "en") else (translation.get_language() or "fr")[:2]


def _render_form(request: HttpRequest, setup: Setup, form: WidgetForm, page: str, language: str,
                 status: int = 200, notice: str = "") -> HttpResponse:
    query = urlencode({"q": setup.question.code, "categorie": setup.category.code})
    return render(request, "widget/form.html", {
        "survey": setup.survey, "question": setup.question, "form": form, "lang": language, "page": page,
        "token": sign_token(setup), "notice": notice, "comment_max": COMMENT_MAX,
        "action": f"{reverse('widget:submit', args=[setup.survey.slug])}?{query}",
    }, status=status)


def _message(request: HttpRequest, title: str, body: str, language: str, status: int) -> HttpResponse:
    return render(request, "widget/message.html", {"title": title, "body": body, "lang": language}, status=status)


def _not_found() -> HttpResponse:
    raise Http404


def widget_gate(request: HttpRequest, survey: Survey) -> HttpResponse | None:
    """A draft is a 404 (its designers see the form, as a preview); a closed survey says so (410)."""
    if survey.status == SurveyStatus.CLOSED:
        language = _language(request.GET)
        with translation.override(language):
            return _message(request, _("Cette enquête est close"),
                            _("Cette enquête ne reçoit plus de réponses. Merci de votre intérêt."), language, 410)
    if survey.status == SurveyStatus.DRAFT and not is_survey_designer(request.user, survey):
        raise Http404
    return None


@embeddable
@require_GET
def widget_form(request: HttpRequest, slug: str) -> HttpResponse:
    """The iframe page: `?page=<URL of the embedding page>&q=<question code>&categorie=<code>&langue=fr|en`."""
    survey = get_object_or_404(Survey, slug=slug)
    if (gate := widget_gate(request, survey)) is not None:
        return gate
    language = _language(request.GET)
    with translation.override(language):
        try:
            setup = widget_setup(survey, request.GET.get("q", "").strip(), request.GET.get("categorie", "").strip())
        except NotAvailable as exc:
            return _message(request, _("Questionnaire fermé"), str(exc), language, 200)
        return _render_form(request, setup, WidgetForm(), clean_page_url(request.GET.get("page", "")), language)


@csrf_exempt  # the one exemption: see the module docstring (signed one-time token + rate limit instead)
@embeddable
@require_POST
def widget_submit(request: HttpRequest, slug: str) -> HttpResponse:
    """Record the answer. Cookie-less: a signed one-time form token and a per-address rate limit."""
    survey = get_object_or_404(Survey, slug=slug)
    if survey.status != SurveyStatus.PUBLISHED:  # nothing is recorded for a draft, not even a designer's
        return widget_gate(request, survey) if survey.status == SurveyStatus.CLOSED else _not_found()
    language = _language(request.POST)
    with translation.override(language):
        window = _setting("WIDGET_RATE_WINDOW", 600)
        if not hit("widget", request, _setting("WIDGET_RATE_LIMIT", 20), window):
            response = _message(request, _("Trop de réponses"), _(
                "Trop de réponses ont été envoyées depuis votre connexion en peu de temps. "
                "Réessayez dans quelques minutes."), language, 429)
            response["Retry-After"] = str(window)
            return response
        try:
            setup = widget_setup(survey, request.GET.get("q", "").strip(), request.GET.get("categorie", "").strip())
        except NotAvailable as exc:
            return _message(request, _("Questionnaire fermé"), str(exc), language, 200)
        page = clean_page_url(request.POST.get("page", ""))
        form = WidgetForm(request.POST)
        payload = read_token(request.POST.get("token", ""))
        if payload is None or (payload["s"], payload["q"], payload["c"]) != (
                survey.pk, setup.question.pk, setup.category.pk):
            form.is_valid()  # show the values again, with their errors if any
            return _render_form(request, setup, form, page, language, status=400, notice=_(
                "Le formulaire a expiré. Vérifiez votre réponse et envoyez-la de nouveau."))
        if not form.is_valid():
            return _render_form(request, setup, form, page, language, status=400)
        if spend_token(payload):  # a second post of the same form (double click, F5) records nothing
            widget_response_create(setup, form.cleaned_data["score"], form.cleaned_data["comment"].strip(),
                                   page, language)
        return render(request, "widget/thanks.html", {"survey": survey, "lang": language})


@require_GET
def widget_embed(request: HttpRequest, slug: str) -> HttpResponse:
    """The embedding script (static/js/widget-embed.js): one URL per survey for the sites to paste."""
    survey = get_object_or_404(Survey, slug=slug)
    if survey.status == SurveyStatus.DRAFT and not is_survey_designer(request.user, survey):
        raise Http404
    path = finders.find("js/widget-embed.js")
    if not path:
        raise Http404
    with open(path, "rb") as handle:
        body = handle.read()
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    return response
