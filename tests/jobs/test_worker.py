"""The worker's recovery: a task whose worker died is failed, and a send is resumed by itself."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jobs.models import WorkerBeat
from jobs.worker import tasks_reap_lost, worker_beat
from surveys.models import Participant
from surveys.tasks import send_invitations
from tests.surveys.test_invitations import import_csv, wave_of

pytestmark = pytest.mark.django_db


def _running(result, worker_id, minutes_ago=5):
    """What a worker leaves behind when it is SIGKILLed mid-task: the row stays RUNNING."""
    DBTaskResult.objects.filter(pk=result.id).update(
        status="RUNNING", worker_ids=[worker_id], started_at=timezone.now() - timedelta(minutes=minutes_ago))


def test_a_send_whose_worker_died_is_failed_then_resumed_and_nobody_gets_two(survey, run_tasks):
    import_csv(survey, "email,category\n" + "".join(f"p{i}@example.org,researchers\n" for i in range(4)))
    # the dead worker had reached p0 and p1 (committed) before it was killed
    Participant.objects.filter(email__in=["p0@example.org", "p1@example.org"]).update(invited_at=timezone.now())
    result = send_invitations.enqueue(wave_of(survey).pk, "invitation", "http://testserver/")
    _running(result, "dead-worker")
    WorkerBeat.objects.create(worker_id="dead-worker", seen_at=timezone.now() - timedelta(minutes=3))
    assert tasks_reap_lost() == 1
    result.refresh()
    assert result.status == "FAILED" and result.errors[0].exception_class_path == "jobs.worker.WorkerLost"
    assert run_tasks() == 1  # the resumed copy
    assert sorted(m.to[0] for m in mail.outbox) == ["p2@example.org", "p3@example.org"]
    assert not Participant.objects.filter(invited_at__isnull=True).exists()


def test_the_task_of_a_live_worker_is_left_alone(survey):
    result = send_invitations.enqueue(wave_of(survey).pk, "invitation", "http://testserver/")
    _running(result, "busy-worker", minutes_ago=30)  # a long send...
    worker_beat("busy-worker")  # ...by a worker that still reports
    assert tasks_reap_lost() == 0
    result.refresh()
    assert result.status == "RUNNING" and DBTaskResult.objects.count() == 1


def test_a_task_just_started_is_not_reaped_even_without_beat(survey):
    result = send_invitations.enqueue(wave_of(survey).pk, "invitation", "http://testserver/")
    _running(result, "new-worker", minutes_ago=0)
    assert tasks_reap_lost() == 0


def test_each_finished_task_is_logged_with_its_duration_and_counts(survey, run_tasks, caplog):
    import_csv(survey, "email,category\na@example.org,researchers\n")
    send_invitations.enqueue(wave_of(survey).pk, "invitation", "http://testserver/")
    with caplog.at_level("INFO", logger="jobs"):
        run_tasks()
    line = next(r.getMessage() for r in caplog.records if r.name == "jobs")
    assert line.startswith("task surveys.tasks.send_invitations id=") and " SUCCESSFUL in " in line
    assert line.endswith("sent=1 bounced=0 deferred=0")
