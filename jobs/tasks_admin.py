"""Reading and retrying the queue's tasks (database backend) for the staff page.

A failed task keeps its error (class and traceback); retrying enqueues a new task with the same
function and arguments and records it (`TaskRetry`), so the failed one leaves the list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from .models import TaskRetry


@dataclass
class FailedTask:
    id: str
    task_path: str
    args: list
    error: str
    last_line: str
    finished_at: datetime | None


def _db() -> bool:
    return settings.TASKS_BACKEND == "db"


def task_counts() -> dict[str, int]:
    if not _db():
        return {}
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    return dict(DBTaskResult.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))


def failed_tasks(limit: int = 50) -> list[FailedTask]:
    if not _db():
        return []
    from django_tasks_db.models import DBTaskResult

    out = []
    retried = set(TaskRetry.objects.values_list("failed_id", flat=True))
    for row in DBTaskResult.objects.failed().order_by("-finished_at")[:limit + len(retried)]:
        if str(row.pk) in retried:
            continue
        lines = [line for line in row.traceback.strip().splitlines() if line.strip()]
        out.append(FailedTask(str(row.pk), row.task_path, row.args_kwargs.get("args", []),
                              row.exception_class_path, lines[-1][:300] if lines else "", row.finished_at))
    return out[:limit]


def task_retry(task_id: str) -> str | None:
    """Enqueue the failed task `task_id` again; returns the new task's id (None if not retryable)."""
    if not _db():
        return None
    from django.core.exceptions import ValidationError
    from django_tasks_db.models import DBTaskResult

    with transaction.atomic():
        try:
            row = DBTaskResult.objects.select_for_update().filter(pk=task_id, status="FAILED").first()
        except ValidationError:
            return None
        if row is None or TaskRetry.objects.filter(failed_id=str(row.pk)).exists():
            return None
        task = import_string(row.task_path)
        result = task.using(queue_name=row.queue_name).enqueue(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
        TaskRetry.objects.create(failed_id=str(row.pk), new_id=str(result.id))
    return str(result.id)
