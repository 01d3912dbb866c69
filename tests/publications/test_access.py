"""Embargo and release: 404 for everybody but the embargo list before the release moment (every
URL, download, feed entry, calendar link), each embargoed read logged, public after it by the
clock alone, and the release notice sent once."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from django.core import mail
from django.tasks.backends.dummy import DummyBackend
from django.test import Client
from django.urls import reverse

from jobs.worker import tasks_drain
from publications.models import EmbargoAccess, Publication, Subscription
from publications.selectors import publications_visible_to

pytestmark = pytest.mark.django_db


def publication_urls(p: Publication) -> list[str]:
    """Every URL of a publication: its page, each version, each table as CSV and JSON."""
    urls = [p.get_absolute_url()]
    for v in p.versions.all():
        urls.append(v.get_absolute_url())
        for block in v.blocks("fr"):
            args = [p.collection.slug, p.slug, v.number, block["name"]]
            urls += [reverse("publications:table_csv", args=args), reverse("publications:table_json", args=args)]
    return urls


def client_for(user=None) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def test_before_release_anonymous_and_unlisted_users_get_404_on_every_url(upcoming, outsider):
    urls = publication_urls(upcoming)
    assert len(urls) == 2 + 2 * 1, urls  # page, v1, and the CSV + JSON of its table
    for who in (client_for(), client_for(outsider)):
        for url in urls:
            assert who.get(url).status_code == 404, url
        for listing in (reverse("publications:feed"), reverse("publications:calendar"),
                        reverse("publications:collection", args=[upcoming.collection.slug])):
            body = who.get(listing).content.decode()
            assert upcoming.get_absolute_url() not in body.replace("&amp;", "&"), listing
    assert upcoming.title_fr not in client_for().get(reverse("publications:feed")).content.decode()
    assert not EmbargoAccess.objects.exists()


def test_the_embargo_list_reads_every_url_early_and_each_read_is_logged(upcoming, press):
    urls = publication_urls(upcoming)
    c = client_for(press)
    for url in urls:
        response = c.get(url)
        assert response.status_code == 200, url
        assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"], url
    logged = list(EmbargoAccess.objects.order_by("at", "pk").values_list("user__username", "path", "publication"))
    assert logged == [("agence", url, upcoming.pk) for url in urls]
    assert "Sous embargo" in c.get(upcoming.get_absolute_url()).content.decode()


def test_an_inactive_account_on_the_list_gets_404(upcoming, press):
    press.is_active = False
    press.save()
    c = Client()
    c.force_login(press)
    assert c.get(upcoming.get_absolute_url()).status_code == 404


def test_at_release_time_everyone_reads_it_without_any_task_having_run(upcoming, clock, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}  # queues, never runs
    anonymous = client_for()
    moment = upcoming.release_moment
    clock.travel(moment - clock() - dt.timedelta(seconds=1))  # one second before
    assert anonymous.get(upcoming.get_absolute_url()).status_code == 404
    clock.travel(dt.timedelta(seconds=1))  # the release moment itself
    for url in publication_urls(upcoming):
        assert anonymous.get(url).status_code == 200, url
    feed = anonymous.get(reverse("publications:feed")).content.decode()
    assert upcoming.title_fr in feed and upcoming.get_absolute_url() in feed
    upcoming.refresh_from_db()
    assert upcoming.notice_sent_at is None  # nothing ran, and yet it is public
    assert not EmbargoAccess.objects.exists()  # public reads are not embargoed reads


def test_a_date_without_a_time_is_released_at_the_default_hour(seeded, collection, clock, settings):
    from tests.publications.conftest import make_publication

    settings.PUBLICATIONS_RELEASE_TIME = "08:45"
    p = make_publication(seeded, collection, "sans-heure", 5, time=None)
    assert p.release_moment.hour == 8 and p.release_moment.minute == 45
    clock.travel(p.release_moment - clock() - dt.timedelta(minutes=1))
    assert client_for().get(p.get_absolute_url()).status_code == 404
    assert not publications_visible_to(None).filter(pk=p.pk).exists()
    clock.travel(dt.timedelta(minutes=1))
    assert client_for().get(p.get_absolute_url()).status_code == 200
    assert publications_visible_to(None).filter(pk=p.pk).exists()


def test_publications_visible_to_lists_released_ones_and_the_users_embargoed_ones(released, upcoming, press,
                                                                                  outsider):
    assert set(publications_visible_to(None)) == {released}
    assert set(publications_visible_to(outsider)) == {released}
    assert set(publications_visible_to(press)) == {released, upcoming}


def test_the_release_notice_goes_once_to_the_list_and_the_subscribers(upcoming, clock,
                                                                     django_capture_on_commit_callbacks):
    Subscription.objects.create(collection=upcoming.collection, email="lecteur@example.org", language="en")
    Subscription.objects.create(collection=upcoming.collection, email="AGENCE@example.org")  # also listed
    client_for().get(reverse("publications:calendar"))
    assert mail.outbox == []  # not released yet
    clock.travel(upcoming.release_moment - clock())
    with django_capture_on_commit_callbacks(execute=True):
        client_for().get(reverse("publications:calendar"))
        client_for().get(upcoming.get_absolute_url())
        client_for().get(reverse("publications:feed"))
    tasks_drain()  # the notice task those requests enqueued, run by the real queue's worker
    assert sorted(m.to[0] for m in mail.outbox) == ["agence@example.org", "lecteur@example.org"]
    assert all(len(m.to) == 1 and not m.cc and not m.bcc for m in mail.outbox)
    english = next(m for m in mail.outbox if m.to == ["lecteur@example.org"])
    assert "http://testserver" + upcoming.get_absolute_url() in english.body
    assert english.subject.startswith("Released:"), english.subject
    upcoming.refresh_from_db()
    assert upcoming.notice_sent_at is not None


def test_announcing_queues_the_notice_for_the_release_moment_on_commit(seeded, collection, settings,
                                                                       django_capture_on_commit_callbacks):
    from django.tasks import task_backends

    from publications.services import publication_announce
    from tests.publications.conftest import make_publication

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    p = make_publication(seeded, collection, "annonce", 20, announced=False)
    backend = task_backends["default"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        publication_announce(p, "https://ecoute.example")
        assert backend.results == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert len(backend.results) == 1
    result = backend.results[0]
    assert result.task.name == "send_release_notice" and result.task.run_after == p.release_moment
    assert result.args == [p.pk, "https://ecoute.example"]
    p.refresh_from_db()
    assert p.announced_at is not None


def test_the_calendar_ics_holds_the_future_event_whose_url_is_404_to_anonymous(upcoming, released):
    response = client_for().get(reverse("publications:calendar_ics"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(response.content)
    events = {str(e["summary"]): e for e in cal.walk("VEVENT")}
    assert len(events) == 2
    future = next(e for e in events.values() if upcoming.title_fr in str(e["summary"]))
    start = future.decoded("dtstart")
    assert start == upcoming.release_moment and start > dt.datetime.now(dt.UTC)
    path = str(future["url"]).removeprefix("http://testserver")
    assert path == upcoming.get_absolute_url()
    assert client_for().get(path).status_code == 404


def test_unannounced_upcoming_publications_are_in_no_calendar(seeded, collection):
    from tests.publications.conftest import make_publication

    p = make_publication(seeded, collection, "secrete", 30, announced=False)
    for name in ("publications:calendar", "publications:calendar_ics", "publications:feed"):
        assert p.title_fr not in client_for().get(reverse(name)).content.decode(), name


class BrokenQueue(DummyBackend):
    """A task backend that is down."""

    def enqueue(self, task, args, kwargs):
        raise ConnectionError("queue down")


def test_a_queue_outage_neither_fails_the_release_nor_loses_the_notice(upcoming, clock, settings,
                                                                       django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "tests.publications.test_access.BrokenQueue"}}
    clock.travel(upcoming.release_moment - clock())
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for().get(upcoming.get_absolute_url()).status_code == 200
    upcoming.refresh_from_db()
    assert upcoming.notice_queued_at is None and upcoming.notice_sent_at is None  # claimable again
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        client_for().get(reverse("publications:calendar"))
    assert [m.to for m in mail.outbox] == [["agence@example.org"]]
