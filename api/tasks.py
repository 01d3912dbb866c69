"""Background task of the API: one webhook delivery attempt (Django's tasks framework).

Enqueued on commit by :func:`api.webhooks.event_emit`; retries are enqueued with ``run_after``
when the backend can defer (a database queue with a worker), else sent by
``manage.py webhooks_deliver``. Arguments are JSON-serialisable (the delivery's id).
"""

from __future__ import annotations

from django.tasks import task


@task
def deliver_webhook(delivery_id: int) -> dict:
    from .webhooks import delivery_attempt

    delivery = delivery_attempt(delivery_id)
    if delivery is None:
        return {"delivery": delivery_id, "sent": False}
    return {"delivery": delivery_id, "status": delivery.status, "attempts": delivery.attempts,
            "http_status": delivery.last_status_code}
