"""The scheduler: periodic and dated work, run by the workers' housekeeping (every few seconds).

* **Dated sends**: each `ScheduledSend` (invitations or a reminder round at a date set by the
  designer, in the admin) is enqueued once, when due and while its wave is open.
* **Daily retention purge** at `RETENTION_PURGE_HOUR` (local time): `purge_expired`.
* **Other apps' dated work** registers itself: `EVERY_TICK` duties (the publications' release
  notices, queued once the release moment has passed) and `UPCOMING` lists for the staff page
  (the announced releases), so the scheduler knows no app that builds on it.
* **Waves opening and closing** need no job (a wave is open between its dates, checked at each
  request); they are listed with the next runs on the staff page so the calendar is in one place.

Several workers may run the scheduler at once: each duty is claimed by one conditional UPDATE (or
INSERT) per period, so it runs once. Another app can add a periodic duty with `periodic()`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.tasks import task
from django.utils import timezone

from .models import ScheduledSend, ScheduleMark

logger = logging.getLogger("jobs")


@dataclass(frozen=True)
class Periodic:
    name: str
    label: str
    next_after: Callable[[datetime], datetime]  # the first run strictly after a local datetime
    enqueue: Callable[[], object]


PERIODIC: list[Periodic] = []
#: other apps' dated work, for the staff page: functions (now, limit) → list of NextRun
UPCOMING: list[Callable[[datetime, int], list["NextRun"]]] = []
#: other apps' duties run at every tick (each must be idempotent and claim its own work)
EVERY_TICK: list[Callable[[], object]] = []


def periodic(name: str, label: str, next_after: Callable[[datetime], datetime]):
    """Register a task function to be enqueued at each `next_after` date (decorator)."""
    def register(fn):
        PERIODIC.append(Periodic(name, label, next_after, fn.enqueue))
        return fn
    return register


def daily_at(hour: int) -> Callable[[datetime], datetime]:
    def next_after(moment: datetime) -> datetime:
        local = timezone.localtime(moment)
        run = local.replace(hour=hour, minute=0, second=0, microsecond=0)
        return run if run > local else run + timedelta(days=1)
    return next_after


@periodic("retention_purge", "Purge des données échues (durées de conservation)",
          daily_at(int(getattr(settings, "RETENTION_PURGE_HOUR", 3))))
@task
def retention_purge() -> dict:
    """The daily purge (same as `manage.py purge_expired`)."""
    from surveys.services.privacy import purge_expired

    return {slug: vars(report) for slug, report in purge_expired().items()}


def _claim(name: str, now: datetime, next_after: Callable[[datetime], datetime]) -> bool:
    """True for the one caller that gets to run `name` for the period due at `now`."""
    mark = ScheduleMark.objects.filter(name=name).first()
    if mark is None:  # first start: start counting from now, do not run at once
        try:
            with transaction.atomic():
                ScheduleMark.objects.create(name=name, last_run_at=now)
        except IntegrityError:
            pass
        return False
    if next_after(mark.last_run_at) > now:
        return False
    return bool(ScheduleMark.objects.filter(name=name, last_run_at=mark.last_run_at).update(last_run_at=now))


def schedule_tick(now: datetime | None = None) -> list[str]:
    """Enqueue what is due; returns what was enqueued (for the log and the tests)."""
    from surveys.tasks import send_invitations

    now = now or timezone.now()
    done = []
    for duty in PERIODIC:
        if _claim(duty.name, now, duty.next_after):
            duty.enqueue()
            done.append(duty.name)
    for duty in EVERY_TICK:
        if duty():
            done.append(f"{duty.__module__}.{duty.__name__}")
    for pk in ScheduledSend.objects.filter(send_at__lte=now, enqueued_at__isnull=True).values_list("pk", flat=True):
        if not ScheduledSend.objects.filter(pk=pk, enqueued_at__isnull=True).update(enqueued_at=now):
            continue  # another worker took it
        item = ScheduledSend.objects.select_related("wave").get(pk=pk)
        if item.wave.is_open(now):
            send_invitations.enqueue(item.wave_id, item.kind, settings.SITE_URL)
            done.append(f"send:{item.pk}")
    if done:
        logger.info("scheduler enqueued %s", ", ".join(done))
    return done


@dataclass
class NextRun:
    at: datetime
    label: str


def next_runs(now: datetime | None = None, limit: int = 20) -> list[NextRun]:
    """What the scheduler will do next, soonest first (the staff page)."""
    from surveys.models import Wave

    now = now or timezone.now()
    runs = []
    marks = dict(ScheduleMark.objects.values_list("name", "last_run_at"))
    for duty in PERIODIC:
        runs.append(NextRun(duty.next_after(max(marks.get(duty.name, now), now - timedelta(days=1))), duty.label))
    for item in ScheduledSend.objects.filter(enqueued_at__isnull=True).select_related("wave__survey")[:limit]:
        runs.append(NextRun(item.send_at, f"{item.get_kind_display()} — {item.wave.survey.slug} · {item.wave.code}"))
    for wave in Wave.objects.filter(closes_at__gt=now).select_related("survey")[:limit]:
        if wave.opens_at > now:
            runs.append(NextRun(wave.opens_at, f"Ouverture de la vague {wave.survey.slug} · {wave.code}"))
        runs.append(NextRun(wave.closes_at, f"Clôture de la vague {wave.survey.slug} · {wave.code}"))
    for upcoming in UPCOMING:
        runs.extend(upcoming(now, limit))
    return sorted(runs, key=lambda r: r.at)[:limit]
