"""What happens to a task whose worker died, whatever the backend (database or RQ).

A *resumable* task skips what it already did (the invitation sends: each person is stamped in the
transaction that sends to them), so it is simply enqueued again; others may name a function called
with the lost task's arguments (an export job is marked failed, never offered half-written).
"""

from __future__ import annotations

from django.utils.module_loading import import_string

#: tasks that are safe to run again from the start when their worker died
RESUMABLE = {"surveys.tasks.send_invitations"}
#: called with the lost task's args and kwargs when its worker died
ON_LOST: dict[str, str] = {"analysis.export_jobs.export_run": "jobs.exports.export_job_lost"}


def task_lost(path: str, args: list, kwargs: dict, queue_name: str | None = None) -> bool:
    """Resume or report a lost task; returns whether it was enqueued again."""
    if path in ON_LOST:
        import_string(ON_LOST[path])(*args, **kwargs)
    if path not in RESUMABLE:
        return False
    task = import_string(path)
    (task.using(queue_name=queue_name) if queue_name else task).enqueue(*args, **kwargs)
    return True
