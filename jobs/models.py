"""Rows of the background machinery: live workers and export jobs.

The queue itself is django-tasks-db's table (`django_tasks_db.DBTaskResult`); these models add what
it lacks: knowing that a worker died (a SIGKILLed worker leaves its task RUNNING for ever), and
export files that wait, for their requester only, until they expire.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerBeat(models.Model):
    """A worker process says it is alive every few seconds; a silent one is presumed dead."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    pid = models.PositiveIntegerField(default=0)
    host = models.CharField(max_length=255, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.host}:{self.pid})"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("en attente")
    RUNNING = "running", _("en cours")
    DONE = "done", _("prêt")
    FAILED = "failed", _("échoué")
    EXPIRED = "expired", _("expiré")


class ExportJob(models.Model):
    """One export asked for in the pages. The file is offered only once complete (`DONE`)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    survey = models.ForeignKey("surveys.Survey", on_delete=models.CASCADE, related_name="+")
    params = models.JSONField(default=dict)  # what (kind), format, waves, min_cell
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    file_name = models.CharField(max_length=255, blank=True)  # offered to the browser
    content_type = models.CharField(max_length=120, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "expires_at"], name="export_job_status_expiry")]

    def __str__(self) -> str:
        return f"export {self.id} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        return int(100 * self.rows_written / self.rows_total) if self.rows_total else 0


class ScheduledSend(models.Model):
    """Invitations or a reminder round the designer wants sent at a date (the scheduler enqueues it)."""

    KINDS = [("invitation", _("invitations")), ("reminder", _("relance"))]
    wave = models.ForeignKey("surveys.Wave", on_delete=models.CASCADE, related_name="+", verbose_name=_("vague"))
    kind = models.CharField(_("envoi"), max_length=10, choices=KINDS)
    send_at = models.DateTimeField(_("date d'envoi"))
    enqueued_at = models.DateTimeField(_("lancé le"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["send_at"]
        verbose_name = _("envoi programmé")
        verbose_name_plural = _("envois programmés")

    def __str__(self) -> str:
        return f"{self.wave} · {self.get_kind_display()} · {self.send_at:%Y-%m-%d %H:%M}"


class ScheduleMark(models.Model):
    """When a periodic duty last ran (claimed by one worker per period, whatever their number)."""

    name = models.CharField(max_length=60, primary_key=True)
    last_run_at = models.DateTimeField()


class TaskRetry(models.Model):
    """A failed task enqueued again from the staff page (the failed one then leaves the list)."""

    failed_id = models.CharField(max_length=64, primary_key=True)
    new_id = models.CharField(max_length=64)
    at = models.DateTimeField(auto_now_add=True)
