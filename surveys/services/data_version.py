"""One token per survey that changes whenever its responses change: what cached readers check.

Readers of the responses (the dashboards in ``analysis``) cache what they compute and must know,
in one cache read, whether anything changed since. They cannot rely on model signals alone: the
submit marks a response complete with a compare-and-set ``QuerySet.update`` (no signal), imports
and generators use ``bulk_create``. So the *writers* say it: every service that changes responses
calls :func:`responses_changed` (the submit, the erasure, the purge; the generator and importers
once at the end), and a ``post_save``/``post_delete`` receiver covers plain ORM saves and deletes.

The token is set *after the transaction commits* (``on_commit``): a reader that sees the new
token also sees the new rows, and a reader that read the old token before computing stores its
result under the old token, which no longer matches. It is a fresh nanosecond timestamp, never a
counter, so an evicted key can never come back with an old value (no ABA), and it doubles as
"the time of the latest change". A cache outage never breaks a submission (the readers' own
timeout bounds the staleness then).

``surveys`` knows nothing of its readers (arrows go surveys → analysis): the key layout lives here.
"""

from __future__ import annotations

import logging
import time

from django.core.cache import cache
from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

__all__ = ["responses_changed", "data_version_key", "connect_response_signals", "data_changed"]

KEY_PREFIX = "ecoute:responses:version"
#: sent (``survey_id=``) once the new token is set, after the commit: readers that keep derived
#: data warm (``analysis.warm``) listen to it; surveys does not know them
data_changed = Signal()


def data_version_key(survey_id: int) -> str:
    """The cache key of the token of ``survey_id`` (read it with ``cache.get_many`` with yours)."""
    return f"{KEY_PREFIX}:{survey_id}"


def _set_token(survey_id: int) -> None:
    try:
        cache.set(data_version_key(survey_id), time.time_ns(), None)
    except Exception:  # noqa: BLE001 - a cache outage must never undo or fail a submission
        logger.warning("cache unavailable: could not mark survey %s responses as changed", survey_id, exc_info=True)
    data_changed.send_robust(sender=None, survey_id=survey_id)  # a listener's failure is never the writer's


def responses_changed(survey_id: int) -> None:
    """The responses of ``survey_id`` changed (or will, when the current transaction commits).

    One cache write per survey and transaction however many rows changed (a purge deleting
    thousands of responses fires thousands of signals): a callback already waiting for this commit
    is not queued twice. Rolled-back callbacks are dropped by Django, so the check stays right.
    """
    survey_id = int(getattr(survey_id, "pk", survey_id))
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        _set_token(survey_id)
        return
    if any(getattr(entry[1], "ecoute_survey", None) == survey_id for entry in connection.run_on_commit):
        return

    def fire() -> None:
        _set_token(survey_id)

    fire.ecoute_survey = survey_id  # type: ignore[attr-defined]
    transaction.on_commit(fire)


def _on_response_signal(sender, instance, **kwargs) -> None:
    if instance.survey_id is not None:
        responses_changed(instance.survey_id)


def connect_response_signals() -> None:
    """ORM saves and deletes of a response (admin, erasure, weight edits) change the token."""
    from django.db.models.signals import post_delete, post_save

    from ..models import Response

    post_save.connect(_on_response_signal, sender=Response, weak=False, dispatch_uid="data_version_saved")
    post_delete.connect(_on_response_signal, sender=Response, weak=False, dispatch_uid="data_version_deleted")
