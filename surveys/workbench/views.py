"""The designer's workbench (/equipe/atelier/…): a survey's outline with its preview, settings, waves, copy.

Staff pages, not the admin: the designer works on one survey at a time, in the questionnaire's
order, with the preview of what each category gets beside it, and never types JSON. Rights are the
staff pages' (`designer_page`: a signed-in designer, the survey granted to them, else 403/404).
Thin views: the work is in `services.outline`, `services.duplicate`, `services.condition_builder`.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from ..models import Question, Section, Survey, UserCategory, Wave, audit
from ..permissions import is_designer
from ..services.condition_builder import describe
from ..services.duplicate import survey_duplicate
from ..services.import_export import SurveyImportError
from ..services.outline import DOWN, UP, OutlineRefused, move_question, move_section, survey_outline
from ..services.publishing import survey_publish_problems
from ..preview import preview_steps
from ..services.versions import open_waves
from ..staff_views import _forbidden, designer_page
from .errors import problems
from .forms import SlugForm, SurveyCreateForm, SurveySettingsForm, WaveForm


def offered_categories(survey: Survey) -> list[UserCategory]:
    return list(survey.categories.all()) or list(UserCategory.objects.all())


@designer_page
def outline(request: HttpRequest, survey: Survey) -> HttpResponse:
    """Sections and questions in order (marked for the category chosen), the preview beside them."""
    categories = offered_categories(survey)
    codes = [c.code for c in categories]
    chosen = request.GET.get("categorie") or ""
    if chosen and chosen not in codes:
        raise Http404
    category = next((c for c in categories if c.code == chosen), categories[0] if categories else None)
    sections = survey_outline(survey, chosen or None)
    for item in sections:
        item.condition = describe(item.section.condition)
        for q in item.questions:
            q.condition_text = describe(q.condition)
    return render(request, "workbench/outline.html", {
        "survey": survey, "section": "workbench", "sections": sections, "categories": categories,
        "chosen": chosen, "category": category,
        "steps": preview_steps(survey, category.code) if category else [],
        "publish_problems": survey_publish_problems(survey), "copy_form": SlugForm(),
    })


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def survey_create(request: HttpRequest) -> HttpResponse:
    """A new, empty draft survey owned by its creator."""
    if not is_designer(request.user):
        return _forbidden(request)
    form = SurveyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        survey = form.save()
        survey.owners.add(request.user)
        audit(request.user, "survey_create", survey.slug)
        messages.success(request, _("Enquête créée. Complétez sa notice, ajoutez une vague puis ses sections."))
        return redirect("workbench:outline", slug=survey.slug)
    return render(request, "workbench/survey_create.html", {
        "form": form, "problems": problems((form, "id_slug")),
    }, status=400 if form.errors else 200)


@designer_page
@require_http_methods(["GET", "POST"])
def survey_settings(request: HttpRequest, survey: Survey) -> HttpResponse:
    """Titles, texts, categories offered and the information notice."""
    form = SurveySettingsForm(request.POST or None, instance=survey)
    if request.method == "POST" and form.is_valid():
        form.instance._version_actor = request.user  # who made a minor correction (issue 18)
        form.save()
        messages.success(request, _("Réglages enregistrés."))
        return redirect("workbench:outline", slug=survey.slug)
    return render(request, "workbench/settings.html", {
        "survey": survey, "section": "workbench", "form": form, "problems": problems((form, "id_title_fr")),
        "wave_open": bool(open_waves(survey)),
    }, status=400 if form.errors else 200)


@designer_page
@require_http_methods(["GET", "POST"])
def waves(request: HttpRequest, survey: Survey) -> HttpResponse:
    """The survey's waves and a form to add one (its dates in the local time zone)."""
    form = WaveForm(request.POST or None, survey=survey)
    if request.method == "POST" and form.is_valid():
        wave = form.save()
        audit(request.user, "wave_create", survey.slug, wave=wave.code)
        messages.success(request, _("Vague « %(code)s » ajoutée.") % {"code": wave.code})
        return redirect("workbench:waves", slug=survey.slug)
    return render(request, "workbench/waves.html", {
        "survey": survey, "section": "workbench", "form": form, "waves": Wave.objects.filter(survey=survey),
        "problems": problems((form, "id_code")),
    }, status=400 if form.errors else 200)


@designer_page
@require_POST
def duplicate(request: HttpRequest, survey: Survey) -> HttpResponse:
    """A draft copy of the survey under the slug given; its owner is the designer who copied it."""
    form = SlugForm(request.POST)
    if form.is_valid():
        try:
            copy = survey_duplicate(survey, form.cleaned_data["slug"], actor=request.user)
        except SurveyImportError as exc:
            form.add_error("slug", exc.errors[0])
        else:
            messages.success(request, _("Copie « %(slug)s » créée (brouillon, sans vague).") % {"slug": copy.slug})
            return redirect("workbench:outline", slug=copy.slug)
    for error in form.errors.get("slug", []):
        messages.error(request, _("Copie impossible : %(error)s") % {"error": error})
    return redirect("workbench:outline", slug=survey.slug)


def _moved(request: HttpRequest, survey: Survey, mover, obj, anchor: str) -> HttpResponse:
    direction = request.POST.get("direction")
    if direction not in (UP, DOWN):
        messages.error(request, _("Action inconnue."))
    else:
        try:
            mover(obj, direction)
        except OutlineRefused as exc:
            messages.error(request, _("Déplacement refusé : %(why)s") % {"why": "; ".join(exc.problems)})
    query = f"?{urlencode({'categorie': request.POST['categorie']})}" if request.POST.get("categorie") else ""
    return redirect(reverse("workbench:outline", args=[survey.slug]) + query + f"#{anchor}")


@designer_page
@require_POST
def section_move(request: HttpRequest, survey: Survey, pk: int) -> HttpResponse:
    section = get_object_or_404(Section, survey=survey, pk=pk)
    return _moved(request, survey, move_section, section, f"section-{section.pk}")


@designer_page
@require_POST
def question_move(request: HttpRequest, survey: Survey, pk: int) -> HttpResponse:
    question = get_object_or_404(Question, survey=survey, pk=pk)
    return _moved(request, survey, move_question, question, f"question-{question.pk}")
