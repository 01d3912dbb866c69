"""Who may read which publication, decided against the clock on every request.

A publication is public from its release moment on (``Publication.release_moment``), with no flag
to flip and no worker involved. Before that, only the accounts of its embargo list may read it;
for everybody else it does not exist (404, never 403), in every URL, download, feed and calendar
link. Issue 23's API calls :func:`publications_visible_to` to list what it may expose.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from .models import Publication, PublicationVersion, default_release_time

__all__ = ["released_q", "publications_released", "publications_visible_to", "publication_for", "version_for",
           "on_embargo_list"]


def released_q(now: dt.datetime | None = None) -> Q:
    """The SQL form of ``Publication.is_released``: release date before today (Paris time), or
    today at a time already past (the default hour when no time is fixed)."""
    local = (now or timezone.now()).astimezone(ZoneInfo(settings.TIME_ZONE))
    today, clock = local.date(), local.time().replace(tzinfo=None)
    q = Q(release_date__lt=today) | Q(release_date=today, release_time__lte=clock)
    if clock >= default_release_time():
        q |= Q(release_date=today, release_time__isnull=True)
    return q


def publications_released(now: dt.datetime | None = None) -> QuerySet[Publication]:
    """Released publications that have content (a publication without a version shows nothing)."""
    return (Publication.objects.filter(released_q(now), versions__isnull=False).distinct()
            .select_related("collection"))


def publications_visible_to(user, now: dt.datetime | None = None) -> QuerySet[Publication]:
    """What ``user`` may read now: the released publications, plus those whose embargo list holds
    ``user`` (an active account). Anonymous users: the released ones only."""
    visible = released_q(now)
    if user is not None and getattr(user, "is_authenticated", False) and user.is_active:
        visible |= Q(embargo=user)
    return (Publication.objects.filter(visible, versions__isnull=False).distinct().select_related("collection"))


def on_embargo_list(publication: Publication, user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active
                and publication.embargo.filter(pk=user.pk).exists())


def publication_for(user, collection_slug: str, slug: str,
                    now: dt.datetime | None = None) -> tuple[Publication, bool]:
    """The publication if ``user`` may read it now, else 404; and whether this is an embargoed read."""
    publication = (Publication.objects.filter(collection__slug=collection_slug, slug=slug)
                   .select_related("collection", "survey").first())
    if publication is None or not publication.versions.exists():
        raise Http404
    if publication.is_released(now):
        return publication, False
    if on_embargo_list(publication, user):
        return publication, True
    raise Http404


def version_for(publication: Publication, number: int | None = None) -> PublicationVersion:
    """The latest version (``number`` None) or the one asked for; 404 when there is no such version."""
    versions = publication.versions.all()
    version = versions.filter(number=number).first() if number is not None else versions.order_by("-number").first()
    if version is None:
        raise Http404
    return version
