"""Redis down with the RQ backend: the request that enqueues gets a clear page; answering is unaffected."""

from __future__ import annotations

import pytest
from django.tasks.backends.base import BaseTaskBackend
from django.urls import reverse
from redis.exceptions import ConnectionError as RedisConnectionError

from jobs.models import ExportJob
from surveys.models import Response
from tests.analysis.test_exports import analyst_client, seeded  # noqa: F401 (fixture)
from tests.surveys.test_wizard import FULL, MGMT, step_url, walk

pytestmark = pytest.mark.django_db


class RedisDownBackend(BaseTaskBackend):
    """What django-tasks-rq's enqueue does when Redis does not answer."""

    supports_defer = True

    def enqueue(self, task, args, kwargs):
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6399. Connection refused.")


@pytest.fixture
def redis_down(settings):
    settings.TASKS = {"default": {"BACKEND": f"{__name__}.RedisDownBackend"}}


def test_an_export_asked_while_the_queue_is_down_gets_a_clear_503_and_leaves_no_job(
        seeded, redis_down, client):  # noqa: F811
    before = Response.objects.filter(status="complete").count()
    resp = analyst_client(seeded).post(reverse("analysis:exports", args=[seeded.slug]),
                                       {"type": "microdonnees", "format": "csv"})
    assert resp.status_code == 503
    assert "La file des tâches de fond ne répond pas" in resp.content.decode()
    assert not ExportJob.objects.exists()
    # a respondent is not affected: the questionnaire enqueues nothing
    walk(client, seeded, "researchers", FULL)
    assert "Merci" in client.post(step_url(seeded, "recapitulatif"), {MGMT: "recapitulatif"}, follow=True
                                  ).content.decode()
    assert Response.objects.filter(status="complete").count() == before + 1
