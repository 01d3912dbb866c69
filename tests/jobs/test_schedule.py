"""The scheduler (dated sends, daily purge, once per period whatever the workers) and the staff page."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jobs.models import ScheduledSend, ScheduleMark, TaskRetry
from jobs.schedule import daily_at, next_runs, schedule_tick
from jobs.worker import worker_beat
from surveys.models import AuditLog
from tests import factories
from tests.surveys.test_invitations import import_csv, wave_of

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def test_daily_at_gives_the_next_local_hour():
    at3 = daily_at(3)
    assert at3(datetime(2026, 3, 10, 2, 59, tzinfo=PARIS)) == datetime(2026, 3, 10, 3, 0, tzinfo=PARIS)
    assert at3(datetime(2026, 3, 10, 3, 0, tzinfo=PARIS)) == datetime(2026, 3, 11, 3, 0, tzinfo=PARIS)


def test_a_dated_reminder_round_is_enqueued_once_when_due(survey, run_tasks):
    import_csv(survey, "email,category\na@example.org,researchers\nb@example.org,researchers\n")
    due = ScheduledSend.objects.create(wave=wave_of(survey), kind="invitation",
                                       send_at=timezone.now() + timedelta(hours=1))
    assert f"send:{due.pk}" not in schedule_tick()  # not due yet
    later = timezone.now() + timedelta(hours=2)
    assert schedule_tick(later) == [f"send:{due.pk}"]
    assert f"send:{due.pk}" not in schedule_tick(later)  # a second worker's tick: nothing twice
    run_tasks()
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.org", "b@example.org"]


def test_a_dated_send_for_a_closed_wave_sends_nothing(survey, run_tasks):
    import_csv(survey, "email,category\na@example.org,researchers\n")
    wave = wave_of(survey)
    ScheduledSend.objects.create(wave=wave, kind="invitation", send_at=wave.closes_at + timedelta(minutes=1))
    schedule_tick(wave.closes_at + timedelta(hours=1))
    run_tasks()
    assert mail.outbox == [] and ScheduledSend.objects.get().enqueued_at is not None


def test_the_daily_purge_runs_once_a_day_from_the_first_start():
    start = datetime(2026, 3, 10, 12, 0, tzinfo=PARIS)
    assert "retention_purge" not in schedule_tick(start)  # first start: counting begins
    assert "retention_purge" not in schedule_tick(start + timedelta(hours=14))  # 02:00 next day
    assert "retention_purge" in schedule_tick(start + timedelta(hours=15, minutes=1))  # 03:01
    assert "retention_purge" not in schedule_tick(start + timedelta(hours=16))
    assert ScheduleMark.objects.get(name="retention_purge").last_run_at == start + timedelta(hours=15, minutes=1)
    assert DBTaskResult.objects.filter(task_path="jobs.schedule.retention_purge").count() == 1


def test_next_runs_list_the_purge_dated_sends_and_wave_dates(survey):
    wave = wave_of(survey)
    ScheduledSend.objects.create(wave=wave, kind="reminder", send_at=timezone.now() + timedelta(days=1))
    labels = [r.label for r in next_runs()]
    assert "Purge des données échues (durées de conservation)" in labels
    assert any(label.startswith("relance — test-survey") for label in labels)
    assert f"Clôture de la vague test-survey · {wave.code}" in labels
    ats = [r.at for r in next_runs()]
    assert ats == sorted(ats)


def test_staff_page_lists_failed_tasks_and_retries_one(survey, client, run_tasks, settings):
    settings.MAILERS = {"default": {"BACKEND": "tests.surveys.test_invitations.FlakyBackend"}}
    from tests.surveys.test_invitations import FlakyBackend, send

    FlakyBackend.budget = 0
    import_csv(survey, "email,category\na@example.org,researchers\n")
    failed = send(survey)
    assert failed.status == "FAILED"
    url = reverse("jobs:tasks")
    client.force_login(factories.staff_user("des", "designers", [survey]))  # staff, not superuser
    worker_beat("w-1")
    page = client.get(url).content.decode()
    assert "surveys.tasks.send_invitations" in page and "mail server down" in page and "w-1" in page
    assert "Purge des données échues" in page
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    resp = client.post(reverse("jobs:task_retry", args=[failed.id]))
    assert resp.status_code == 302
    retry = TaskRetry.objects.get(failed_id=failed.id)
    assert AuditLog.objects.filter(action="task_retried", target=failed.id).exists()
    assert client.post(reverse("jobs:task_retry", args=[failed.id])).status_code == 404  # once
    run_tasks()
    assert DBTaskResult.objects.get(pk=retry.new_id).status == "SUCCESSFUL"
    assert [m.to[0] for m in mail.outbox] == ["a@example.org"]
    assert "mail server down" not in client.get(url).content.decode()


def test_staff_page_is_for_staff_only(survey, client):
    from django.contrib.auth.models import User

    assert client.get(reverse("jobs:tasks")).status_code == 302
    client.force_login(User.objects.create_user("resp", password="x" * 20))
    assert client.get(reverse("jobs:tasks")).status_code == 302  # to the admin login
    assert client.post(reverse("jobs:task_retry", args=["nope"])).status_code == 302
