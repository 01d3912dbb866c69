"""Quality-team pages outside the admin: channel links and QR codes, invitations, fieldwork tracking.

Every page needs a signed-in member of the `designers` group (anyone else signed in gets a 403
page, anonymous visitors the login page), and the survey must be granted to them (`surveys_for`:
owners, or every survey for superusers; otherwise 404). Thin views: the work is in
`services.invitations`, `services.tracking` and the `send_invitations` task.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.tasks import TaskResultStatus
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import get_language, gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from config.assets import asset_available

from .models import Channel, Participant, Survey, UserCategory, Wave, audit
from .permissions import is_designer, surveys_for
from .services import invitations as inv
from .services import browser_once, tracking
from .tasks import send_invitations


def designer_page(view: Callable) -> Callable:
    """Signed-in designer, survey granted to them: the view gets the Survey instead of the slug."""

    @wraps(view)
    def wrapped(request: HttpRequest, slug: str, *args, **kwargs) -> HttpResponse:
        if not is_designer(request.user):
            return _forbidden(request)
        survey = get_object_or_404(surveys_for(request.user), slug=slug)
        return view(request, survey, *args, **kwargs)

    return login_required(never_cache(wrapped))


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "staff/forbidden.html", status=403)


def _wave(request: HttpRequest, survey: Survey) -> Wave | None:
    """The wave named by `?vague=<code>` (or the form's `vague`), else the survey's current wave."""
    code = (request.POST.get("vague") or request.GET.get("vague") or "").strip()
    if code:
        return get_object_or_404(Wave, survey=survey, code=code[:40])
    return survey.current_wave()


def _offered_categories(survey: Survey) -> list[UserCategory]:
    return list(survey.categories.all()) or list(UserCategory.objects.all())


@login_required
@never_cache
def index(request: HttpRequest) -> HttpResponse:
    """The designer's surveys, with their pages."""
    if not is_designer(request.user):
        return _forbidden(request)
    return render(request, "staff/index.html", {"surveys": surveys_for(request.user).prefetch_related("waves")})


# --- Channel links and QR codes ------------------------------------------------------------------

def _link_query(channel: str, category: str = "") -> str:
    params = {"canal": channel}
    if category:
        params["categorie"] = category
    return urlencode(params)


@designer_page
def links(request: HttpRequest, survey: Survey) -> HttpResponse:
    """Public link and QR code per channel (optionally for one category), for the current wave."""
    categories = _offered_categories(survey)
    category = None
    category_code = request.GET.get("categorie", "").strip()
    if category_code:
        category = next((c for c in categories if c.code == category_code), None)
        if category is None:
            raise Http404
    start = reverse("surveys:start", args=[survey.slug])
    rows = []
    for channel in Channel.objects.all():
        query = _link_query(channel.code, category.code if category else "")
        rows.append({
            "channel": channel,
            "url": request.build_absolute_uri(f"{start}?{query}"),
            "svg": f"{reverse('staff:qr', args=[survey.slug, 'svg'])}?{query}",
            "png": f"{reverse('staff:qr', args=[survey.slug, 'png'])}?{query}",
        })
    embed_src = request.build_absolute_uri(reverse("widget:embed", args=[survey.slug]))
    return render(request, "staff/links.html", {
        "survey": survey, "wave": survey.current_wave(), "rows": rows, "categories": categories,
        "category": category, "embed_src": embed_src,
        "widget_url": request.build_absolute_uri(reverse("widget:form", args=[survey.slug])),
        "section": "links",
    })


@designer_page
def qr(request: HttpRequest, survey: Survey, fmt: str) -> HttpResponse:
    """The QR code of a channel link, made here (no external service): SVG to show, PNG to download."""
    import qrcode
    from qrcode.image.pure import PyPNGImage
    from qrcode.image.svg import SvgPathFillImage

    channel = get_object_or_404(Channel, code=request.GET.get("canal", "").strip()[:40])
    category_code = request.GET.get("categorie", "").strip()[:40]
    if category_code and category_code not in {c.code for c in _offered_categories(survey)}:
        raise Http404
    query = _link_query(channel.code, category_code)
    url = request.build_absolute_uri(f"{reverse('surveys:start', args=[survey.slug])}?{query}")
    factory = SvgPathFillImage if fmt == "svg" else PyPNGImage
    buffer = io.BytesIO()
    qrcode.make(url, image_factory=factory, box_size=10, border=4).save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml" if fmt == "svg" else "image/png")
    name = "-".join(filter(None, ["qr", survey.slug, channel.code, category_code]))
    if fmt == "png" or request.GET.get("telecharger"):
        response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


# --- Invitations ---------------------------------------------------------------------------------

class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Fichier des participants (.csv ou .xlsx)"),
        help_text=gettext_lazy("Colonnes : email, category (code), channel (code, facultatif), "
                               "language (fr ou en, facultatif). CSV en UTF-8, séparé par « , » ou « ; »."),
    )
    dry_run = forms.BooleanField(label=gettext_lazy("Vérifier seulement, sans rien importer"), required=False)


def _invitations_context(request: HttpRequest, survey: Survey, wave: Wave | None, **extra) -> dict:
    status = request.GET.get("statut", "")
    context = {"survey": survey, "wave": wave, "waves": survey.waves.all(), "section": "invitations",
               "dispositions": tracking.DISPOSITION_LABELS, "status": status,
               "form": extra.pop("form", None) or ImportForm()}
    if wave is not None:
        page = Paginator(tracking.participants_list(wave, status or None), 50).get_page(request.GET.get("page"))
        context.update({
            "progress": inv.invitations_progress(wave),
            "page": page,
            "participants": [(p, tracking.DISPOSITION_LABELS[tracking.participant_disposition(p)])
                             for p in page.object_list],
            "reminder_days": inv.reminder_interval().days,
        })
    context.update(extra)
    return context


@designer_page
def invitations(request: HttpRequest, survey: Survey) -> HttpResponse:
    """Import the list, send invitations and reminders, follow the sending, mark bounces."""
    wave = _wave(request, survey)
    sending = wave is not None and _send_outcome(request, wave)
    return render(request, "staff/invitations.html", _invitations_context(request, survey, wave, sending=sending))


@designer_page
@require_POST
def invitations_import(request: HttpRequest, survey: Survey) -> HttpResponse:
    """Import a CSV/XLSX list into the wave; the report is the page (bad rows with their line)."""
    wave = _wave(request, survey)
    if wave is None:
        raise Http404
    form = ImportForm(request.POST, request.FILES)
    report = None
    if form.is_valid():
        upload = form.cleaned_data["file"]
        report = inv.participants_import(wave, upload, upload.name, actor=request.user,
                                         dry_run=form.cleaned_data["dry_run"])
    status = 200 if report is not None and not report.file_error else 400
    return render(request, "staff/invitations.html",
                  _invitations_context(request, survey, wave, form=form, report=report), status=status)


@designer_page
@require_POST
def invitations_send(request: HttpRequest, survey: Survey) -> HttpResponse:
    """Enqueue the sending task; with a worker backend the page then shows its progress."""
    wave = _wave(request, survey)
    kind = request.POST.get("kind", "")
    if wave is None or kind not in inv.KINDS:
        raise Http404
    target = f"{reverse('staff:invitations', args=[survey.slug])}?{urlencode({'vague': wave.code})}"
    if not wave.is_open():
        messages.error(request, _("La vague n'est pas ouverte : aucun message n'a été envoyé."))
        return redirect(target)
    result = send_invitations.enqueue(wave.pk, kind, request.build_absolute_uri("/"))  # Redis down: 503 page
    audit(request.user, "invitations_enqueued", survey.slug, wave=wave.code, kind=kind)
    request.session[f"send_task_{wave.pk}"] = result.id
    return redirect(target)


def _send_outcome(request: HttpRequest, wave: Wave) -> bool:
    """Say how the last send enqueued from this session went; True while it is still running."""
    key = f"send_task_{wave.pk}"
    if key not in request.session:
        return False
    try:
        result = send_invitations.get_result(request.session[key])
    except Exception:  # purged from the queue, or a backend without results
        request.session.pop(key)
        return False
    if result.status == TaskResultStatus.SUCCESSFUL:
        messages.success(request, _("%(n)d message(s) envoyé(s).") % {"n": result.return_value["sent"]})
    elif result.status == TaskResultStatus.FAILED:
        messages.error(request, _(
            "L'envoi s'est interrompu (erreur du serveur de messagerie). Les messages déjà partis sont "
            "enregistrés : relancez l'envoi pour continuer, personne ne recevra deux fois le même message."))
    else:
        messages.info(request, _("Envoi lancé en arrière-plan : rafraîchissez la page pour suivre l'avancement."))
        return True
    request.session.pop(key)
    return False


@designer_page
@require_POST
def participant_undeliverable(request: HttpRequest, survey: Survey, pk: int) -> HttpResponse:
    """Mark an address as bouncing (or undo it): no more messages, counted UO in response rates."""
    participant = get_object_or_404(Participant, pk=pk, survey=survey)
    inv.participant_set_undeliverable(participant, request.POST.get("value") == "1", request.user)
    params = {"vague": participant.wave.code}
    for key in ("statut", "page"):
        if request.POST.get(key):
            params[key] = request.POST[key][:20]
    return redirect(f"{reverse('staff:invitations', args=[survey.slug])}?{urlencode(params)}")


@designer_page
@require_POST
def participants_undeliverable(request: HttpRequest, survey: Survey) -> HttpResponse:
    """Mark every address of a pasted bounce report as undeliverable."""
    wave = _wave(request, survey)
    if wave is None:
        raise Http404
    marked, unknown = inv.participants_mark_undeliverable(wave, request.POST.get("addresses", "")[:500_000],
                                                          request.user)
    messages.success(request, _("%(n)d adresse(s) marquée(s) injoignable(s).") % {"n": marked})
    if unknown:
        messages.warning(request, _("Adresses absentes de la vague : %(list)s") % {
            "list": ", ".join(unknown[:20]) + (" …" if len(unknown) > 20 else "")})
    return redirect(f"{reverse('staff:invitations', args=[survey.slug])}?{urlencode({'vague': wave.code})}")


# --- Tracking ------------------------------------------------------------------------------------

@designer_page
def tracking_page(request: HttpRequest, survey: Survey) -> HttpResponse:
    """Invited, opened, partial, complete, opted out, undeliverable and RR1/RR2 per category and channel."""
    wave = _wave(request, survey)
    report = tracking.wave_tracking(wave) if wave is not None else None
    language = (get_language() or "fr")[:2]
    charted = report if asset_available("vendor/plotly.min.js") else None  # else the tables alone, never a 500
    return render(request, "staff/tracking.html", {
        "survey": survey, "wave": wave, "waves": survey.waves.all(), "section": "tracking",
        "tracking": report, "total_rows": [report.total] if report else [],
        "likely_duplicates": browser_once.likely_duplicates(wave) if wave is not None else 0,
        "figure_category": charted and tracking.rates_figure(
            report.by_category, _("Taux de réponse par catégorie d'utilisateurs"), language),
        "figure_channel": charted and tracking.rates_figure(
            report.by_channel, _("Taux de réponse par canal"), language),
    })


@designer_page
def tracking_export(request: HttpRequest, survey: Survey) -> HttpResponse:
    """The participants' status list (address and status, no answers) as CSV; audited."""
    wave = _wave(request, survey)
    if wave is None:
        raise Http404
    text, _count = tracking.participants_status_csv(wave, request.user)
    response = HttpResponse(text.encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="participants-{survey.slug}-{wave.code}.csv"'
    return response
