"""Respondent and public pages. Thin: every decision is in `services` or `wizard`."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .forms import SectionForm
from .gate import survey_gate
from .resume import remember_code, resume_start_record, resume_start_run, shown_code
from .models import Channel, Participant, ResponseStatus, Survey, SurveyStatus, UserCategory, new_secret
from .permissions import in_group, surveys_for
from .preview import preview_steps
from .services.responses import (
    Run, response_by_resume_code, response_load_answers, participant_by_token, survey_structure, wave_for_answering,
)
from .ratelimit import ratelimit
from .services import browser_once
from .services.erasure import response_erase_everywhere
from .services.privacy import response_as_dict
from .services.review import display_answer
from .wizard import CATEGORY_STEP, get_run, restore_storage, save_run, storage_prefix, unsign_run


def home(request: HttpRequest) -> HttpResponse:
    """Open surveys for the public; links to the admin and dashboards for staff."""
    now = timezone.now()
    open_surveys = Survey.objects.filter(status=SurveyStatus.PUBLISHED, waves__opens_at__lte=now, waves__closes_at__gt=now).distinct()
    return render(request, "home.html", {"open_surveys": open_surveys})


def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "accessibility.html")


def _message_page(request: HttpRequest, title: str, body: str, status: int = 200, survey: Survey | None = None
                  ) -> HttpResponse:
    return render(request, "surveys/message.html", {"title": title, "body": body, "survey": survey}, status=status)


def start(request: HttpRequest, slug: str) -> HttpResponse:
    """Open link: `/s/<slug>/?canal=website&categorie=researchers` (both optional)."""
    survey = get_object_or_404(Survey, slug=slug)
    if (gate := survey_gate(request, survey)) is not None:
        return gate
    wave, why = wave_for_answering(survey)
    if why:
        return _closed_page(request, survey, wave, why)
    if browser_once.answered_in_this_browser(request, survey):
        return _message_page(request, _("Déjà répondu"), _(
            "Vous avez déjà répondu à ce questionnaire depuis ce navigateur. Merci pour votre participation."),
            survey=survey)
    channel_code = request.GET.get("canal", "").strip()
    category_code = request.GET.get("categorie", "").strip()
    channel = Channel.objects.filter(code=channel_code).first() if channel_code else None
    category = UserCategory.objects.filter(code=category_code).first() if category_code else None
    allowed = list(survey.categories.all())
    if (channel_code and channel is None) or (category_code and (category is None or (allowed and category not in allowed))):
        return _message_page(
            request, _("Lien incomplet"),
            _("Ce lien contient un canal ou une catégorie que nous ne connaissons pas. "
              "Vous pouvez répondre au questionnaire depuis son adresse principale."),
            status=404, survey=survey)
    run = get_run(request, survey)
    fresh_link = bool(channel_code or category_code)
    if run is not None and not run.done and run.wave_id == wave.pk and not fresh_link:
        return redirect("surveys:step", slug=slug, step=request.session.get(
            f"wizard_{storage_prefix(survey)}", {}).get("step") or _first_step(run))
    raw_code = new_secret()[:16]
    run = Run(survey_id=survey.pk, wave_id=wave.pk, category=category.code if category else None,
              channel=channel.code if channel else None, category_preset=category is not None,
              resume_code=raw_code)
    save_run(request, survey, run)
    resume_start_record(run, raw_code)  # the code works from the first step, before any answer
    request.session.pop(f"wizard_{storage_prefix(survey)}", None)
    return remember_code(redirect("surveys:step", slug=slug, step=_first_step(run, survey)), survey, raw_code)


def _first_step(run: Run, survey: Survey | None = None) -> str:
    if not run.category_preset:
        return CATEGORY_STEP
    from .services.responses import visible_sections

    survey = survey or Survey.objects.get(pk=run.survey_id)
    sections = visible_sections(survey_structure(survey), run.category, {})
    return sections[0].code if sections else "recapitulatif"


def _closed_page(request: HttpRequest, survey: Survey, wave, why: str) -> HttpResponse:
    if why == "not_open_yet":
        body = _("Ce questionnaire ouvrira le %(date)s.") % {"date": timezone.localtime(wave.opens_at).strftime("%d/%m/%Y %H:%M")}
    elif why == "closed":
        body = _("Ce questionnaire est clos depuis le %(date)s. Merci de votre intérêt.") % {
            "date": timezone.localtime(wave.closes_at).strftime("%d/%m/%Y %H:%M")}
    else:
        body = _("Ce questionnaire n'est pas ouvert.")
    return _message_page(request, _("Questionnaire fermé"), body, status=200, survey=survey)


@ratelimit("token", "RATE_LIMIT_TOKEN")
def token_entry(request: HttpRequest, token: str) -> HttpResponse:
    """Invitation link: category and channel come from the invitation; one response per token."""
    participant = participant_by_token(token)
    if participant is None:
        return _message_page(request, _("Lien invalide"),
                             _("Ce lien d'invitation n'est pas valide : vérifiez qu'il est complet. S'il vient d'un "
                               "ancien message, utilisez le lien du message le plus récent, qui le remplace."),
                             status=404)
    survey = participant.survey
    if (gate := survey_gate(request, survey)) is not None:
        return gate
    wave = participant.wave
    if not wave.is_open():
        return _closed_page(request, survey, wave, "closed" if timezone.now() >= wave.closes_at else "not_open_yet")
    response = getattr(participant, "response", None)
    if response is not None and response.status == ResponseStatus.COMPLETE:
        return render(request, "surveys/already.html", {"survey": survey, "code": token})
    if participant.opened_at is None:
        Participant.objects.filter(pk=participant.pk, opened_at__isnull=True).update(opened_at=timezone.now())
    run = Run(survey_id=survey.pk, wave_id=wave.pk, category=participant.category.code,
              channel=participant.channel.code if participant.channel else None, category_preset=True,
              participant_id=participant.pk)
    if response is not None:
        run.response_id = str(response.id)
    save_run(request, survey, run)
    step = restore_storage(request, survey, run)
    return _in_language(request, redirect("surveys:step", slug=survey.slug, step=step), participant.language)


def _in_language(request: HttpRequest, response: HttpResponse, language: str) -> HttpResponse:
    """The invitation was written in the person's language: the questionnaire follows it rather
    than the browser's, unless they already chose one with the language button (its cookie)."""
    from django.conf import settings

    codes = {code for code, _name in settings.LANGUAGES}
    if language in codes and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
                            path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
                            secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                            samesite=settings.LANGUAGE_COOKIE_SAMESITE)
    return response


@ratelimit("token", "RATE_LIMIT_TOKEN", methods=("POST",))
def resume(request: HttpRequest) -> HttpResponse:
    """A form to type a resume code (POST redirects to the code's URL)."""
    code = request.POST.get("code", "").strip() if request.method == "POST" else ""
    if code:
        return resume_code(request, code)
    return render(request, "surveys/resume.html", {})


@ratelimit("token", "RATE_LIMIT_TOKEN")
def resume_code(request: HttpRequest, code: str) -> HttpResponse:
    """Continue a draft with its resume code, at the first unanswered step, every answer filled."""
    response = response_by_resume_code(code)
    if response is None:
        return _resume_before_any_answer(request, code)
    survey = response.survey
    if response.status == ResponseStatus.COMPLETE:
        return render(request, "surveys/already.html", {"survey": survey, "code": code})
    if (gate := survey_gate(request, survey)) is not None:
        return gate
    if not response.wave.is_open():
        return _closed_page(request, survey, response.wave, "closed")
    run = Run(survey_id=survey.pk, wave_id=response.wave_id, response_id=str(response.id),
              category=response.category.code, channel=response.channel.code if response.channel else None,
              category_preset=True, resume_code=code)
    save_run(request, survey, run)
    step = restore_storage(request, survey, run)
    return remember_code(redirect("surveys:step", slug=survey.slug, step=step), survey, code)


def _resume_before_any_answer(request: HttpRequest, code: str) -> HttpResponse:
    """A code shown on the first step, before anything was answered: start that run again."""
    found = resume_start_run(code)
    if found is None:
        return render(request, "surveys/resume.html", {"error": _("Ce code de reprise est inconnu.")}, status=404)
    survey, run = found
    if (gate := survey_gate(request, survey)) is not None:
        return gate
    wave = survey.waves.filter(pk=run.wave_id).first()
    if wave is None or not wave.is_open():
        return _closed_page(request, survey, wave, "closed") if wave else _closed_page(request, survey, None, "none")
    save_run(request, survey, run)
    request.session.pop(f"wizard_{storage_prefix(survey)}", None)
    return remember_code(redirect("surveys:step", slug=survey.slug, step=_first_step(run, survey)), survey, code)


def notice(request: HttpRequest, slug: str) -> HttpResponse:
    """The survey's information notice (GDPR art. 13)."""
    survey = get_object_or_404(Survey, slug=slug)
    if (gate := survey_gate(request, survey, designer_passes=True, closed_passes=True)) is not None:
        return gate
    return render(request, "surveys/notice.html", {"survey": survey})


def thanks(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    if (gate := survey_gate(request, survey, closed_passes=True)) is not None:
        return gate
    run = get_run(request, survey)
    return render(request, "surveys/thanks.html", {
        "survey": survey,
        "resume_code": shown_code(request, survey, run) if run and run.done and run.participant_id is None else None,
    })


@staff_member_required
def preview(request: HttpRequest, slug: str, category: str) -> HttpResponse:
    """Exactly the steps and questions a respondent of `category` would get (conditions listed)."""
    if not (in_group(request.user, "designers", "analysts") or request.user.is_superuser):
        raise Http404
    survey = get_object_or_404(surveys_for(request.user), slug=slug)
    cat = get_object_or_404(UserCategory, code=category)
    return render(request, "surveys/preview.html", {
        "survey": survey, "category": cat, "steps": preview_steps(survey, cat.code, prefix=""),
        "categories": list(survey.categories.all()) or list(UserCategory.objects.all()),
    })


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Expired session or CSRF cookie: show the page again with what was typed, never a bare 403."""
    match = request.resolver_match
    run = unsign_run(request.POST.get("ecoute-run", "")) if request.method == "POST" else None
    if run is not None:
        survey = Survey.objects.filter(pk=run.survey_id).first()
        step = request.POST.get("ecoute-step") or ""
        section = next((s for s in survey_structure(survey) if s.code == step), None) if survey else None
        if section is not None:
            questions = [q for q in section.questions.all() if q.applies_to(run.category)]
            form = SectionForm(data=request.POST, prefix=section.code, questions=questions)
            return render(request, "surveys/expired.html", {
                "survey": survey, "section": section, "form": form, "run_signed": request.POST.get("ecoute-run"),
                "action": reverse("surveys:step", kwargs={"slug": survey.slug, "step": step}), "step": step,
                "mgmt_name": f"{storage_prefix(survey)}-current_step",
            }, status=403)
    del match
    return _message_page(request, _("Session expirée"),
                         _("Votre session a expiré. Rechargez la page et recommencez l'opération."), status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    """A generic French page: no stack trace, no SQL, no settings."""
    return render(request, "500.html", status=500)


def _own_response(code: str):
    """The response a respondent reaches with their resume code or invitation token, or None."""
    response = response_by_resume_code(code)
    if response is None:
        participant = participant_by_token(code)
        response = getattr(participant, "response", None) if participant else None
    return response


@ratelimit("token", "RATE_LIMIT_TOKEN")
def my_answers(request: HttpRequest, code: str) -> HttpResponse:
    """Right of access: the respondent sees their answers (and may download or erase them)."""
    response = _own_response(code)
    if response is None:
        return _message_page(request, _("Lien invalide"), _("Ce code ne correspond à aucune réponse."), status=404)
    answers = response_load_answers(response.id)
    rows = [(q.text, display_answer(q, answers[q.code]))  # questionnaire order, labels, not codes
            for section in survey_structure(response.survey) for q in section.questions.all() if q.code in answers]
    return render(request, "surveys/my_answers.html", {
        "survey": response.survey, "response": response, "rows": rows, "code": code,
        "can_erase": response.survey.allow_erasure and timezone.now() < response.wave.closes_at,
    })


@ratelimit("token", "RATE_LIMIT_TOKEN")
def my_answers_download(request: HttpRequest, code: str) -> HttpResponse:
    """Right to portability: the answers as JSON."""
    import json

    response = _own_response(code)
    if response is None:
        raise Http404
    out = HttpResponse(json.dumps(response_as_dict(response), ensure_ascii=False, indent=2),
                       content_type="application/json; charset=utf-8")
    out["Content-Disposition"] = 'attachment; filename="mes-reponses.json"'
    return out


@ratelimit("token", "RATE_LIMIT_TOKEN")
def my_answers_erase(request: HttpRequest, code: str) -> HttpResponse:
    """Right to erasure: GET asks for confirmation, POST erases (never a GET side effect)."""
    response = _own_response(code)
    if response is None:
        raise Http404
    survey = response.survey
    if not survey.allow_erasure or timezone.now() >= response.wave.closes_at:
        return _message_page(request, _("Effacement impossible"),
                             _("La période pendant laquelle vous pouviez effacer vos réponses est terminée."),
                             status=403, survey=survey)
    if request.method == "POST":
        response_erase_everywhere(request, response)
        return _message_page(request, _("Réponses effacées"),
                             _("Vos réponses ont été effacées. Merci de votre intérêt."), survey=survey)
    return render(request, "surveys/erase_confirm.html", {"survey": survey, "code": code})
