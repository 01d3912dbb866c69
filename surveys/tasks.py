"""Background tasks (Django's tasks framework).

In development and tests the ImmediateBackend runs a task inline, inside the request that enqueued
it; in production a real backend (a worker process) runs it, so sending 10,000 invitations never
holds a request open. Tasks take JSON-serialisable arguments only.
"""

from __future__ import annotations

from django.tasks import task

from .services.invitations import invitations_send


@task
def send_invitations(wave_id: int, kind: str, base_url: str) -> dict:
    """Send the pending invitations (`kind="invitation"`) or reminders (`"reminder"`) of a wave.

    At most once per participant and resumable: enqueue it again after a failure and it carries on
    with those not reached yet (see `surveys.services.invitations`). `base_url` (scheme and host,
    from the request that enqueued it) makes the links in the messages absolute.
    """
    return invitations_send(wave_id, kind, base_url).as_dict()
