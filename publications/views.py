"""Public pages of the publications: the release calendar (HTML, iCalendar), the publications and
their versions, the open data of every table. Thin: access is :mod:`publications.selectors`
(404 before release except for the embargo list, whose every read is logged), the figures are the
frozen, already suppressed tables of a version (no computation on a public request)."""

from __future__ import annotations

from functools import wraps
from typing import Callable

from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_safe

from analysis import plotly_css

from . import opendata
from .models import Collection, Publication, PublicationVersion, ReleaseChange
from .selectors import publication_for, publications_visible_to, version_for
from .services import embargo_access_log, notices_due


def _base_url(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _language() -> str:
    return (translation.get_language() or "fr")[:2]


def publication_view(view: Callable) -> Callable:
    """Resolve the publication for this user (404 otherwise); log and mark private an embargoed read."""
    @wraps(view)
    def wrapped(request: HttpRequest, collection: str, slug: str, *args, **kwargs) -> HttpResponse:
        publication, embargoed = publication_for(request.user, collection, slug)
        if embargoed:
            embargo_access_log(publication, request.user, request.path)
        else:
            notices_due(_base_url(request))
        response = view(request, publication, embargoed, *args, **kwargs)
        if embargoed:
            add_never_cache_headers(response)
            response["Cache-Control"] += ", private"
        return response
    return wrapped


def _calendar_entries(user, collection: Collection | None = None) -> list[dict]:
    """Per collection: its upcoming announced releases and its past ones (with content)."""
    now = timezone.now()
    readable = set(publications_visible_to(user, now).values_list("pk", flat=True))
    pubs = (Publication.objects.filter(announced_at__isnull=False) | Publication.objects.filter(pk__in=readable))
    if collection is not None:
        pubs = pubs.filter(collection=collection)
    pubs = (pubs.distinct().select_related("collection")
            .prefetch_related(Prefetch("changes", queryset=ReleaseChange.objects.order_by("at"))))
    collections: dict[int, dict] = {}
    for p in pubs:
        released = p.is_released(now)
        if released and p.pk not in readable:
            continue  # released without content: nothing to show yet
        entry = collections.setdefault(p.collection_id, {"collection": p.collection, "upcoming": [], "past": []})
        item = {"publication": p, "moment": p.release_moment, "readable": p.pk in readable,
                "embargoed": not released and p.pk in readable, "changes": list(p.changes.all())}
        (entry["past"] if released else entry["upcoming"]).append(item)
    for entry in collections.values():
        entry["upcoming"].sort(key=lambda i: i["moment"])
        entry["past"].sort(key=lambda i: i["moment"], reverse=True)
    return sorted(collections.values(), key=lambda e: (e["collection"].order, e["collection"].slug))


@require_safe
def calendar(request: HttpRequest) -> HttpResponse:
    """Past and upcoming releases by collection (the calendar announced ahead)."""
    notices_due(_base_url(request))
    return render(request, "publications/calendar.html", {
        "entries": _calendar_entries(request.user), "collections": Collection.objects.all()})


@require_safe
def collection(request: HttpRequest, slug: str) -> HttpResponse:
    coll = get_object_or_404(Collection, slug=slug)
    entries = _calendar_entries(request.user, coll)
    return render(request, "publications/collection.html", {"collection": coll, "entries": entries})


def _page(request: HttpRequest, publication: Publication, version: PublicationVersion, embargoed: bool) -> HttpResponse:
    p = publication
    blocks = []
    for block in version.blocks(_language()):
        args = [p.collection.slug, p.slug, version.number, block["name"]]
        blocks.append({**block, "figure_json": block.get("figure"),
                       "data_url": reverse("publications:table_csv", args=args),
                       "json_url": reverse("publications:table_json", args=args)})
    versions = list(p.versions.order_by("number"))
    return render(request, "publications/detail.html", {
        "publication": p, "version": version, "versions": versions, "latest": versions[-1],
        "blocks": blocks, "embargoed": embargoed, "meta": version.content.get("meta", {}),
        "changes": list(p.changes.order_by("at")), "plotly_skip_ids": plotly_css.skipped_style_ids(),
        "wave_labels": [w.label or w.code for w in p.waves.order_by("opens_at")],
    })


@require_safe
@publication_view
def detail(request: HttpRequest, publication: Publication, embargoed: bool) -> HttpResponse:
    return _page(request, publication, version_for(publication), embargoed)


@require_safe
@publication_view
def version(request: HttpRequest, publication: Publication, embargoed: bool, number: int) -> HttpResponse:
    return _page(request, publication, version_for(publication, number), embargoed)


def _block(version: PublicationVersion, name: str) -> dict:
    for block in version.blocks(_language()):
        if block["name"] == name:
            return block
    raise Http404


@require_safe
@publication_view
def table_csv(request: HttpRequest, publication: Publication, embargoed: bool, number: int, name: str) -> HttpResponse:
    v = version_for(publication, number)
    response = HttpResponse(opendata.block_csv(_block(v, name)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{publication.slug}-v{number}-{name}.csv"'
    return response


@require_safe
@publication_view
def table_json(request: HttpRequest, publication: Publication, embargoed: bool, number: int, name: str) -> HttpResponse:
    v = version_for(publication, number)
    body = opendata.block_json(v, _block(v, name), _base_url(request))
    return HttpResponse(body, content_type="application/json; charset=utf-8")


@require_safe
def calendar_ics(request: HttpRequest) -> HttpResponse:
    """One event per announced release (date, or date and time once fixed), with its page's URL."""
    from .calendar import calendar_bytes

    pubs = (Publication.objects.filter(announced_at__isnull=False).select_related("collection")
            .prefetch_related("changes").order_by("release_date", "pk"))
    body = calendar_bytes(pubs, _base_url(request), stamp=timezone.now().replace(microsecond=0))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="calendrier.ics"'
    return response

