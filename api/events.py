"""What triggers webhooks: a response completed, a wave closed (publication.released: see below).

* ``response.completed`` — the ``response_completed`` signal of ``surveys.services.responses``
  (sent on commit of the submission);
* ``wave.closed`` — a wave saved with a closing time already past (closed early in the admin),
  and :func:`waves_closed_announce` (``manage.py webhooks_deliver``) for waves reaching their
  closing time; one delivery per wave and webhook whatever the number of triggers;
* ``publication.released`` — :func:`publications_released_announce`, a duty of the scheduler's
  every tick (`jobs.schedule.EVERY_TICK`): each publication of the last week whose release moment
  has passed, once per webhook (the delivery key is the publication), with no visitor needed.

Payloads carry ids; the answers are added only for webhooks with the microdata scope.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models.signals import post_save
from django.utils import timezone

from surveys.models import Answer, Wave

from .models import Event, Webhook
from .webhooks import event_emit

logger = logging.getLogger(__name__)

#: how far back a closed wave is still announced by the periodic check
ANNOUNCE_WINDOW = timedelta(days=7)


def _answers(response_id) -> dict:
    out = {}
    for a in Answer.objects.filter(response_id=response_id).select_related("question"):
        if a.dont_know:
            value = "dont_know"
        elif a.codes is not None:
            value = a.codes
        elif a.value is not None:
            value = a.value
        else:
            value = a.text
        out[a.question.code] = value
    return out


def response_completed(sender, response, **kwargs) -> None:
    """Runs after the respondent's submission committed: a failure here is logged, never theirs."""
    try:
        if not Webhook.objects.filter(survey_id=response.survey_id, active=True).exists():
            return
        wave_code = Wave.objects.filter(pk=response.wave_id).values_list("code", flat=True).first()
        event_emit(response.survey_id, Event.RESPONSE_COMPLETED, str(response.id),
                   {"response_id": str(response.id), "wave": wave_code},
                   microdata=lambda: _answers(response.id))
    except Exception:  # noqa: BLE001 - the response is saved; the webhook can be replayed from the logs
        logger.exception("response.completed webhook for %s not recorded", response.id)


def wave_closed(wave: Wave) -> list[int]:
    return event_emit(wave.survey_id, Event.WAVE_CLOSED, str(wave.pk),
                      {"wave": wave.code, "closes_at": wave.closes_at.isoformat()})


def _wave_saved(sender, instance: Wave, **kwargs) -> None:
    if instance.closes_at and instance.closes_at <= timezone.now():
        try:
            wave_closed(instance)
        except Exception:  # noqa: BLE001 - saving the wave matters more; the periodic check retries
            logger.exception("wave.closed webhook for wave %s not recorded", instance.pk)


def waves_closed_announce(now=None) -> list[Wave]:
    """``wave.closed`` for the waves closed in the last week (already announced ones send nothing)."""
    now = now or timezone.now()
    surveys = Webhook.objects.filter(active=True).values("survey_id")
    waves = list(Wave.objects.filter(survey_id__in=surveys, closes_at__lte=now, closes_at__gt=now - ANNOUNCE_WINDOW))
    return [w for w in waves if wave_closed(w)]


def publications_released_announce(now=None) -> int:
    """``publication.released`` for the publications released in the last week, of surveys with an
    active webhook; returns the deliveries created (already announced ones create none)."""
    from publications.selectors import publications_released

    now = now or timezone.now()
    surveys = {survey_id for survey_id, events in Webhook.objects.filter(active=True).values_list("survey_id", "events")
               if Event.PUBLICATION_RELEASED in events}  # (JSON containment is not portable to SQLite)
    if not surveys:
        return 0
    recent = publications_released(now).filter(survey_id__in=surveys,
                                               release_date__gte=(now - ANNOUNCE_WINDOW).date())
    created = 0
    for pub in recent:
        created += len(event_emit(pub.survey_id, Event.PUBLICATION_RELEASED, str(pub.pk), {
            "publication": pub.slug, "collection": pub.collection.slug,
            "released_at": pub.release_moment.isoformat(), "url": pub.get_absolute_url()}))
    return created


def connect() -> None:
    from surveys.services.responses import response_completed as completed_signal

    completed_signal.connect(response_completed, dispatch_uid="api.events.response_completed")
    post_save.connect(_wave_saved, sender=Wave, dispatch_uid="api.events.wave_saved")
    from jobs import schedule

    if publications_released_announce not in schedule.EVERY_TICK:
        schedule.EVERY_TICK.append(publications_released_announce)
