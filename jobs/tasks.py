"""Small tasks of the background machinery itself."""

from __future__ import annotations

from django.tasks import task


@task
def ping(value: str) -> str:
    """Returns its argument: enqueue it to check that a worker runs the queue (any backend)."""
    return value
