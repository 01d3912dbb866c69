"""The account page (/compte/api/): personal API tokens and, for designers, webhooks.

A new token's secret (and a new webhook's signing secret) is shown once, in the answer to the
form that created it; only the token's hash is stored.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from surveys.permissions import is_designer, surveys_for

from .auth import scopes_allowed
from .models import ApiToken, Event, Scope, Webhook
from .services import token_create, webhook_create
from .services import token_revoke as revoke


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Nom du jeton"), max_length=100, help_text=_("Par exemple : carnet R du bureau"))
    scopes = forms.MultipleChoiceField(label=_("Portées"), widget=forms.CheckboxSelectMultiple)
    surveys = forms.ModelMultipleChoiceField(label=_("Enquêtes"), queryset=None, widget=forms.CheckboxSelectMultiple)
    days = forms.IntegerField(label=_("Validité (jours)"), min_value=1, initial=90)

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        allowed = set(scopes_allowed(user))
        self.fields["scopes"].choices = [(s.value, f"{s.value} — {s.label}") for s in Scope if s.value in allowed]
        self.fields["surveys"].queryset = surveys_for(user)
        self.fields["days"].max_value = settings.API_TOKEN_MAX_DAYS
        self.fields["days"].validators.append(_max_days)


def _max_days(value: int) -> None:
    if value > settings.API_TOKEN_MAX_DAYS:
        raise ValidationError(_("Au plus %(n)s jours.") % {"n": settings.API_TOKEN_MAX_DAYS})


class WebhookForm(forms.Form):
    survey = forms.ModelChoiceField(label=_("Enquête"), queryset=None)
    url = forms.URLField(label=_("Adresse (URL)"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(label=_("Événements"), choices=Event.choices,
                                       widget=forms.CheckboxSelectMultiple)
    microdata = forms.BooleanField(label=_("Joindre les réponses (sinon : identifiants seulement)"), required=False)

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["survey"].queryset = surveys_for(user)


def _context(request: HttpRequest, **extra) -> dict:
    user = request.user
    designer = is_designer(user)
    return {
        "tokens": ApiToken.objects.filter(user=user).prefetch_related("surveys"),
        "webhooks": Webhook.objects.filter(survey__in=surveys_for(user)).select_related("survey")
        .prefetch_related("deliveries") if designer else [],
        "designer": designer,
        "token_form": extra.pop("token_form", None) or TokenForm(user),
        "webhook_form": extra.pop("webhook_form", None) or (WebhookForm(user) if designer else None),
        **extra,
    }


def _staff(request: HttpRequest) -> None:
    if not (request.user.is_active and request.user.is_staff):
        raise PermissionDenied


@login_required
@never_cache
def account(request: HttpRequest) -> HttpResponse:
    _staff(request)
    user, extra, status = request.user, {}, 200
    if request.method == "POST" and request.POST.get("form") == "token":
        form = TokenForm(user, request.POST)
        if form.is_valid():
            try:
                token, secret = token_create(user, form.cleaned_data["name"], form.cleaned_data["scopes"],
                                             form.cleaned_data["surveys"], form.cleaned_data["days"])
                extra = {"new_token": token, "new_secret": secret}
            except ValidationError as exc:
                form.add_error(None, exc)
        if "new_secret" not in extra:
            extra, status = {"token_form": form}, 400
    elif request.method == "POST" and request.POST.get("form") == "webhook" and is_designer(user):
        form = WebhookForm(user, request.POST)
        if form.is_valid():
            try:
                hook, secret = webhook_create(user, form.cleaned_data["survey"], form.cleaned_data["url"],
                                              form.cleaned_data["events"], form.cleaned_data["microdata"])
                extra = {"new_webhook": hook, "new_webhook_secret": secret}
            except ValidationError as exc:
                form.add_error(None, exc)
        if "new_webhook_secret" not in extra:
            extra, status = {"webhook_form": form}, 400
    elif request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405)
    return render(request, "api/account.html", _context(request, **extra), status=status)


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request)
    revoke(request.user, get_object_or_404(ApiToken, pk=pk, user=request.user))
    return redirect("api_account")


@login_required
@require_POST
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request)
    if not is_designer(request.user):
        raise PermissionDenied
    hook = get_object_or_404(Webhook, pk=pk, survey__in=surveys_for(request.user))
    hook.active = False
    hook.save(update_fields=["active"])
    return redirect("api_account")

