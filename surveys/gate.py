"""Who may reach a survey's public URLs, by its status (draft, published, closed).

Every respondent-facing view asks `survey_gate` first: a draft is a 404 for everyone but the
survey's own designers (who are sent to the preview, so no test answer lands in the data), a closed
survey shows "this survey is closed" with status 410 (Gone: the results stay, answering is over).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from .models import Survey, SurveyStatus, UserCategory
from .permissions import surveys_for


def is_survey_designer(user, survey: Survey) -> bool:
    """A staff member the survey is granted to (or a superuser)."""
    return bool(user and user.is_authenticated and user.is_active and user.is_staff
                and surveys_for(user).filter(pk=survey.pk).exists())


def preview_redirect(survey: Survey) -> HttpResponse:
    """The preview of the survey's first offered category (the designer's view of a draft)."""
    category = survey.categories.order_by("order", "code").first() or UserCategory.objects.first()
    if category is None:
        raise Http404
    return redirect("surveys:preview", slug=survey.slug, category=category.code)


def closed_response(request: HttpRequest, survey: Survey) -> HttpResponse:
    return render(request, "surveys/message.html", {
        "title": _("Cette enquête est close"),
        "body": _("Cette enquête ne reçoit plus de réponses. Merci de votre intérêt ; ses résultats sont conservés."),
        "survey": survey,
    }, status=410)


def survey_gate(request: HttpRequest, survey: Survey, *, designer_passes: bool = False,
                closed_passes: bool = False) -> HttpResponse | None:
    """None when the page may be shown; else the page to answer instead (or Http404 raised).

    `designer_passes`: shown as is to the survey's designers while a draft (the notice);
    `closed_passes`: still shown once closed (the notice, the thank-you page).
    """
    if survey.status == SurveyStatus.PUBLISHED:
        return None
    if survey.status == SurveyStatus.CLOSED:
        return None if closed_passes else closed_response(request, survey)
    if is_survey_designer(request.user, survey):
        return None if designer_passes else preview_redirect(survey)
    raise Http404
