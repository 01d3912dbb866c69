"""Background tasks (Django's tasks framework, run by the worker: see `jobs.worker`).

Tasks take JSON-serialisable arguments only. A send task is *resumable*: run again from the start
it skips everyone already reached, so the worker re-enqueues it when its worker died mid-send.
"""

from __future__ import annotations

from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from .services import sending


@task
def send_invitations(wave_id: int, kind: str, base_url: str, attempt: int = 1) -> dict:
    """Send the pending invitations (`kind="invitation"`) or reminders (`"reminder"`) of a wave.

    At most once per participant and resumable (see `surveys.services.sending`). `base_url`
    (scheme and host, from the request that enqueued it) makes the links in the messages absolute.
    A mail server that is down, or addresses refused for now, get a retry later (bounded backoff).
    """
    try:
        report = sending.invitations_send(wave_id, kind, base_url)
    except Exception:
        _retry_later(wave_id, kind, base_url, attempt)
        raise
    if report.deferred:
        _retry_later(wave_id, kind, base_url, attempt)
    return report.as_dict()


def _retry_later(wave_id: int, kind: str, base_url: str, attempt: int) -> None:
    delay = sending.retry_delay(attempt)
    if delay is not None and send_invitations.get_backend().supports_defer:
        send_invitations.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(
            wave_id, kind, base_url, attempt + 1)
