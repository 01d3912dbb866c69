"""Warm dashboards: new responses schedule one debounced rebuild of the survey's tables, and after
it the pages find every table in the cache (no frame loaded in the analyst's request)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from analysis import selectors, warm
from surveys.services.data_version import responses_changed
from tests.analysis.dashboard_data import ensure_frames, locmem_cache, respond, seed  # noqa: F401
from tests.analysis.test_dashboards import analyst, analyst_client, urls  # noqa: F401

pytestmark = pytest.mark.django_db
ensure_frames()

WARM = "analysis.warm.warm_dashboards"


@pytest.fixture(autouse=True)
def _fresh_debounce():
    warm._seen.clear()
    yield
    warm._seen.clear()


@pytest.fixture
def changed(django_capture_on_commit_callbacks):
    """A committed change of the survey's responses (the token is set on commit)."""

    def change(survey_id: int) -> None:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            responses_changed(survey_id)

    return change


def test_a_change_schedules_one_rebuild_a_minute_later_and_the_next_changes_none(survey, locmem_cache, changed):
    before = timezone.now()
    for _ in range(5):
        changed(survey.pk)
    tasks = list(DBTaskResult.objects.filter(task_path=WARM))
    assert len(tasks) == 1 and tasks[0].args_kwargs["args"] == [survey.pk]
    assert tasks[0].run_after >= before + timedelta(seconds=warm.WARM_DEBOUNCE - 1)


def test_another_process_finds_the_shared_debounce_key(survey, locmem_cache, changed):
    changed(survey.pk)
    warm._seen.clear()  # a second app server: its own memory, the same cache
    changed(survey.pk)
    assert DBTaskResult.objects.filter(task_path=WARM).count() == 1


def test_after_the_rebuild_the_pages_load_no_frame(survey, analyst_client, locmem_cache, monkeypatch):
    seed(survey)
    respond(survey, survey.waves.get(code="2026"), "general_public", "website", {"SAT_OVERALL": 5, "NPS": 10})
    calls = []
    real = selectors.load_frame
    monkeypatch.setattr(selectors, "load_frame", lambda *a, **k: calls.append(1) or real(*a, **k))
    result = warm.warm_dashboards.call(survey.pk)
    assert result["pages"] >= 7 and calls  # overview, 3 × channels, 3 × trends, the scored questions
    calls.clear()
    for page in ("channels", "trends", "question", "channels_data", "trends_data", "question_data"):
        assert analyst_client.get(urls(survey.slug)[page]).status_code == 200, page
    for indicator in ("moyenne", "nps"):
        assert analyst_client.get(urls(survey.slug)["channels"], {"indicateur": indicator}).status_code == 200
    assert calls == [], "a page recomputed a table the rebuild had cached"


def test_with_a_backend_that_cannot_defer_nothing_is_scheduled(survey, locmem_cache, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    from django.tasks import task_backends

    task_backends._settings = None
    task_backends._connections = None
    try:
        assert warm.warm_schedule(survey.pk) is False
    finally:
        task_backends._settings = None
        task_backends._connections = None
