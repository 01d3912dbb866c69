"""The release calendar as iCalendar (RFC 5545, with the ``icalendar`` library): one event per
announced release, all-day while only the date is known, at its time once fixed; ``SEQUENCE``
counts the announced changes so calendar clients update the event."""

from __future__ import annotations

import datetime as dt
from typing import Iterable

import icalendar
from django.conf import settings

from .models import Publication


def calendar_bytes(publications: Iterable[Publication], base_url: str, stamp: dt.datetime) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", f"-//{settings.SERVICE_NAME}//Calendrier des publications//FR")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{settings.SERVICE_NAME} — publications")
    host = base_url.split("://", 1)[-1] or "localhost"
    for p in publications:
        event = icalendar.Event()
        event.add("uid", f"publication-{p.pk}@{host}")
        event.add("dtstamp", stamp)
        if p.time_fixed:
            event.add("dtstart", p.release_moment)
        else:
            event.add("dtstart", p.release_date)
        changes = list(p.changes.all())
        event.add("sequence", len(changes))
        event.add("summary", f"{p.collection.name} — {p.title}")
        event.add("url", base_url.rstrip("/") + p.get_absolute_url())
        if changes:
            last = changes[-1]
            event.add("description", f"{last.old_date:%d/%m/%Y} → {last.new_date:%d/%m/%Y} : {last.reason}")
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()
