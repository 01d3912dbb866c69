"""The embeddable one-question widget: "your opinion on this page", 1 to 5, plus an optional comment.

A site of the service embeds it with ``<script src="https://<host>/w/<slug>/embed.js" async>``: the
script (static/js/widget-embed.js) inserts an iframe showing `/w/<slug>/?page=<the page's URL>`.
Without JavaScript, a plain ``<iframe src="/w/<slug>/?page=...">`` works the same. What an answer
records, and the signed one-time form token, are :mod:`surveys.services.widget`; this module holds
the pages.

Why there is no CSRF cookie here (the one documented `csrf_exempt` of the project): inside a
third-party page the iframe is a third-party context, where browsers drop or block our cookies, so
neither a session nor Django's CSRF cookie can work. Instead the form carries a short-lived signed
one-time token (:mod:`surveys.services.widget`), which also makes a double click record one answer. An
Origin/Referer check cannot tell the embedding sites apart, so posts are also rate-limited per
client address (a salted hash of it, in the cache; never stored in the database): above
WIDGET_RATE_LIMIT posts per WIDGET_RATE_WINDOW seconds the answer is refused with a 429 page.

Framing: X-Frame-Options is lifted for these views only, and the CSP `frame-ancestors` comes from
WIDGET_FRAME_ANCESTORS (settings, else the environment variable, space- or comma-separated). Its
default is `'self'` only: embedding sites must be listed explicitly, so that no other site can
frame the form (and dress it up to collect misleading "website" ratings under our name).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from .forms import SATISFACTION_LABELS, NoNullCharField
from .gate import is_survey_designer
from .models import Survey, SurveyStatus
from .ratelimit import hit
from .services.widget import (  # noqa: F401 (TOKEN_SALT: re-exported)
    COMMENT_MAX, TOKEN_SALT, NotAvailable, Setup, clean_page_url, frame_ancestors, read_token, setting, sign_token,
    spend_token, token_matches, widget_response_create, widget_setup,
)


def embeddable(view: Callable) -> Callable:
    """Let this view's pages be framed by the listed sites only; never cached (they carry a token)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        config = {**settings.SECURE_CSP, "frame-ancestors": frame_ancestors()}
        return csp_override(config)(view)(request, *args, **kwargs)

    return xframe_options_exempt(never_cache(wrapped))


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
        window = setting("WIDGET_RATE_WINDOW", 600)
        if not hit("widget", request, setting("WIDGET_RATE_LIMIT", 20), window):
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
        if not token_matches(payload, setup):
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
