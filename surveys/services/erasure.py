"""Right to erasure, everywhere: the response, the sessions that still carry its answers, the freed pages.

`privacy.response_erase` deletes the rows. A respondent's session may still hold what they typed
(the wizard's step data and its memo of cleaned answers), in the database and, with `cached_db`,
in Redis: every session that carries this response's run is deleted too (the erasing browser's
own session is flushed). On SQLite, the delete runs with `secure_delete` (freed pages are zeroed)
and is followed by a WAL checkpoint, so the text is not left in the database file nor its WAL.
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from ..models import Response
from .privacy import response_erase


def _holds(data: dict, response_id: str) -> bool:
    return any(isinstance(v, dict) and v.get("response_id") == response_id for k, v in data.items()
               if str(k).startswith("ecoute_run_"))


def sessions_forget(response_id: str) -> int:
    """Delete every stored session holding this response's run (database-backed stores)."""
    if settings.SESSION_ENGINE not in ("django.contrib.sessions.backends.db",
                                       "django.contrib.sessions.backends.cached_db"):
        return 0
    store = import_module(settings.SESSION_ENGINE).SessionStore
    deleted = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if _holds(session.get_decoded(), response_id):
            store(session.session_key).delete()
            deleted += 1
    return deleted


def response_erase_everywhere(request: HttpRequest, response: Response) -> None:
    """Erase `response` (rows, sessions, this browser's session; SQLite pages zeroed, WAL checkpointed)."""
    response_id, slug = str(response.id), response.survey.slug
    sqlite = connection.vendor == "sqlite"
    if sqlite:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = ON")
    try:
        response_erase(response)
    finally:
        if sqlite:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA secure_delete = OFF")
    sessions_forget(response_id)
    if request.user.is_authenticated:  # a staff member testing: keep them signed in
        for key in [k for k in request.session.keys() if k.endswith(slug) and "ecoute" in k]:
            del request.session[key]
    else:
        request.session.flush()
    if sqlite and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    elif sqlite:
        transaction.on_commit(lambda: connection.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)"))
