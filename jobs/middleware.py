"""A queue that cannot be reached (Redis down with TASKS_BACKEND=rq) gets a clear 503 page.

Only requests that enqueue can meet it (a send, an export): the questionnaire enqueues nothing,
so a respondent's answers are saved whatever the state of the queue. What the request wrote
before enqueuing is rolled back by the view (an export job is created in the same transaction).
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger("jobs")


def _queue_errors() -> tuple[type[BaseException], ...]:
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError, TimeoutError as RedisTimeout
    except ImportError:  # pragma: no cover - redis is in the lock file
        return ()
    return (RedisConnectionError, RedisTimeout)


class QueueDownMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.errors = _queue_errors()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if self.errors and isinstance(exception, self.errors):
            logger.error("task queue unreachable: %s", exception)
            return render(request, "jobs/queue_down.html", status=503)
        return None
