"""Exports asked for in the pages run as tasks (`jobs.exports` keeps the job and its file).

The page validates the form (allow-list, rights) and enqueues; the task re-reads the dashboard for
the requester (rights are checked again: they may have changed meanwhile), builds the file with
the writers of `analysis.exports`, and audits the export with its row count. A microdata CSV is
written in slices of `CSV_SLICE` rows so the page can show rows written / total; the other
formats are written in one piece by their writer. The CLI commands stay synchronous.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from django.contrib.auth import get_user_model
from django.db import transaction
from django.tasks import task
from django.utils import timezone
from django.utils.text import slugify

from jobs import exports as export_jobs
from jobs.models import ExportJob
from surveys.models import audit

from . import exports
from .filters import parse
from .selectors import Dashboard, dashboard_for

logger = logging.getLogger("jobs")
CSV_SLICE = 5000
KINDS = {"microdonnees": "microdata", "indicateurs": "indicators"}


def export_enqueue(user, d: Dashboard, what: str, fmt: str, post: dict) -> ExportJob:
    """Record the job and enqueue its task (the form was validated by the page)."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    waves = "-".join(parse(post, "exports", d.choices("exports")).waves) or "aucune-vague"
    content_type, ext = exports.FORMATS[fmt]
    name = f"{slugify(d.survey.slug)}-{what}-{slugify(waves)}-{stamp}.{ext}"
    with transaction.atomic():  # the queue unreachable: no job left waiting for ever
        job = export_jobs.export_job_create(user, d.survey, {"what": what, "format": fmt, "form": post},
                                            name, content_type)
        result = export_run.enqueue(str(job.pk))
        ExportJob.objects.filter(pk=job.pk).update(task_id=str(result.id))
    return job


@task
def export_run(job_id: str) -> dict:
    """Build the export file of job `job_id` (see module doc); the job records any failure."""
    job = export_jobs.export_job_start(job_id)
    if job is None:
        return {"job": job_id, "skipped": True}
    started = time.monotonic()
    logger.info("export %s started (%s %s)", job_id, job.params["what"], job.params["format"])
    try:
        rows, parts, details = _build(job)
        size = export_jobs.export_job_write(job, rows, parts)
    except exports.TooManyRows as exc:
        export_jobs.export_job_fail(job_id, str(exc))
        return {"job": job_id, "failed": str(exc)}
    except Exception as exc:
        export_jobs.export_job_fail(job_id, type(exc).__name__)
        raise
    audit(job.requested_by, "export", f"survey:{job.survey.slug}", format=job.params["format"], **details)
    logger.info("export %s done: %d rows, %d bytes, %.2f s", job_id, rows, size, time.monotonic() - started)
    return {"job": job_id, "rows": rows, "bytes": size}


def _build(job: ExportJob) -> tuple[int, Iterator[tuple[bytes, int]], dict]:
    """Rows in all, the file's parts (bytes, rows), and the audit details."""
    from .microdata import indicator_tables, microdata_for
    from .rights import may_export_microdata

    user = get_user_model().objects.get(pk=job.requested_by_id)
    d = dashboard_for(user, job.survey.slug)  # 404 if the rights were withdrawn meanwhile
    f = parse(job.params["form"], "exports", d.choices("exports"))
    fmt = job.params["format"]
    if job.params["what"] == "microdonnees":
        if not may_export_microdata(user):
            raise PermissionError("microdata rights withdrawn")
        md = microdata_for(d, f.waves)
        details = {"kind": "microdata", "rows": md.rows, "waves": list(f.waves)}
        parts = _csv_slices(md) if fmt == "csv" else iter([(exports.render_microdata(md, fmt), md.rows)])
        return md.rows, parts, details
    tables = indicator_tables(d, f)
    rows = sum(len(t) for t in tables.values())
    details = {"kind": "indicators", "rows": rows, "waves": list(f.waves), "min_cell": f.min_cell}
    return rows, iter([(exports.indicator_tables_bytes(tables, fmt), rows)]), details


def _csv_slices(md: exports.Microdata) -> Iterator[tuple[bytes, int]]:
    """`render_microdata(md, "csv")` slice by slice: the BOM and header once, then the rows."""
    plain = exports._plain(md)  # the frame the CSV writer writes (cells are neutralised one by one)
    n = len(plain)
    for start in range(0, max(n, 1), CSV_SLICE):
        piece = exports.csv_bytes(plain.iloc[start:start + CSV_SLICE])
        if start:
            piece = piece.split(b"\r\n", 1)[1]
        yield piece, min(CSV_SLICE, n - start)
