"""`manage.py run_worker`: one database-queue worker with heartbeat, recovery and scheduler."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.crypto import get_random_string

from jobs.worker import housekeeping_run, worker_run


class Command(BaseCommand):
    help = ("Run a worker for the database task queue, with the scheduler (TASKS_BACKEND=rq: the "
            "scheduler only). Stop it with Ctrl-C.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--interval", type=float, default=1.0,
                            help="seconds between two polls of an empty queue (default 1)")
        parser.add_argument("--worker-id", default="", help="unique id (default: random)")

    def handle(self, *args, interval: float, worker_id: str, verbosity: int, **options) -> None:
        for name in ("jobs", "django_tasks_db", "django.tasks"):
            log = logging.getLogger(name)
            log.setLevel(logging.INFO if verbosity else logging.WARNING)
            if not log.handlers:
                log.addHandler(logging.StreamHandler(self.stdout))
        worker_id = worker_id or get_random_string(24)
        if settings.TASKS_BACKEND == "db":
            worker_run(worker_id, interval=interval)
        else:  # rq: `rqworker default --with-scheduler --job-class django_tasks_rq.Job` runs the tasks
            housekeeping_run(worker_id)
