"""What the quality team does with a publication: freeze its content, announce it, move its date
(with a reason, once announced), correct it after release (a new version), log embargoed reads and
have the release notice sent."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from surveys.models import SCORED_TYPES, audit

from .models import EmbargoAccess, Publication, PublicationVersion, ReleaseChange
from .tables import TableSpecError, freeze_content, parse_tables

logger = logging.getLogger(__name__)


def _content(publication: Publication) -> dict:
    scored = list(publication.survey.questions.filter(type__in=SCORED_TYPES)
                  .values_list("code", flat=True))
    try:
        specs = parse_tables(publication.tables, scored)
    except TableSpecError as exc:
        raise ValidationError({"tables": str(exc)}) from None
    waves = [w.code for w in publication.waves.filter(survey=publication.survey).order_by("opens_at", "code")]
    if not waves:
        raise ValidationError(_("Choisissez au moins une vague de l'enquête."))
    return freeze_content(publication.survey, waves, specs)


@transaction.atomic
def publication_freeze(publication: Publication, actor=None) -> PublicationVersion:
    """Before release: compute the tables now and make them the content to be released (version 1,
    replaced as often as needed until the release). After release, use :func:`publication_correct`."""
    if publication.is_released():
        raise ValidationError(_("La publication est parue : une modification est une correction (nouvelle version, "
                                "avec une note)."))
    content = _content(publication)
    version, _created = PublicationVersion.objects.update_or_create(
        publication=publication, number=1,
        defaults={"content": content, "text_fr": publication.text_fr, "text_en": publication.text_en,
                  "created_at": timezone.now()})
    audit(actor, "publication_freeze", f"{publication.collection.slug}/{publication.slug}", version=1)
    return version


@transaction.atomic
def publication_correct(publication: Publication, note_fr: str, note_en: str = "", actor=None) -> PublicationVersion:
    """After release: a new version (tables computed again, current text) with a visible note; the
    earlier versions stay readable at their own URL."""
    if not publication.is_released():
        raise ValidationError(_("Avant la parution, figez simplement le contenu à nouveau."))
    if not (note_fr or "").strip():
        raise ValidationError({"correction_note_fr": _("Une correction doit être expliquée (note en français).")})
    Publication.objects.select_for_update().filter(pk=publication.pk).first()  # one new number at a time
    last = publication.versions.order_by("-number").first()
    version = PublicationVersion.objects.create(
        publication=publication, number=(last.number + 1) if last else 1, content=_content(publication),
        text_fr=publication.text_fr, text_en=publication.text_en,
        correction_note_fr=note_fr.strip(), correction_note_en=(note_en or "").strip())
    audit(actor, "publication_correct", f"{publication.collection.slug}/{publication.slug}", version=version.number)
    return version


def release_change_record(publication: Publication, old_date: dt.date, old_time: dt.time | None,
                          reason: str, actor=None) -> ReleaseChange | None:
    """Keep a change of an announced release (before the save of ``publication``'s new date/time).
    Unannounced publications move freely; an announced one needs a reason."""
    if publication.announced_at is None:
        return None
    if (old_date, old_time) == (publication.release_date, publication.release_time):
        return None
    if not (reason or "").strip():
        raise ValidationError({"change_reason": _("La parution est annoncée : indiquez le motif du changement.")})
    return ReleaseChange.objects.create(
        publication=publication, old_date=old_date, old_time=old_time, new_date=publication.release_date,
        new_time=publication.release_time, reason=reason.strip()[:300],
        by=getattr(actor, "get_username", lambda: "")())


def publication_announce(publication: Publication, base_url: str = "") -> None:
    """Put the release on the public calendar (and queue its notice for the release time)."""
    if publication.announced_at is None:
        Publication.objects.filter(pk=publication.pk).update(announced_at=timezone.now())
        publication.announced_at = timezone.now()
    notice_schedule(publication, base_url)


def embargo_access_log(publication: Publication, user, path: str) -> EmbargoAccess:
    return EmbargoAccess.objects.create(publication=publication, user=user, path=path[:300])


# --------------------------------------------------------------------------------------------
# Release notice (django.tasks)
# --------------------------------------------------------------------------------------------
def notice_schedule(publication: Publication, base_url: str = "") -> None:
    """With a backend that can defer (a database queue), queue the notice for the release moment.
    A stale one (the date moved) finds the publication not released yet and does nothing; the
    first request after the release queues it anyway (:func:`notices_due`), so nothing depends on
    this one running."""
    from django.tasks import task_backends

    from .tasks import send_release_notice

    if not task_backends["default"].supports_defer or publication.is_released():
        return
    moment = publication.release_moment
    transaction.on_commit(lambda: send_release_notice.using(run_after=moment).enqueue(publication.pk, base_url),
                          robust=True)  # a queue outage must not fail the save


def notices_due(base_url: str = "") -> int:
    """Queue the notice of every released publication whose notice was never queued (once each:
    the claim is one conditional UPDATE, so concurrent requests queue it once)."""
    from .selectors import publications_released

    due = list(publications_released().filter(notice_sent_at__isnull=True, notice_queued_at__isnull=True)
               .values_list("pk", flat=True)[:20])
    queued = 0
    for pk in due:
        if Publication.objects.filter(pk=pk, notice_queued_at__isnull=True).update(notice_queued_at=timezone.now()):
            transaction.on_commit(lambda pk=pk: _enqueue_notice(pk, base_url))
            queued += 1
    return queued


def notices_due_tick() -> int:
    """The scheduler's duty (every housekeeping round): queue the notices of what was released,
    so a notice never waits for a visitor (links made absolute with ``SITE_URL``)."""
    return notices_due(settings.SITE_URL)


def upcoming_releases(now: dt.datetime, limit: int) -> list:
    """The announced releases still to come, for the scheduler's staff page."""
    from jobs.schedule import NextRun

    from .selectors import released_q

    upcoming = (Publication.objects.exclude(released_q(now)).select_related("collection")
                .order_by("release_date", "release_time")[:limit])
    return [NextRun(p.release_moment, f"Parution « {p.title_fr} » — {p.collection.slug}") for p in upcoming]


def _enqueue_notice(pk: int, base_url: str) -> None:
    """Queue the notice; if the queue is down, log it and let a later request claim it again (a
    public page never fails because of the notice: the release itself does not depend on it)."""
    from .tasks import send_release_notice

    try:
        send_release_notice.enqueue(pk, base_url)
    except Exception:  # noqa: BLE001 - any backend error
        logger.warning("release notice of publication %s not queued; retried on a later request", pk, exc_info=True)
        Publication.objects.filter(pk=pk, notice_sent_at__isnull=True).update(notice_queued_at=None)
