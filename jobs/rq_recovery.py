"""TASKS_BACKEND=rq: the RQ worker class we run, and the recovery of jobs lost with their worker.

RQ keeps a job that was running when its worker died (SIGKILL, machine down) in the queue's
*started* registry; RQ itself only notices it once the job's heartbeat TTL has run out (at least a
minute and a half with RQ's defaults) and then fails it without running it again. The database
backend does better (see `jobs.worker`), and both backends must behave alike: so our worker class
heartbeats every `RQ_JOB_MONITORING_INTERVAL` seconds, and the housekeeping loop (`manage.py
run_worker`, which under RQ runs the scheduler and this) fails every job whose heartbeat is older
than `TASKS_WORKER_STALE_AFTER` seconds, enqueues the resumable ones again (an invitation send skips
the people already sent to) and tells the export jobs they were lost, as `jobs.worker` does for
database tasks. One Redis key per job makes sure two housekeepers never recover the same job twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import rq
from django.conf import settings
from rq.exceptions import NoSuchJobError
from rq.job import JobStatus
from rq.registry import FailedJobRegistry, StartedJobRegistry

from .lost import task_lost

logger = logging.getLogger("jobs")
CLAIM_KEY = "ecoute:rq-lost:{}"


class Worker(rq.Worker):
    """RQ's forking worker, with the job heartbeat every `RQ_JOB_MONITORING_INTERVAL` seconds
    (`manage.py rqworker default --worker-class jobs.rq_recovery.Worker --job-class django_tasks_rq.Job`)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("job_monitoring_interval", settings.RQ_JOB_MONITORING_INTERVAL)
        super().__init__(*args, **kwargs)


def _lost(job, now: datetime, stale: timedelta) -> bool:
    if job.get_status(refresh=False) != JobStatus.STARTED:
        return False
    last = job.last_heartbeat or job.started_at
    if last is None:
        return False
    if last.tzinfo is None:
        last = last.replace(tzinfo=timezone.utc)
    return now - last > stale


def _recover(job, queue) -> None:
    """Fail the job as lost, then resume or report it (as `jobs.worker.tasks_reap_lost` does)."""
    StartedJobRegistry(queue=queue).remove_executions(job)
    job.set_status(JobStatus.FAILED)
    FailedJobRegistry(queue=queue).add(job, exc_string="WorkerLost: the worker stopped reporting")
    resumed = task_lost(job.func_name, list(job.args), dict(job.kwargs))
    logger.warning("rq job %s (%s) lost with its worker%s", job.id, job.func_name,
                   ": enqueued again" if resumed else "")


def rq_reap_lost(now: datetime | None = None) -> int:
    """Recover the started jobs whose heartbeat is stale; returns how many."""
    import django_rq
    from django_tasks_rq.backend import Job

    now = now or datetime.now(timezone.utc)
    stale = timedelta(seconds=settings.TASKS_WORKER_STALE_AFTER)
    reaped = 0
    for name in settings.RQ_QUEUES:
        queue = django_rq.get_queue(name, job_class=Job)
        for job_id in StartedJobRegistry(queue=queue).get_job_ids():
            try:
                job = Job.fetch(job_id, connection=queue.connection)
            except NoSuchJobError:
                continue
            if not _lost(job, now, stale):
                continue
            if not queue.connection.set(CLAIM_KEY.format(job.id), "1", nx=True, ex=7 * 86400):
                continue  # another housekeeper has it
            _recover(job, queue)
            reaped += 1
    return reaped
