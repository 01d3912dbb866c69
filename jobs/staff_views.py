"""Staff page of the background work: next scheduled runs, live workers, failed tasks (retry)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from surveys.models import audit

from . import schedule, tasks_admin
from .models import WorkerBeat


@never_cache
@staff_member_required
def tasks_page(request: HttpRequest) -> HttpResponse:
    cutoff = timezone.now() - timedelta(seconds=settings.TASKS_WORKER_STALE_AFTER)
    return render(request, "jobs/tasks.html", {
        "backend": settings.TASKS_BACKEND,
        "next_runs": schedule.next_runs(),
        "workers": WorkerBeat.objects.filter(seen_at__gte=cutoff).order_by("started_at"),
        "counts": tasks_admin.task_counts(),
        "failed": tasks_admin.failed_tasks(),
    })


@staff_member_required
@require_POST
def task_retry(request: HttpRequest, task_id: str) -> HttpResponse:
    """Enqueue a failed task again with the same arguments (it is then listed as retried)."""
    new_id = tasks_admin.task_retry(task_id)
    if new_id is None:
        raise Http404
    audit(request.user, "task_retried", task_id, new=new_id)
    messages.success(request, _("Tâche relancée."))
    return redirect("jobs:tasks")
