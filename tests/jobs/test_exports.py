"""Exports as jobs: progress, the requester-only download, expiry, and never a half file."""

from __future__ import annotations

import io
from datetime import timedelta

import pandas as pd
import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from analysis import export_jobs, exports
from jobs import exports as job_files
from jobs.models import ExportJob
from jobs.worker import tasks_reap_lost
from surveys.models import AuditLog
from tests.analysis.test_exports import analyst_client, md, seeded  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def ask(client, survey, fmt="csv", what="microdonnees"):
    resp = client.post(reverse("analysis:exports", args=[survey.slug]), {"type": what, "format": fmt, "vague": "2026"})
    assert resp.status_code == 302
    return ExportJob.objects.get(pk=resp["Location"].rstrip("/").rsplit("/", 1)[1])


def test_the_csv_written_slice_by_slice_is_the_one_piece_file(seeded, monkeypatch):  # noqa: F811
    data = md(seeded)
    monkeypatch.setattr(export_jobs, "CSV_SLICE", 2)
    parts = list(export_jobs._csv_slices(data))
    assert len(parts) == -(-data.rows // 2) and sum(rows for _, rows in parts) == data.rows
    whole = b"".join(piece for piece, _ in parts)
    assert whole == exports.render_microdata(data, "csv")
    assert pd.read_csv(io.BytesIO(whole[3:]))["row"].tolist() == list(range(1, data.rows + 1))


def test_progress_is_polled_then_only_the_requester_downloads(seeded, run_tasks, client):  # noqa: F811
    owner = analyst_client(seeded)
    job = ask(owner, seeded)
    status = owner.get(reverse("jobs:export_json", args=[job.pk])).json()
    assert status == {"status": "queued", "rows_written": 0, "rows_total": 0, "percent": 0, "error": "",
                      "download": ""}
    page = owner.get(reverse("jobs:export", args=[job.pk])).content.decode()
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page and "<progress" in page
    assert owner.get(reverse("jobs:export_download", args=[job.pk])).status_code == 409  # not yet
    run_tasks()
    job.refresh_from_db()
    rows = seeded.responses.filter(status="complete").count()
    status = owner.get(reverse("jobs:export_json", args=[job.pk])).json()
    assert status["status"] == "done" and status["rows_written"] == status["rows_total"] == rows
    assert status["download"] == reverse("jobs:export_download", args=[job.pk])
    assert job.expires_at - job.finished_at == timedelta(hours=24)
    other = analyst_client(seeded, "designers")  # signed in, same survey, not the requester
    for name in ("jobs:export", "jobs:export_json", "jobs:export_download"):
        assert other.get(reverse(name, args=[job.pk])).status_code == 404
    assert client.get(reverse("jobs:export_download", args=[job.pk])).status_code == 302  # to the login
    body = b"".join(owner.get(reverse("jobs:export_download", args=[job.pk])).streaming_content)
    assert body == exports.render_microdata(md(seeded), "csv")


def test_an_expired_file_is_no_longer_offered_and_is_removed(seeded, run_tasks):  # noqa: F811
    owner = analyst_client(seeded)
    job = ask(owner, seeded)
    run_tasks()
    path = job_files.export_job_path(job)
    assert path.exists()
    assert job_files.export_jobs_purge_expired() == 0
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert owner.get(reverse("jobs:export_download", args=[job.pk])).status_code == 410
    assert job_files.export_jobs_purge_expired() == 1
    assert not path.exists() and ExportJob.objects.get(pk=job.pk).status == "expired"
    assert "a expiré" in owner.get(reverse("jobs:export", args=[job.pk])).content.decode()


def test_a_worker_killed_mid_export_leaves_a_failed_job_and_no_file(seeded):  # noqa: F811
    owner = analyst_client(seeded)
    job = ask(owner, seeded)
    # the worker took the task, started writing, then was SIGKILLed (nothing ran after that)
    ExportJob.objects.filter(pk=job.pk).update(status="running", rows_total=100, rows_written=40)
    partial = job_files.export_job_path(job).with_suffix(".part")
    partial.write_bytes(b"\xef\xbb\xbfrow,SAT\r\n1,4\r\n")
    DBTaskResult.objects.filter(pk=job.task_id).update(
        status="RUNNING", worker_ids=["killed"], started_at=timezone.now() - timedelta(minutes=5))
    assert tasks_reap_lost() == 1
    job.refresh_from_db()
    assert job.status == "failed" and job.error == "worker lost"
    assert not partial.exists() and not job_files.export_job_path(job).exists()
    page = owner.get(reverse("jobs:export", args=[job.pk])).content.decode()
    assert "L'export a échoué" in page and "fichier/" not in page
    assert DBTaskResult.objects.filter(status="READY").count() == 0  # an export is not resumed blindly


def test_a_writer_error_mid_file_fails_the_job_and_removes_the_partial_file(seeded, run_tasks, monkeypatch):  # noqa: F811
    def broken_slices(data):
        yield b"\xef\xbb\xbfrow\r\n", 1
        raise OSError("disk full")

    monkeypatch.setattr(export_jobs, "_csv_slices", broken_slices)
    job = ask(analyst_client(seeded), seeded)
    run_tasks()
    job.refresh_from_db()
    assert job.status == "failed" and job.error == "OSError"
    assert not list(job_files.export_dir().glob(f"{job.pk}*"))
    assert not AuditLog.objects.filter(action="export").exists()
    assert DBTaskResult.objects.get(pk=job.task_id).status == "FAILED"  # listed on the staff page
