"""Webhook deliveries: signed POSTs, retried with exponential backoff, each attempt logged.

Signature (documented with a verification snippet in ``docs/api.md``)::

    Ecoute-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>

An event makes one :class:`~api.models.Delivery` per subscribed webhook (unique per event, so a
repeated trigger sends nothing twice) and enqueues the task :func:`deliver_webhook` (a task of Django's tasks framework, in this module) once
the transaction commits. A failed attempt (network error, timeout, any non-2xx) schedules the next
one after 1, 2, 4, 8... minutes (``WEBHOOK_MAX_ATTEMPTS`` in all, then the delivery is "failed"):
through the task queue's ``run_after`` when the backend can defer, else at the next
``manage.py webhooks_deliver`` (cron or the worker's loop), which sends whatever is due.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.tasks import task
from django.utils import timezone

from .models import Delivery, DeliveryStatus, Webhook

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "Ecoute-Signature"
USER_AGENT = "Ecoute-Webhooks/1"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Ecoute-Signature`` value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def backoff(attempts: int) -> timedelta:
    """Delay before the next attempt after ``attempts`` failed ones: 1, 2, 4 ... minutes, ≤ 6 h."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def _may_send_microdata(webhook: Webhook) -> bool:
    from analysis.views import may_export_microdata

    user = webhook.created_by
    return bool(webhook.microdata and user is not None and may_export_microdata(user)
                and (user.is_superuser or webhook.survey.owners.filter(pk=user.pk).exists()))


def event_emit(survey_id: int, event: str, key: str, data: dict,
               microdata: Callable[[], dict] | None = None) -> list[int]:
    """Record ``event`` for every active webhook of the survey subscribed to it; enqueue on commit.

    ``data`` carries ids only; ``microdata()`` (the answers) is added for webhooks with the
    microdata scope whose creator may still export microdata.
    """
    created = []
    hooks = Webhook.objects.filter(survey_id=survey_id, active=True).select_related("survey", "created_by")
    extra = None
    for hook in hooks:
        if event not in hook.events:
            continue
        payload = {"event": event, "survey": hook.survey.slug, "created_at": timezone.now().isoformat(),
                   "data": dict(data)}
        if microdata is not None and _may_send_microdata(hook):
            extra = extra if extra is not None else microdata()
            payload["data"]["answers"] = extra
        delivery, new = Delivery.objects.get_or_create(webhook=hook, event_key=f"{event}:{key}"[:120],
                                                       defaults={"event": event, "payload": payload})
        if new:
            created.append(delivery.pk)
    for pk in created:
        transaction.on_commit(lambda pk=pk: deliver_webhook.enqueue(pk))
    return created


def _post(url: str, body: bytes, headers: dict) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT) as answer:  # noqa: S310 - http(s) only
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code


def delivery_attempt(delivery_id: int, now=None) -> Delivery | None:
    """Send one pending, due delivery; record the outcome and when to try again.

    The attempt is claimed first by a conditional UPDATE (its next attempt pushed past the
    timeout), so two workers never send it at once, and no lock is held during the HTTP call.
    """
    now = now or timezone.now()
    lease = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT + 60)
    claimed = Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
                                      ).update(next_attempt_at=lease, attempts=F("attempts") + 1)
    if not claimed:
        return None  # delivered, given up, not due, or another worker has it
    delivery = Delivery.objects.select_related("webhook").get(pk=delivery_id)
    hook = delivery.webhook
    body = json.dumps({"id": delivery.pk, **delivery.payload}, ensure_ascii=False, sort_keys=True).encode()
    stamp = int(time.time())
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, "Ecoute-Event": delivery.event,
               "Ecoute-Delivery": str(delivery.pk), SIGNATURE_HEADER: sign(hook.secret, stamp, body)}
    try:
        status = _post(hook.url, body, headers)
        error = "" if 200 <= status < 300 else f"HTTP {status}"
    except (OSError, ValueError) as exc:  # refused, timeout, DNS, bad URL
        status, error = None, f"{type(exc).__name__}: {exc}"[:300]
    delivery.last_status_code, delivery.last_error = status, error
    if not error:
        delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, timezone.now()
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.FAILED
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    delivery.save(update_fields=["last_status_code", "last_error", "status", "delivered_at", "next_attempt_at"])
    logger.info("webhook delivery %s (%s -> %s): attempt %s, %s", delivery.pk, delivery.event, hook.url,
                delivery.attempts, error or "delivered")
    if delivery.status == DeliveryStatus.PENDING:
        _schedule_retry(delivery)
    return delivery


def _schedule_retry(delivery: Delivery) -> None:
    if deliver_webhook.get_backend().supports_defer:
        deliver_webhook.using(run_after=delivery.next_attempt_at).enqueue(delivery.pk)
    # else: the next `manage.py webhooks_deliver` sends it once due


def deliveries_due(now=None) -> list[Delivery]:
    """Send every pending delivery whose next attempt is due (``manage.py webhooks_deliver``)."""
    now = now or timezone.now()
    due = list(Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
               .order_by("next_attempt_at").values_list("pk", flat=True)[:1000])
    return [d for d in (delivery_attempt(pk, now) for pk in due) if d is not None]


@task
def deliver_webhook(delivery_id: int) -> dict:
    """One delivery attempt, in the background. Enqueued on commit by :func:`event_emit`; retries
    are enqueued with ``run_after`` when the backend can defer (a database queue with a worker),
    else sent by ``manage.py webhooks_deliver``. The argument is the delivery's id (JSON)."""
    delivery = delivery_attempt(delivery_id)
    if delivery is None:
        return {"delivery": delivery_id, "sent": False}
    return {"delivery": delivery_id, "status": delivery.status, "attempts": delivery.attempts,
            "http_status": delivery.last_status_code}
