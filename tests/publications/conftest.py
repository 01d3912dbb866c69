"""Fixtures of the publication tests: a seeded survey (with its hidden small cell), a collection,
a released publication and one upcoming under embargo, and a clock the views read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from publications.models import Collection, Publication
from publications.services import publication_freeze
from tests import factories
from tests.analysis.dashboard_data import ensure_frames, seed

ensure_frames()

#: every kind of table (the confidentiality and open data tests)
TABLES = "canaux moyenne\ntendances satisfaits\nquestion SAT_OVERALL"
#: one cheap table (access tests: building plotly figures is what a freeze spends its time on)
LIGHT = "question SAT_OVERALL"


class Clock:
    """``django.utils.timezone.now`` as the code sees it (the real clock unless moved)."""

    def __init__(self) -> None:
        self.offset = dt.timedelta(0)
        self._real = timezone.now

    def __call__(self) -> dt.datetime:
        return self._real() + self.offset

    def travel(self, delta: dt.timedelta) -> None:
        self.offset += delta


@pytest.fixture
def clock(monkeypatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(timezone, "now", c)
    return c


@pytest.fixture
def seeded(survey):
    """6 answers per big cell (the access tests need content, not figures), plus the small cell."""
    seed(survey, size=6)
    return survey


@pytest.fixture
def seeded12(survey):
    """12 answers per big cell: the figures the content tests check by hand."""
    seed(survey, size=12)
    return survey


@pytest.fixture
def collection(db) -> Collection:
    return Collection.objects.create(slug="chiffres-cles", name_fr="Chiffres clés", name_en="Key figures",
                                     description_fr="Les principaux résultats.")


def make_publication(survey, collection, slug: str, days: int, *, tables: str = LIGHT,
                     time: dt.time | None = dt.time(9, 30), announced: bool = True, **extra) -> Publication:
    """A publication prepared (frozen) before its release, then dated ``days`` from today."""
    today = timezone.localdate()
    p = Publication.objects.create(
        collection=collection, slug=slug, title_fr=f"Satisfaction {slug}", title_en=f"Satisfaction {slug} (en)",
        survey=survey, tables=tables, text_fr=extra.pop("text_fr", "## Résultats\n\nLes usagers sont **satisfaits**."),
        text_en="## Results\n\nUsers are **satisfied**.", release_date=today + dt.timedelta(days=max(days, 1)),
        release_time=time, announced_at=timezone.now() if announced else None, **extra)
    p.waves.set(survey.waves.all())
    publication_freeze(p)
    if days < 1:
        Publication.objects.filter(pk=p.pk).update(release_date=today + dt.timedelta(days=days))
        p.refresh_from_db()
    return p


@pytest.fixture
def released(seeded, collection) -> Publication:
    return make_publication(seeded, collection, "edition-2026", -3)


@pytest.fixture
def upcoming(seeded, collection, press) -> Publication:
    p = make_publication(seeded, collection, "edition-2027", 10)
    p.embargo.add(press)
    return p


@pytest.fixture
def press(db):
    from django.contrib.auth.models import User

    return User.objects.create_user("agence", email="agence@example.org", password="a-long-test-password-123")


@pytest.fixture
def outsider(seeded):
    """An analyst owning the survey but not on the embargo list: no early read either."""
    return factories.staff_user("ana", "analysts", [seeded])


@pytest.fixture(autouse=True)
def _locmem_cache(settings):
    """A real cache for the dashboards' tables (the database cache table is not in the test database)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "publications-tests"}}
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
