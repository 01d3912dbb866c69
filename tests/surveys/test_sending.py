"""Sending: refused addresses recorded, temporary refusals retried a bounded number of times."""

from __future__ import annotations

import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django_tasks_db.models import DBTaskResult

from surveys.models import Participant
from surveys.services import sending
from surveys.tasks import send_invitations
from tests.surveys.test_invitations import import_csv, wave_of

pytestmark = pytest.mark.django_db


class RefusingBackend(LocmemBackend):
    """A mail server that refuses some addresses: 5xx for good, 4xx for now."""

    def send_messages(self, messages):
        to = messages[0].to[0]
        if to.startswith("gone"):
            raise smtplib.SMTPRecipientsRefused({to: (550, b"5.1.1 User unknown")})
        if to.startswith("full"):
            raise smtplib.SMTPRecipientsRefused({to: (452, b"4.2.2 Mailbox full")})
        return super().send_messages(messages)


@pytest.fixture
def refusing(settings):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.RefusingBackend"}}


def _send(survey, run_tasks, attempt=1):
    result = send_invitations.enqueue(wave_of(survey).pk, "invitation", "http://testserver/", attempt)
    run_tasks()
    result.refresh()
    return result


def test_a_refused_address_is_recorded_undeliverable_and_the_others_get_theirs(survey, refusing, run_tasks):
    import_csv(survey, "email,category\nok@example.org,researchers\ngone@example.org,researchers\n")
    result = _send(survey, run_tasks)
    assert result.status == "SUCCESSFUL"
    assert result.return_value == {"kind": "invitation", "sent": 1, "bounced": 1, "deferred": 0, "stopped": ""}
    assert [m.to[0] for m in mail.outbox] == ["ok@example.org"]
    gone = Participant.objects.get(email="gone@example.org")
    assert gone.undeliverable and gone.bounce_reason == "550 5.1.1 User unknown" and gone.invited_at is None
    assert not DBTaskResult.objects.filter(status="READY").exists()  # nothing to retry
    assert _send(survey, run_tasks).return_value["bounced"] == 0  # never tried again


def test_a_temporary_refusal_is_retried_later_then_recorded_after_three(survey, refusing, run_tasks):
    import_csv(survey, "email,category\nok@example.org,researchers\nfull@example.org,researchers\n")
    first = _send(survey, run_tasks)
    assert first.return_value["deferred"] == 1 and first.return_value["sent"] == 1
    full = Participant.objects.get(email="full@example.org")
    assert full.send_failures == 1 and not full.undeliverable and full.invited_at is None
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs["args"][-1] == 2  # the next attempt is queued, later
    assert (retry.run_after - retry.enqueued_at).total_seconds() == pytest.approx(sending.RETRY_DELAYS[0], abs=5)
    assert _send(survey, run_tasks, attempt=2).return_value["deferred"] == 1
    third = _send(survey, run_tasks, attempt=3)
    assert third.return_value["bounced"] == 1 and third.return_value["deferred"] == 0
    full.refresh_from_db()
    assert full.undeliverable and full.bounce_reason == "452 4.2.2 Mailbox full (3×)"
    assert [m.to[0] for m in mail.outbox] == ["ok@example.org"]


def test_retries_stop_after_the_last_attempt():
    assert [sending.retry_delay(n) for n in range(1, 6)] == [60, 300, 1800, 7200, None]


def test_every_message_carries_the_message_id_recorded_on_its_participant(survey, run_tasks):
    import_csv(survey, "email,category\n" + "".join(f"p{i}@example.org,researchers\n" for i in range(3)))
    _send(survey, run_tasks)
    ids = {m.to[0]: m.extra_headers["Message-ID"] for m in mail.outbox}
    assert len(set(ids.values())) == 3
    assert ids == dict(Participant.objects.values_list("email", "message_id"))
