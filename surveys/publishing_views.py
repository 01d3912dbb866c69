"""The designer's publication page: the survey's status, the publish checklist, publish and close."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from .models import Survey, SurveyStatus
from .services.publishing import PublishRefused, survey_close, survey_publish, survey_publish_problems
from .staff_views import designer_page


@designer_page
def publication(request: HttpRequest, survey: Survey) -> HttpResponse:
    """GET: status and checklist. POST `action=publish|close`: change the status (publish only if clean)."""
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "publish":
            try:
                survey_publish(survey, request.user)
            except PublishRefused as exc:
                return render(request, "staff/publication.html", {
                    "survey": survey, "section": "publication", "problems": exc.problems, "refused": True,
                }, status=400)
            messages.success(request, _("L'enquête est publiée : ses liens publics sont ouverts."))
        elif action == "close" and survey.status == SurveyStatus.PUBLISHED:
            survey_close(survey, request.user)
            messages.success(request, _("L'enquête est close : elle ne reçoit plus de réponses, ses résultats restent."))
        else:
            messages.error(request, _("Action inconnue."))
        return redirect("staff:publication", slug=survey.slug)
    return render(request, "staff/publication.html", {
        "survey": survey, "section": "publication", "problems": survey_publish_problems(survey),
    })
