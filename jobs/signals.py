"""One log line per finished task: path, id, state, duration and its counts (rows, messages).

Django logs the start and the end of each task (logger ``django.tasks``); this adds how long it
took and what it did, read from the task's return value (`sent`, `rows`...), for any backend.
"""

from __future__ import annotations

import logging

from django.dispatch import receiver
from django.tasks.signals import task_finished

logger = logging.getLogger("jobs")
COUNTS = ("sent", "bounced", "deferred", "rows", "bytes")


@receiver(task_finished)
def log_task_duration(sender, task_result, **kwargs) -> None:
    started, finished = task_result.started_at, task_result.finished_at
    seconds = (finished - started).total_seconds() if started and finished else None
    value = task_result.return_value if task_result.status == "SUCCESSFUL" else None
    counts = " ".join(f"{k}={value[k]}" for k in COUNTS if isinstance(value, dict) and k in value)
    logger.info("task %s id=%s %s in %s s %s", task_result.task.module_path, task_result.id, task_result.status,
                f"{seconds:.2f}" if seconds is not None else "?", counts)
