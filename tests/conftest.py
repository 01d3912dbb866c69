"""Shared fixtures. Tests run on SQLite by default and on PostgreSQL when DATABASE_URL says so."""

from __future__ import annotations

import os

os.environ.setdefault("ECOUTE_TESTING", "1")

import pytest  # noqa: E402
from django.core.cache import cache  # noqa: E402

from tests import factories  # noqa: E402


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """pytest-django's test databases, and before they are dropped the loader's idle PostgreSQL
    connections closed (a database with open connections cannot be dropped)."""
    yield
    from analysis.frames.connect import close_pool

    close_pool()


@pytest.fixture(autouse=True)
def _clear_cache(request):
    """Rate limits and cached dashboard tables must not leak between tests."""
    if "django_db" in request.keywords or "db" in request.fixturenames or "transactional_db" in request.fixturenames:
        try:
            cache.clear()
        except Exception:  # cache table not created yet in a test without the database
            pass
    yield


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's default language (French). A request through the test client
    leaves its language active in the thread (LocaleMiddleware does not reset it), so without this
    an English page in one test would turn the next test's French texts English, depending on
    which tests a pytest-xdist worker happened to run before."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def run_tasks(db):
    """Drain the task queue with the real database backend's worker, in the test's process.

    Call it after the code under test enqueued: it runs every task ready now (and those they
    enqueue) and returns how many ran. Results are read back with `result.refresh()`.
    """
    from jobs.worker import tasks_drain

    return tasks_drain


@pytest.fixture
def survey(db):
    """A small survey covering every question type, targeting and conditions (see factories)."""
    return factories.build_survey()


@pytest.fixture
def demo_survey(db):
    """The demo survey of the repository, imported from its JSON."""
    from django.core.management import call_command

    call_command("import_survey", "surveys/demo/survey.json")
    from surveys.models import Survey

    Survey.objects.filter(slug="satisfaction-usagers").update(status="published")  # as load_demo leaves it
    return Survey.objects.get(slug="satisfaction-usagers")
