"""Publications (``results:read``): the released ones, plus those under embargo for a token whose
owner is on the embargo list (each such detail read logged, like the pages' embargoed reads).

Access is :mod:`publications.selectors` and the tables are the open-data JSON documents of
:mod:`publications.opendata` (the frozen, already suppressed rows): nothing is computed here. An
unreleased publication is a 404 for everybody else, as on the pages.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone, translation
from ninja import Router, Schema

from publications import opendata
from publications.models import Publication
from publications.selectors import publication_for, publications_visible_to, version_for
from publications.services import embargo_access_log, notices_due

from ..auth import require_scope
from ..models import Scope
from .common import ERRORS, Error

router = Router(tags=["publications"])


class PublicationOut(Schema):
    collection: str
    slug: str
    title: str
    survey: str
    released_at: datetime
    released: bool
    embargoed: bool
    version: int
    tables: list[str]
    url: str


class PublicationDetailOut(PublicationOut):
    correction_note: str | None = None
    #: one open-data JSON document per table (the page's "JSON" downloads)
    table_data: list[dict[str, Any]]


def _base_url(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _summary(request: HttpRequest, p: Publication, version, language: str, now: datetime) -> dict:
    released = p.is_released(now)
    return {"collection": p.collection.slug, "slug": p.slug, "title": p.title, "survey": p.survey.slug,
            "released_at": p.release_moment, "released": released, "embargoed": not released,
            "version": version.number, "tables": [b["name"] for b in version.blocks(language)],
            "url": _base_url(request) + p.get_absolute_url()}


@router.get("", response={200: list[PublicationOut], **ERRORS}, summary="Publications readable now")
def publication_list(request: HttpRequest, language: Literal["fr", "en"] = "fr"):
    """Released publications, latest first; plus the embargoed ones whose list holds the token's owner."""
    token = require_scope(request, Scope.RESULTS_READ)
    notices_due(_base_url(request))  # a read after the release queues the notice, as the pages do
    now = timezone.now()
    pubs = (publications_visible_to(token.user, now).select_related("survey")
            .prefetch_related("versions").order_by("-release_date", "-release_time", "-pk"))
    out = []
    with translation.override(language):
        for p in pubs:
            latest = max(p.versions.all(), key=lambda v: v.number)
            out.append(_summary(request, p, latest, language, now))
    return out


@router.get("{collection}/{slug}/", response={200: PublicationDetailOut, 404: Error, **ERRORS},
            summary="One publication with its tables")
def publication_detail(request: HttpRequest, collection: str, slug: str, language: Literal["fr", "en"] = "fr",
                       version: int | None = None):
    """The latest version (or ``version``) with every table as its open-data JSON; 404 before the
    release unless the token's owner is on the embargo list (then the read is logged)."""
    token = require_scope(request, Scope.RESULTS_READ)
    now = timezone.now()
    publication, embargoed = publication_for(token.user, collection, slug, now)
    if embargoed:
        embargo_access_log(publication, token.user, request.path)
    else:
        notices_due(_base_url(request))
    v = version_for(publication, version)
    with translation.override(language):
        out = _summary(request, publication, v, language, now)
        out["correction_note"] = v.correction_note or None
        out["table_data"] = [json.loads(opendata.block_json(v, block, _base_url(request)))
                             for block in v.blocks(language)]
    return out
