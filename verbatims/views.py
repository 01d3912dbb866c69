"""Themes and codebook pages (/analyse/<slug>/themes/, /analyse/<slug>/codage/): thin views.

Analysts granted the survey (the dashboards' rule) read the stored runs and act on them: start a
run (a background task), rename, merge, delete a theme or make it a code, hand-code verbatims and
accept suggestions. Every write is a POST with CSRF; bad input is a 400 page naming the field.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from analysis import exports, plotly_css
from analysis.selectors import dashboard_for
from analysis.views import analyst_required, bad_request
from surveys.models import Answer, QuestionType, ResponseStatus

from . import crosstab
from .editing import SplitError, theme_split
from .models import Code, HandCode, RunStatus, Theme, ThemeRun
from .services import RunError, latest_run, run_create, visible_themes
from .suggest import survey_suggester
from .tasks import compute_themes

CODING_PER_PAGE = 20


def _base(d, **extra) -> dict:
    ctx = {"survey": d.survey, "d": d, "page": "verbatims", "plotly_skip_ids": plotly_css.skipped_style_ids(),
           "selected_wave_labels": []}
    ctx.update(extra)
    return ctx


@analyst_required
@require_GET
def themes_page(request: HttpRequest, slug: str) -> HttpResponse:
    d = dashboard_for(request.user, slug)
    run = latest_run(d.survey)
    pending = ThemeRun.objects.filter(survey=d.survey, status__in=[RunStatus.PENDING, RunStatus.RUNNING]).first()
    failed = ThemeRun.objects.filter(survey=d.survey).first()
    failed = failed if failed and failed.status == RunStatus.FAILED else None
    blocks, themes, keyness_blocks = [], [], []
    if run is not None:
        themes = visible_themes(run)
        blocks, keyness_blocks = crosstab.page_blocks(run, d.channel_labels(), d.category_labels())
    wave_labels = d.wave_labels()
    return render(request, "verbatims/themes.html", _base(
        d, run=run, pending=pending, failed=failed, themes=themes, blocks=blocks, keyness_blocks=keyness_blocks,
        all_themes=list(run.themes.all()) if run else [], wave_choices=list(wave_labels.items()),
        run_wave_labels=[wave_labels.get(w, w) for w in run.waves] if run else [],
        text_questions=[q for q in d.questions if q.type == QuestionType.TEXT],
        selected_wave_labels=[wave_labels.get(w, w) for w in run.waves] if run else []))


@analyst_required
@require_POST
def run_start(request: HttpRequest, slug: str) -> HttpResponse:
    d = dashboard_for(request.user, slug)
    raw_k = request.POST.get("themes", "").strip()
    try:
        k = int(raw_k) if raw_k else None
    except ValueError:
        return bad_request(request, _("Nombre de thèmes : un entier est attendu (reçu « %(v)s »).") % {"v": raw_k})
    stop_words = [w for w in request.POST.get("stop_words", "").replace(",", " ").split() if w]
    try:
        run = run_create(d.survey, request.POST.getlist("waves"), k, request.POST.get("question", ""),
                         stop_words, user=request.user)
    except RunError as exc:
        return bad_request(request, _("Calcul des thèmes : %(e)s.") % {"e": exc})
    try:
        compute_themes.enqueue(run.pk)
    except Exception:  # noqa: BLE001 - the failure is stored on the run and shown on the page
        pass
    return redirect("verbatims:themes", slug=slug)


@analyst_required
@require_GET
def run_progress(request: HttpRequest, slug: str, run_id: int) -> HttpResponse:
    """The progress of a run as JSON (for scripts and monitoring)."""
    d = dashboard_for(request.user, slug)
    run = get_object_or_404(ThemeRun, pk=run_id, survey=d.survey)
    return JsonResponse({"status": run.status, "progress": run.progress, "error": run.error})


@analyst_required
@require_POST
def theme_edit(request: HttpRequest, slug: str, theme_id: int) -> HttpResponse:
    d = dashboard_for(request.user, slug)
    theme = get_object_or_404(Theme, pk=theme_id, run__survey=d.survey)
    action = request.POST.get("action", "")
    if action == "rename":
        label_fr = request.POST.get("label_fr", "").strip()
        if not label_fr or len(label_fr) > 200:
            return bad_request(request, _("Libellé (fr) : obligatoire, 200 caractères au plus."))
        theme.label_fr, theme.label_en = label_fr, request.POST.get("label_en", "").strip()[:200]
        theme.save(update_fields=["label_fr", "label_en"])
    elif action == "merge":
        target = Theme.objects.filter(pk=request.POST.get("into") or 0, run=theme.run).first() \
            if (request.POST.get("into") or "").isdigit() else None
        if target is None or target.pk == theme.pk or target.hidden or target.merged_into_id:
            return bad_request(request, _("Fusionner : choisissez un autre thème visible du même calcul."))
        with transaction.atomic():
            Theme.objects.filter(merged_into=theme).update(merged_into=target)
            theme.merged_into = target
            theme.save(update_fields=["merged_into"])
    elif action == "split":
        try:
            theme_split(theme)
        except SplitError as exc:
            return bad_request(request, _("Scinder : %(e)s.") % {"e": exc})
    elif action == "delete":
        theme.hidden = True
        theme.save(update_fields=["hidden"])
    elif action == "to_code":
        Code.objects.get_or_create(survey=d.survey, label_fr=theme.label_fr[:200],
                                   defaults={"label_en": theme.label_en, "description": ", ".join(theme.terms[:10])})
        return redirect("verbatims:codebook", slug=slug)
    else:
        return bad_request(request, _("Action inconnue : %(a)s.") % {"a": action[:40]})
    return redirect("verbatims:themes", slug=slug)


@analyst_required
@require_GET
def shares_csv(request: HttpRequest, slug: str, run_id: int) -> HttpResponse:
    d = dashboard_for(request.user, slug)
    run = get_object_or_404(ThemeRun, pk=run_id, survey=d.survey, status=RunStatus.DONE)
    table = crosstab.shares_csv_table(run)
    exports.ensure_no_hidden_values([table])
    response = HttpResponse(exports.csv_bytes(exports.export_ready(table)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slug}-themes-{run.pk}.csv"'
    return response


def _coding_queryset(survey):
    return (Answer.objects.filter(response__survey=survey, response__status=ResponseStatus.COMPLETE,
                                  question__type=QuestionType.TEXT, question__survey=survey)
            .exclude(text="").order_by("-response__submitted_at", "pk"))


@analyst_required
@require_http_methods(["GET", "POST"])
def codebook(request: HttpRequest, slug: str) -> HttpResponse:
    d = dashboard_for(request.user, slug)
    if request.method == "POST":
        return _codebook_post(request, d)
    codes = list(Code.objects.filter(survey=d.survey))
    page = Paginator(_coding_queryset(d.survey).values("pk", "text", "response__language"),
                     CODING_PER_PAGE).get_page(request.GET.get("page"))
    items = list(page.object_list)
    coded: dict[int, set[int]] = {}
    for a, c in HandCode.objects.filter(answer_id__in=[i["pk"] for i in items]).values_list("answer_id", "code_id"):
        coded.setdefault(a, set()).add(c)
    suggester = survey_suggester(d.survey)
    by_id = {c.pk: c for c in codes}
    todo = [i for i in items if i["pk"] not in coded]
    suggestions = dict(zip([i["pk"] for i in todo], suggester.suggest(
        [i["text"] for i in todo], [i["response__language"] for i in todo]))) if suggester and todo else {}
    rows = [{"id": i["pk"], "text": i["text"], "codes": [by_id[c] for c in sorted(coded.get(i["pk"], ())) if c in by_id],
             "suggestion": (by_id.get(suggestions[i["pk"]][0]), suggestions[i["pk"]][1])
             if suggestions.get(i["pk"]) else None} for i in items]
    return render(request, "verbatims/codebook.html", _base(d, codes=codes, rows=rows, page_obj=page))


def _codebook_post(request: HttpRequest, d) -> HttpResponse:
    action = request.POST.get("action", "")
    back = reverse("verbatims:codebook", args=[d.survey.slug]) + (
        f"?page={request.POST['page']}" if request.POST.get("page", "").isdigit() else "")
    if action == "create":
        label_fr = request.POST.get("label_fr", "").strip()
        if not label_fr or len(label_fr) > 200:
            return bad_request(request, _("Libellé (fr) : obligatoire, 200 caractères au plus."))
        try:
            Code.objects.create(survey=d.survey, label_fr=label_fr,
                                label_en=request.POST.get("label_en", "").strip()[:200],
                                description=request.POST.get("description", "").strip()[:2000])
        except IntegrityError:
            return bad_request(request, _("Libellé (fr) : un code « %(l)s » existe déjà.") % {"l": label_fr})
        return redirect(back)
    if action in ("code", "uncode"):
        answer_id, code_id = request.POST.get("answer", ""), request.POST.get("code", "")
        if not (answer_id.isdigit() and code_id.isdigit()):
            return bad_request(request, _("Codage : verbatim et code attendus."))
        answer = _coding_queryset(d.survey).filter(pk=int(answer_id)).first()
        code = Code.objects.filter(pk=int(code_id), survey=d.survey).first()
        if answer is None or code is None:
            raise Http404
        if action == "code":
            HandCode.objects.get_or_create(answer=answer, code=code, defaults={"coded_by": request.user})
        else:
            HandCode.objects.filter(answer=answer, code=code).delete()
        return redirect(back)
    return bad_request(request, _("Action inconnue : %(a)s.") % {"a": action[:40]})
