"""The database worker: django-tasks-db's loop plus a heartbeat, lost-task recovery and the scheduler.

django-tasks-db claims a task by stamping it RUNNING with the worker's id; if that worker is
SIGKILLed (or its machine dies) the row stays RUNNING for ever. Every worker started by
`manage.py run_worker` therefore writes a `WorkerBeat` every few seconds from a side thread, and
every worker reaps the tasks of workers that have been silent for `TASKS_WORKER_STALE_AFTER`
seconds: the task is marked failed (`WorkerLost`), and if it is *resumable* (it skips what it
already did: the invitation sends) it is enqueued again, so a send cut short carries on by itself.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from unittest import mock

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.tasks import TaskResultStatus, task_backends
from django.utils import timezone
from django.utils.module_loading import import_string

from .lost import task_lost
from .models import WorkerBeat

logger = logging.getLogger("jobs")

# Called at each housekeeping round (the scheduler, expired export files...).
HOUSEKEEPING: list[str] = ["jobs.schedule.schedule_tick", "jobs.exports.export_jobs_purge_expired"]


class WorkerLost(RuntimeError):
    """The worker running this task stopped reporting (killed, machine down)."""


def worker_beat(worker_id: str) -> None:
    WorkerBeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"seen_at": timezone.now(), "pid": os.getpid(), "host": socket.gethostname()[:255]})


def tasks_reap_lost(now=None) -> int:
    """Fail the RUNNING tasks whose worker is silent; re-enqueue the resumable ones. Returns the count."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.TASKS_WORKER_STALE_AFTER)
    alive = set(WorkerBeat.objects.filter(seen_at__gte=cutoff).values_list("worker_id", flat=True))
    reaped = 0
    for pk in DBTaskResult.objects.running().filter(started_at__lt=cutoff).values_list("pk", flat=True):
        with transaction.atomic():
            row = DBTaskResult.objects.select_for_update(skip_locked=True).filter(
                pk=pk, status=TaskResultStatus.RUNNING).first()
            if row is None or (row.worker_ids and row.worker_ids[-1] in alive):
                continue
            row.set_failed(WorkerLost(f"worker {row.worker_ids[-1] if row.worker_ids else '?'} stopped"))
            args, kwargs = row.args_kwargs["args"], row.args_kwargs["kwargs"]
            resumed = task_lost(row.task_path, args, kwargs, row.queue_name)
            logger.warning("task %s (%s) lost with its worker%s", row.pk, row.task_path,
                           ": enqueued again" if resumed else "")
            reaped += 1
    WorkerBeat.objects.filter(seen_at__lt=now - timedelta(days=1)).delete()
    return reaped


def housekeeping() -> None:
    """One round: reap lost tasks, then the periodic duties (scheduler, expired exports)."""
    backend = settings.TASKS["default"]["BACKEND"]
    if "django_tasks_db" in backend:
        tasks_reap_lost()
    elif "django_tasks_rq" in backend:
        from .rq_recovery import rq_reap_lost

        rq_reap_lost()
    for path in HOUSEKEEPING:
        try:
            import_string(path)()
        except Exception:  # one failing duty must not stop the others nor the worker
            logger.exception("housekeeping %s failed", path)


def _beat_loop(worker_id: str, stop: threading.Event, every: float) -> None:
    while not stop.is_set():
        try:
            close_old_connections()
            worker_beat(worker_id)
            housekeeping()
        except Exception:
            logger.exception("heartbeat failed")
        stop.wait(every)
    connection.close()


def worker_run(worker_id: str, *, interval: float = 1.0, beat_every: float | None = None) -> None:
    """Run the database worker until SIGINT/SIGTERM (the second one interrupts the running task).

    The heartbeat and housekeeping run every `TASKS_WORKER_BEAT` seconds in a side thread.
    """
    from django_tasks_db.management.commands.db_worker import Worker

    beat_every = beat_every or settings.TASKS_WORKER_BEAT
    worker_beat(worker_id)
    stop = threading.Event()
    beat = threading.Thread(target=_beat_loop, args=(worker_id, stop, beat_every), daemon=True)
    beat.start()
    worker = Worker(queue_names=["*"], interval=interval, batch=False, backend_name="default",
                    startup_delay=False, max_tasks=None, worker_id=worker_id, excluded_queue_names=[])
    worker.configure_signals()
    try:
        worker.run()
    finally:
        stop.set()
        WorkerBeat.objects.filter(worker_id=worker_id).delete()


def housekeeping_run(worker_id: str, beat_every: float | None = None) -> None:
    """Only the scheduler and housekeeping, for queues with their own workers (TASKS_BACKEND=rq)."""
    import signal

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        _beat_loop(worker_id, stop, beat_every or settings.TASKS_WORKER_BEAT)
    finally:
        WorkerBeat.objects.filter(worker_id=worker_id).delete()


def tasks_drain(max_rounds: int = 1000, worker_id: str = "in-process") -> int:
    """Run every task that is ready now, in this process and thread; returns how many ran.

    For the tests and one-off scripts: the same code path as the worker (django-tasks-db's
    `Worker.run_task`), inside the caller's transaction (so its connection is not recycled).
    """
    from django_tasks_db.management.commands import db_worker

    if not isinstance(task_backends["default"], db_worker.DatabaseBackend):
        raise RuntimeError("tasks_drain needs the database backend")
    worker = db_worker.Worker(queue_names=["*"], interval=0, batch=True, backend_name="default",
                              startup_delay=False, max_tasks=max_rounds, worker_id=worker_id,
                              excluded_queue_names=[])
    with mock.patch.object(db_worker, "close_old_connections", _noop):
        worker.run()
    return worker._run_tasks


def _noop() -> None:
    return None


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0, step: float = 0.05) -> bool:
    """Poll `predicate` until true or `timeout` seconds (for integration tests and the bench)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
