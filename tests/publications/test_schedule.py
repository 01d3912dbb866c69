"""The scheduler knows the publications: release notices go out with no visitor, and the
announced releases are on the staff page of next runs."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from jobs.schedule import next_runs, schedule_tick
from jobs.worker import tasks_drain
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_scheduler_sends_the_release_notice_when_nobody_visits(upcoming, clock,
                                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        schedule_tick()
    tasks_drain()
    assert mail.outbox == []  # not released yet
    clock.travel(upcoming.release_moment - clock())
    with django_capture_on_commit_callbacks(execute=True):
        done = schedule_tick()
    assert "publications.services.notices_due_tick" in done
    tasks_drain()
    assert [m.to for m in mail.outbox] == [["agence@example.org"]]
    with django_capture_on_commit_callbacks(execute=True):
        schedule_tick()  # once only
    tasks_drain()
    assert len(mail.outbox) == 1


def test_announced_releases_are_listed_with_the_next_runs(upcoming, released):
    runs = {r.label: r.at for r in next_runs()}
    label = f"Parution « {upcoming.title_fr} » — {upcoming.collection.slug}"
    assert runs[label] == upcoming.release_moment
    assert not any(released.title_fr in text for text in runs)  # already out
    admin = Client()
    admin.force_login(factories.staff_user("root", superuser=True))
    assert upcoming.title_fr in admin.get(reverse("jobs:tasks")).content.decode()
