"""A database that cannot write right now never costs a respondent their answers.

When the database refuses a write (a lock held longer than the busy timeout on SQLite, a lock or
statement timeout, a serialisation failure or a dropped connection on PostgreSQL), the step's
transaction is rolled back, so nothing half-written remains. This wrapper then puts the
respondent's session back as it was before the request (read again from the session store) (formtools would otherwise reset the
wizard's storage and send them to the first step) and answers with a page that says their answers
are kept, with a button that sends the very same answers again to the very same step.
"""

from __future__ import annotations

import functools
import logging
from typing import Callable

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from .models import Survey

log = logging.getLogger(__name__)

#: seconds a client (or a proxy) is told to wait before sending again
RETRY_AFTER = 5
_NOT_REPOSTED = {"csrfmiddlewaretoken"}


def posted_fields(request: HttpRequest) -> list[tuple[str, str]]:
    """The POST as (name, value) pairs, repeated names kept (checkboxes), the CSRF token left out."""
    return [(name, value) for name in request.POST if name not in _NOT_REPOSTED
            for value in request.POST.getlist(name)]


def busy_page(request: HttpRequest, slug: str) -> HttpResponse:
    """503 with Retry-After: the answers are kept, "Réessayer" posts them again."""
    survey = get_object_or_404(Survey, slug=slug)
    response = render(request, "surveys/retry.html", {
        "survey": survey, "action": request.path, "fields": posted_fields(request)}, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response


def _restore_session(request: HttpRequest) -> None:
    """Put the session back as the store still holds it (nothing of this request was saved yet:
    the session middleware saves after the view). Read only on this error path, so the usual step
    pays no copy of its session. If even that read fails, the request's changes are not saved."""
    try:
        stored = request.session.load()
    except DatabaseError:
        request.session.modified = False
        return
    request.session.clear()
    request.session.update(stored)


def keep_answers_when_busy(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap a questionnaire view: on a database error during a POST, restore the session and
    answer with :func:`busy_page` instead of a 500 or a silent restart."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method != "POST":
            return view(request, *args, **kwargs)
        try:
            return view(request, *args, **kwargs)
        except DatabaseError:
            log.warning("database busy on %s: session restored, retry page shown", request.path, exc_info=True)
            _restore_session(request)
            return busy_page(request, kwargs["slug"])

    return wrapped
