"""Export jobs: the file is written by a task, offered to its requester only, then removed.

A job is QUEUED, RUNNING (rows written / total), then DONE or FAILED; a DONE job's file may be
downloaded by the user who asked for it until `expires_at` (`EXPORT_JOBS_TTL` after it finished),
then the worker's housekeeping deletes it (EXPIRED). The file is written to ``<id>.part`` and
renamed to ``<id>`` (atomic on one file system) only once complete, and the job turns DONE after
the rename: a half file is never offered, whether the task fails or its worker is killed (the
worker's recovery then fails the job, see `jobs.lost.ON_LOST`).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import ExportJob, ExportStatus

logger = logging.getLogger("jobs")
PROGRESS_EVERY = 0.5  # seconds between two progress writes


def export_dir() -> Path:
    path = Path(settings.EXPORT_JOBS_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def export_job_path(job: ExportJob) -> Path:
    return export_dir() / str(job.pk)


def export_job_create(user, survey, params: dict, file_name: str, content_type: str) -> ExportJob:
    return ExportJob.objects.create(requested_by=user, survey=survey, params=params, file_name=file_name,
                                    content_type=content_type)


def export_job_start(job_id: str) -> ExportJob | None:
    """QUEUED → RUNNING, once (None if another run took it, or it was failed meanwhile)."""
    if not ExportJob.objects.filter(pk=job_id, status=ExportStatus.QUEUED).update(status=ExportStatus.RUNNING):
        return None
    return ExportJob.objects.select_related("requested_by", "survey").get(pk=job_id)


def export_job_write(job: ExportJob, rows_total: int, parts: Iterable[tuple[bytes, int]]) -> int:
    """Write `parts` (bytes, rows in them) to the job's file, reporting progress; returns its size."""
    ExportJob.objects.filter(pk=job.pk).update(rows_total=rows_total)
    final = export_job_path(job)
    partial = final.with_suffix(".part")
    written, last = 0, time.monotonic()
    try:
        with open(partial, "wb") as fh:
            for data, rows in parts:
                fh.write(data)
                written += rows
                if time.monotonic() - last >= PROGRESS_EVERY:
                    ExportJob.objects.filter(pk=job.pk).update(rows_written=min(written, rows_total))
                    last = time.monotonic()
            fh.flush()
            os.fsync(fh.fileno())
        size = partial.stat().st_size
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    now = timezone.now()
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.DONE, rows_written=rows_total, finished_at=now,
        expires_at=now + timedelta(seconds=settings.EXPORT_JOBS_TTL))
    return size


def export_job_fail(job_id: str, error: str) -> None:
    """Mark the job failed (its partial file removed): the page says why, nothing is offered."""
    ExportJob.objects.filter(pk=job_id).exclude(status=ExportStatus.DONE).update(
        status=ExportStatus.FAILED, error=error[:2000], finished_at=timezone.now())
    (export_dir() / f"{job_id}.part").unlink(missing_ok=True)


def export_job_lost(job_id: str, *args, **kwargs) -> None:
    """The worker running the export died (see `jobs.worker`)."""
    export_job_fail(job_id, "worker lost")


def export_job_for(user, job_id) -> ExportJob | None:
    """The job if `user` asked for it (nobody else may follow or download it)."""
    return ExportJob.objects.filter(pk=job_id, requested_by=user).select_related("survey").first()


def export_job_downloadable(job: ExportJob, now=None) -> bool:
    return (job.status == ExportStatus.DONE and job.expires_at is not None
            and job.expires_at > (now or timezone.now()) and export_job_path(job).exists())


def export_jobs_purge_expired(now=None) -> int:
    """Delete the files of expired jobs (and leftovers of failed ones); returns how many jobs expired."""
    now = now or timezone.now()
    expired = list(ExportJob.objects.filter(status=ExportStatus.DONE, expires_at__lte=now).values_list("pk", flat=True))
    for pk in expired:
        (export_dir() / str(pk)).unlink(missing_ok=True)
    ExportJob.objects.filter(pk__in=expired).update(status=ExportStatus.EXPIRED)
    # jobs and their rows are kept a while for the record, then deleted
    ExportJob.objects.filter(Q(created_at__lte=now - timedelta(days=30))).exclude(
        status=ExportStatus.DONE).delete()
    return len(expired)
