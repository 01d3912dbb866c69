"""The questionnaire as the versioned JSON document of ``export_survey`` / ``import_survey``."""


from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Body, Router

from surveys.services.import_export import SurveyImportError, survey_export, survey_import

from ..auth import survey_for
from ..errors import ApiError
from ..idempotency import idempotent
from ..models import Scope
from .common import ERRORS, json_response

router = Router(tags=["questionnaire"])


@router.get("{slug}/questionnaire/", response={200: dict[str, Any], **ERRORS}, summary="Questionnaire (JSON)")
def questionnaire_get(request: HttpRequest, slug: str):
    """The document ``manage.py export_survey`` writes (sections, questions, choices, waves)."""
    return survey_export(survey_for(request, slug, Scope.RESULTS_READ))


@router.post("{slug}/questionnaire/", response={200: dict[str, Any], 409: dict, 422: dict, **ERRORS},
             summary="Replace the questionnaire (questionnaire:write)")
@idempotent
def questionnaire_replace(request: HttpRequest, slug: str, document: dict[str, Any] = Body(...)) -> HttpResponse:
    """Rebuild the survey from a document, as ``import_survey --replace`` does: validated whole first,
    written in one transaction, refused for a survey that already has responses or participants."""
    survey = survey_for(request, slug, Scope.QUESTIONNAIRE_WRITE)
    head = document.get("survey")
    if not isinstance(head, dict) or head.get("slug") != survey.slug:
        raise ApiError(400, "slug_mismatch", "Le document décrit une autre enquête.", "survey.slug")
    try:
        updated = survey_import(document, replace=True, actor=request.auth.user)
    except SurveyImportError as exc:
        errors = [str(e) for e in getattr(exc, "errors", [exc])]
        raise ApiError(400, "invalid_questionnaire", "; ".join(errors)[:2000], "document") from None
    return json_response(survey_export(updated))
