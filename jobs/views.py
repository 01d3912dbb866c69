"""Export job pages: progress (HTML refreshing itself, or JSON for the script) and the download."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from . import exports
from .models import ExportStatus

FINISHED = (ExportStatus.DONE, ExportStatus.FAILED, ExportStatus.EXPIRED)


def _job(request: HttpRequest, job_id):
    job = exports.export_job_for(request.user, job_id)
    if job is None:  # someone else's job is as good as no job
        raise Http404
    return job


@require_GET
@login_required
def export_status(request: HttpRequest, job_id) -> HttpResponse:
    """The job's page: a progress bar, refreshed every 2 s without JavaScript, then the link."""
    job = _job(request, job_id)
    return render(request, "jobs/export.html", {
        "job": job, "finished": job.status in FINISHED, "downloadable": exports.export_job_downloadable(job)})


@require_GET
@login_required
def export_status_json(request: HttpRequest, job_id) -> JsonResponse:
    job = _job(request, job_id)
    downloadable = exports.export_job_downloadable(job)
    return JsonResponse({
        "status": job.status, "rows_written": job.rows_written, "rows_total": job.rows_total,
        "percent": job.percent, "error": job.error if job.status == ExportStatus.FAILED else "",
        "download": reverse("jobs:export_download", args=[job.pk]) if downloadable else ""},
        headers={"Cache-Control": "no-store"})


@require_GET
@login_required
def export_download(request: HttpRequest, job_id) -> HttpResponse:
    """The finished file, for its requester only, until it expires (then 410 Gone)."""
    job = _job(request, job_id)
    if not exports.export_job_downloadable(job):
        return render(request, "jobs/export.html", {"job": job, "finished": job.status in FINISHED,
                                                    "downloadable": False}, status=410 if job.status in FINISHED else 409)
    response = FileResponse(open(exports.export_job_path(job), "rb"), content_type=job.content_type,
                            as_attachment=True, filename=job.file_name)
    response["Cache-Control"] = "private, no-store"
    return response
