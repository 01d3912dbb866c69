"""Idempotency keys on POSTs, and signed webhook deliveries to a real local receiver."""

from __future__ import annotations

import json
import re
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.db import connection, connections
from django.utils import timezone

from api.models import Delivery, IdempotencyKey, Webhook
from api.services import webhook_create
from api.webhooks import deliveries_due
from jobs.worker import tasks_drain
from surveys.models import Participant, Response
from tests.surveys.test_wizard import FULL, MGMT, step_url, walk

from .conftest import Api

PARTICIPANTS = "/api/v1/surveys/test-survey/waves/2026/participants/"
BODY = json.dumps({"participants": [{"email": "a@example.org", "category": "researchers"},
                                    {"email": "b@example.org", "category": "journalists"}]})


# --- idempotency ------------------------------------------------------------------------------
def test_a_repeated_idempotency_key_writes_once_and_returns_the_first_result(survey, api):
    first = api.post(PARTICIPANTS, BODY, HTTP_IDEMPOTENCY_KEY="import-1")
    second = api.post(PARTICIPANTS, BODY, HTTP_IDEMPOTENCY_KEY="import-1")
    assert first.status_code == second.status_code == 200
    assert first.json()["created"] == 2 and second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    assert Participant.objects.count() == 2 and IdempotencyKey.objects.count() == 1
    without = api.post(PARTICIPANTS, BODY)  # no key: a normal second import (duplicates, none created)
    assert without.json()["created"] == 0


def test_an_idempotency_key_reused_for_another_request_is_refused(survey, api):
    api.post(PARTICIPANTS, BODY, HTTP_IDEMPOTENCY_KEY="k")
    other = api.post(PARTICIPANTS, BODY.replace("a@example", "c@example"), HTTP_IDEMPOTENCY_KEY="k")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert not Participant.objects.filter(email="c@example.org").exists()


def test_an_idempotency_key_is_per_token(survey, make_token):
    _t1, first = make_token()
    _t2, second = make_token()
    first.post(PARTICIPANTS, BODY, HTTP_IDEMPOTENCY_KEY="same")
    replay = second.post(PARTICIPANTS, BODY, HTTP_IDEMPOTENCY_KEY="same")
    assert "Idempotent-Replayed" not in replay and IdempotencyKey.objects.count() == 2


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_one_key_write_once(survey, make_token):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions are exercised on PostgreSQL (the suite also runs there)")
    _token, api = make_token()
    barrier = threading.Barrier(2)
    results: list = []

    def post():
        try:
            client = Api(api.secret)
            barrier.wait()
            results.append(client.post(PARTICIPANTS, BODY, HTTP_IDEMPOTENCY_KEY="together"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status_code for r in results] == [200, 200]
    assert results[0].content == results[1].content and results[0].json()["created"] == 2
    assert Participant.objects.count() == 2 and IdempotencyKey.objects.count() == 1


# --- webhooks ---------------------------------------------------------------------------------
def _documented_verify():
    """The verification snippet of docs/api.md, run as documented."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", text[text.index("## Webhooks"):], re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "docs/api.md", "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace["verify"]


class Receiver:
    """An HTTP receiver on 127.0.0.1 in a thread; its port is fixed before it starts (so it can be
    "down" first: nothing listens there)."""

    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.received: list[tuple[dict, bytes]] = []
        self.server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


def _complete_a_response(client, survey, captured) -> Response:
    walk(client, survey, "researchers", FULL)
    with captured(execute=True):
        client.post(step_url(survey, "recapitulatif"), {MGMT: "recapitulatif"})
    tasks_drain()  # the delivery task the submission enqueued, run by the real queue's worker
    return Response.objects.get(status="complete")


def test_webhook_delivery_is_signed_and_retried_until_the_receiver_is_up(
        survey, owner, receiver, client, django_capture_on_commit_callbacks):
    hook, secret = webhook_create(owner, survey, receiver.url, ["response.completed"])
    response = _complete_a_response(client, survey, django_capture_on_commit_callbacks)  # receiver down
    delivery = Delivery.objects.get(webhook=hook)
    assert delivery.status == "pending" and delivery.attempts == 1 and delivery.last_status_code is None
    assert "ConnectionRefused" in delivery.last_error or "URLError" in delivery.last_error
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=30)
    assert deliveries_due() == []  # not due yet: nothing sent
    receiver.start()
    sent = deliveries_due(now=delivery.next_attempt_at + timedelta(seconds=1))
    assert [d.status for d in sent] == ["delivered"]
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.last_status_code == 204
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    assert _documented_verify()(secret, headers["Ecoute-Signature"], body)
    assert not _documented_verify()("whsec_wrong", headers["Ecoute-Signature"], body)
    assert not _documented_verify()(secret, headers["Ecoute-Signature"], body.replace(b"2026", b"2025"))
    payload = json.loads(body)
    assert payload["event"] == "response.completed" == headers["Ecoute-Event"]
    assert payload["data"] == {"response_id": str(response.id), "wave": "2026"}  # ids only, no answers
    assert deliveries_due(now=timezone.now() + timedelta(days=1)) == [] and len(receiver.received) == 1


def test_a_microdata_webhook_carries_the_answers(survey, owner, receiver, client, django_capture_on_commit_callbacks):
    receiver.start()
    webhook_create(owner, survey, receiver.url, ["response.completed"], microdata=True)
    _complete_a_response(client, survey, django_capture_on_commit_callbacks)
    payload = json.loads(receiver.received[0][1])
    assert payload["data"]["answers"]["SAT_OVERALL"] == 4 and payload["data"]["answers"]["MICRO"] == "yes"


def test_a_wave_closed_early_is_announced_once(survey, owner, receiver, django_capture_on_commit_callbacks):
    receiver.start()
    hook, _secret = webhook_create(owner, survey, receiver.url, ["wave.closed"])
    wave = survey.waves.get(code="2026")
    with django_capture_on_commit_callbacks(execute=True):
        wave.closes_at = timezone.now() - timedelta(minutes=1)
        wave.save()
        wave.save()  # saved again: still one delivery
    tasks_drain()
    assert Delivery.objects.filter(webhook=hook).count() == 1
    assert json.loads(receiver.received[0][1])["data"]["wave"] == "2026" and len(receiver.received) == 1


def test_only_https_and_designers_of_the_survey_register_webhooks(survey, other_survey, owner, settings):
    from django.core.exceptions import ValidationError

    from surveys.permissions import ANALYSTS
    from tests import factories

    settings.WEBHOOK_ALLOW_HTTP = False
    with pytest.raises(ValidationError):
        webhook_create(owner, survey, "http://example.org/hook", ["wave.closed"])
    analyst = factories.staff_user("only-analyst", ANALYSTS, surveys=[survey])
    with pytest.raises(ValidationError):
        webhook_create(analyst, survey, "https://example.org/hook", ["wave.closed"])
    for internal in ("https://127.0.0.1/hook", "https://10.0.0.8/hook", "https://localhost/hook"):
        with pytest.raises(ValidationError):
            webhook_create(owner, survey, internal, ["wave.closed"])
    hook, secret = webhook_create(owner, survey, "https://example.org/hook", ["publication.released"])
    assert Webhook.objects.get(pk=hook.pk).secret == secret


def test_a_publication_released_is_announced_once_by_the_scheduler(survey, owner, receiver,
                                                                   django_capture_on_commit_callbacks):
    from jobs.schedule import schedule_tick
    from publications.models import Collection
    from tests.publications.conftest import make_publication

    receiver.start()
    hook, _secret = webhook_create(owner, survey, receiver.url, ["publication.released"])
    collection = Collection.objects.create(slug="chiffres", name_fr="Chiffres", name_en="Figures")
    coming = make_publication(survey, collection, "a-venir", 5)
    out = make_publication(survey, collection, "parue", -1)
    for _ in range(2):  # two ticks: still one delivery
        with django_capture_on_commit_callbacks(execute=True):
            schedule_tick()
    tasks_drain()
    assert Delivery.objects.filter(webhook=hook).count() == 1
    payload = json.loads(receiver.received[0][1])
    assert payload["event"] == "publication.released" and payload["data"]["publication"] == out.slug
    assert coming.slug not in receiver.received[0][1].decode() and len(receiver.received) == 1
