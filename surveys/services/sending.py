"""Sending invitations and reminders: once per person, resumable, bounded retries.

Each message is one short transaction
-------------------------------------
For each eligible participant, inside one transaction:

1. **claim**: lock the participant's row (``SELECT ... FOR UPDATE SKIP LOCKED``, re-checking that
   they are still eligible), stamp ``invited_at``/``reminded_at``, store the hash of the fresh
   token and the message's ``Message-ID``;
2. **send** the message on the batch's SMTP connection;
3. **commit**.

A second worker on the same wave skips locked and already-stamped rows, so two workers never send
to the same person. A worker killed before the commit (SIGKILL, power cut) leaves nothing behind:
the transaction rolls back, the participant is still eligible and the resumed task (see
`jobs.worker`: a lost send task is enqueued again) sends to them. The only window in which a
person can get two copies is between the mail server accepting a message and the COMMIT reaching
the database (a few microseconds of Python per message); the copy that counts is the one whose
``Message-ID`` is recorded on the participant, and only its link works (a token per message, see
`surveys.services.invitations`).

Refusals and retries
--------------------
* A permanent refusal of the address (SMTP 5xx, "recipient refused") marks the participant
  undeliverable with the server's reason (`bounce_reason`): never retried, counted UO.
* A temporary refusal (SMTP 4xx) undoes that participant's claim and counts a failure; after
  `MAX_RECIPIENT_FAILURES` the address is recorded as undeliverable too. The round goes on with
  the others and the task schedules a retry with backoff (`RETRY_DELAYS`).
* A connection failure stops the round (nothing more can be sent); the task fails visibly and
  is retried with the same backoff, at most `MAX_TASK_ATTEMPTS` times in all.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.utils import make_msgid
from itertools import batched

from django.conf import settings
from django.core.mail import mailers
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..models import Participant, Wave, audit, hash_secret, new_secret
from . import invitations

SEND_BATCH = 100  # messages per SMTP connection
MAX_RECIPIENT_FAILURES = 3  # temporary refusals of one address before it is recorded as undeliverable
MAX_TASK_ATTEMPTS = 5
RETRY_DELAYS = (60, 300, 1800, 7200)  # seconds before attempt 2, 3, 4, 5

SENT, SKIPPED, BOUNCED, DEFERRED = "sent", "skipped", "bounced", "deferred"


@dataclass
class SendReport:
    kind: str
    sent: int = 0
    bounced: int = 0  # addresses refused for good (now undeliverable)
    deferred: int = 0  # temporarily refused: the retry will try them again
    stopped: str = ""  # why nothing (more) was sent: "closed", or the error's class name

    def as_dict(self) -> dict:
        return {"kind": self.kind, "sent": self.sent, "bounced": self.bounced, "deferred": self.deferred,
                "stopped": self.stopped}


def retry_delay(attempt: int) -> int | None:
    """Seconds to wait before attempt `attempt + 1`, or None when no attempt is left."""
    return RETRY_DELAYS[attempt - 1] if attempt < MAX_TASK_ATTEMPTS else None


def invitations_send(wave_id: int, kind: str, base_url: str) -> SendReport:
    """Send every pending invitation (or reminder) of a wave, each person at most once (module doc).

    Safe to run again after a failure or a killed worker, and to run twice at once. Raises the
    connection error that stopped it (after recording what was sent).
    """
    if kind not in invitations.KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    wave = Wave.objects.select_related("survey").get(pk=wave_id)
    report = SendReport(kind=kind)
    if not wave.is_open():
        report.stopped = "closed"
        return report
    stamp = "invited_at" if kind == invitations.INVITATION else "reminded_at"
    ids = list(invitations.eligible(wave, kind).order_by("pk").values_list("pk", flat=True))
    try:
        for chunk in batched(ids, SEND_BATCH):
            with mailers.default as mailer:  # one connection per batch of messages
                for pk in chunk:
                    outcome = _send_one(wave, kind, stamp, pk, base_url, mailer)
                    if outcome != SKIPPED:
                        setattr(report, outcome, getattr(report, outcome) + 1)
    except Exception as exc:
        report.stopped = type(exc).__name__
        _audit(wave, report)
        raise
    _audit(wave, report)
    return report


def _audit(wave: Wave, report: SendReport) -> None:
    extra = {k: v for k, v in (("bounced", report.bounced), ("deferred", report.deferred)) if v}
    if report.stopped:
        extra["stopped"] = report.stopped
    audit("system", f"{report.kind}s_sent", wave.survey.slug, wave=wave.code, sent=report.sent, **extra)


def _message_id() -> str:
    return make_msgid(idstring="ecoute", domain=settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost")


def _send_one(wave: Wave, kind: str, stamp: str, pk: int, base_url: str, mailer) -> str:
    """Claim, send and commit one message (module doc); returns SENT, SKIPPED, BOUNCED or DEFERRED."""
    try:
        with transaction.atomic():
            participant = (invitations.eligible(wave, kind).filter(pk=pk).select_related("survey", "wave")
                           .select_for_update(skip_locked=True, of=("self",)).first())
            if participant is None:  # claimed by another worker, or no longer eligible
                return SKIPPED
            raw = new_secret()
            participant.token_hash = hash_secret(raw)
            setattr(participant, stamp, timezone.now())
            message = invitations.build_message(participant, kind, raw, base_url)
            participant.message_id = message.extra_headers["Message-ID"] = _message_id()
            participant.save(update_fields=[stamp, "token_hash", "message_id"])
            mailer.send_messages([message])
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _msg in exc.recipients.values()]
        return _refused(pk, min(codes or [550]), _reason(exc))
    except smtplib.SMTPResponseException as exc:
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            raise
        return _refused(pk, exc.smtp_code, _reason(exc))
    return SENT


def _reason(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, msg = next(iter(exc.recipients.values()), (550, b""))
    else:
        code, msg = exc.smtp_code, exc.smtp_error
    text = msg.decode(errors="replace") if isinstance(msg, bytes) else str(msg)
    return f"{code} {' '.join(text.split())}"[:200]


def _refused(pk: int, code: int, reason: str) -> str:
    """Record a refusal: permanent (5xx) at once, temporary (4xx) after too many of them."""
    if code >= 500:
        participant_record_bounce(pk, reason)
        return BOUNCED
    Participant.objects.filter(pk=pk).update(send_failures=F("send_failures") + 1)
    if Participant.objects.filter(pk=pk, send_failures__gte=MAX_RECIPIENT_FAILURES).exists():
        participant_record_bounce(pk, f"{reason} ({MAX_RECIPIENT_FAILURES}×)")
        return BOUNCED
    return DEFERRED


def participant_record_bounce(pk: int, reason: str) -> None:
    """The address is refused: no more messages to it, UO in the response rates, reason kept."""
    Participant.objects.filter(pk=pk).update(undeliverable=True, bounce_reason=reason[:200])
