"""Warm dashboards: after new responses, a background task rebuilds the cached tables.

A submission makes its survey's cached tables stale at once (the data-version token of
`surveys.services.data_version`). Without help, the next analyst to open a page would pay the
cold recompute. So the token's change also schedules :func:`warm_dashboards` for the survey,
debounced: the first change of a minute enqueues it to run a minute later (``run_after``, with a
backend that can defer; at once otherwise), the others of that minute find the debounce key and
enqueue nothing. At most one rebuild per survey per minute, whatever the number of submissions.

The task builds, with the default filters, the tables of the overview, of the channel page for
each indicator, of the trends page and of every scored question's page: exactly what those pages
read first, so an analyst opening them finds their tables in the cache.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.core.cache import cache
from django.tasks import task
from django.utils import timezone

logger = logging.getLogger(__name__)

#: seconds between two rebuilds of one survey's tables
WARM_DEBOUNCE = 60
INDICATORS = ("satisfaits", "moyenne", "nps")


def _debounce_key(survey_id: int) -> str:
    return f"ecoute:analysis:warm:{survey_id}"


_seen: dict[int, float] = {}  # survey id → when this process last found a rebuild due (no cache call)


def warm_schedule(survey_id: int) -> bool:
    """Enqueue the rebuild of ``survey_id``'s tables unless one is already due; returns whether it
    enqueued. Never raises: a queue or cache outage costs speed, not the submission. Needs a
    backend that can defer (the database queue, RQ); with the immediate one nothing is scheduled
    (the rebuild would run inside the respondent's request)."""
    now = time.monotonic()
    if now - _seen.get(survey_id, -WARM_DEBOUNCE) < WARM_DEBOUNCE:
        return False  # this process already saw a rebuild due this minute: not even a cache call
    _seen[survey_id] = now
    try:
        if not warm_dashboards.get_backend().supports_defer:
            return False
        if not cache.add(_debounce_key(survey_id), 1, WARM_DEBOUNCE):
            return False
        warm_dashboards.using(run_after=timezone.now() + timedelta(seconds=WARM_DEBOUNCE)).enqueue(survey_id)
        return True
    except Exception:  # noqa: BLE001 - see the docstring
        logger.warning("dashboard warm-up of survey %s not scheduled", survey_id, exc_info=True)
        return False


def _on_responses_changed(sender, survey_id: int, **kwargs) -> None:
    warm_schedule(survey_id)


def connect() -> None:
    """Connected in :meth:`analysis.apps.AnalysisConfig.ready`."""
    from surveys.services.data_version import data_changed

    data_changed.connect(_on_responses_changed, dispatch_uid="analysis.warm")


def warm_tables(survey) -> int:
    """Build (and cache) the default tables of every dashboard page of ``survey``; returns the
    number of pages built."""
    from django.http import QueryDict

    from .filters import parse
    from .selectors import Dashboard
    from .views.block_pages import BLOCK_PAGES

    d = Dashboard(survey)
    built = 0
    d.overview(parse({}, "overview", d.choices("overview")).waves)
    built += 1
    for page in ("channels", "trends"):
        for indicator in INDICATORS:
            f = parse(dict(QueryDict(f"indicateur={indicator}").lists()), page, d.choices(page))
            BLOCK_PAGES[page].blocks(d, f)
            built += 1
    question_filters = parse({}, "question", d.choices("question"))
    for q in d.questions:
        if q.type in ("satisfaction", "scale", "nps"):
            BLOCK_PAGES["question"].blocks(d, question_filters, code=q.code)
            built += 1
    return built


@task
def warm_dashboards(survey_id: int) -> dict:
    """Rebuild the survey's dashboard tables (see the module docstring)."""
    from surveys.models import Survey

    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is None:
        return {"survey": survey_id, "pages": 0}
    started = time.perf_counter()
    pages = warm_tables(survey)
    return {"survey": survey_id, "pages": pages, "seconds": round(time.perf_counter() - started, 3)}
