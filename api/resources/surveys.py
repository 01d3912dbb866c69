"""Surveys and waves the token may read (``results:read``)."""


from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema

from surveys.models import Survey
from surveys.permissions import surveys_for

from ..auth import require_scope, survey_for
from ..models import Scope
from .common import ERRORS

router = Router(tags=["surveys"])


class WaveOut(Schema):
    code: str
    label: str
    opens_at: datetime
    closes_at: datetime
    is_open: bool


class SurveyOut(Schema):
    slug: str
    title_fr: str
    title_en: str
    min_cell: int
    waves: list[WaveOut]


def _wave(w) -> dict:
    return {"code": w.code, "label": w.label, "opens_at": w.opens_at, "closes_at": w.closes_at, "is_open": w.is_open()}


def _survey(s: Survey) -> dict:
    return {"slug": s.slug, "title_fr": s.title_fr, "title_en": s.title_en, "min_cell": s.min_cell,
            "waves": [_wave(w) for w in s.waves.all()]}


@router.get("", response={200: list[SurveyOut], **ERRORS}, summary="Surveys of the token")
def survey_list(request: HttpRequest):
    """The token's surveys that its owner is still granted."""
    token = require_scope(request, Scope.RESULTS_READ)
    qs = surveys_for(token.user).filter(api_tokens=token).prefetch_related("waves")
    return [_survey(s) for s in qs]


@router.get("{slug}/", response={200: SurveyOut, **ERRORS}, summary="One survey")
def survey_detail(request: HttpRequest, slug: str):
    return _survey(survey_for(request, slug, Scope.RESULTS_READ))


@router.get("{slug}/waves/", response={200: list[WaveOut], **ERRORS}, summary="Waves of a survey")
def wave_list(request: HttpRequest, slug: str):
    survey = survey_for(request, slug, Scope.RESULTS_READ)
    return [_wave(w) for w in survey.waves.all()]
