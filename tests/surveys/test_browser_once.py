"""One response per browser on open links (signed cookie) and likely duplicates flagged."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from surveys.models import Response
from tests import factories
from tests.surveys.test_wizard import FULL, MGMT, current_step, start, step_url, walk

pytestmark = pytest.mark.django_db


def _answer(client, survey) -> None:
    walk(client, survey, "researchers", FULL)
    resp = client.post(step_url(survey, "recapitulatif"), {MGMT: "recapitulatif"}, follow=True)
    assert "Merci" in resp.content.decode()


def test_with_the_option_a_browser_that_answered_gets_the_already_answered_page(survey):
    survey.one_response_per_browser = True
    survey.save()
    client = Client(HTTP_USER_AGENT="Firefox/140")
    _answer(client, survey)
    assert any(name.startswith("ecoute_repondu_") for name in client.cookies)
    again = client.get(reverse("surveys:start", args=[survey.slug]), follow=True)
    assert "Vous avez déjà répondu à ce questionnaire depuis ce navigateur" in again.content.decode()
    assert Response.objects.count() == 1
    # another browser (no cookie) may still answer
    other = Client(HTTP_USER_AGENT="Chromium/140")
    assert current_step(start(other, survey, categorie="researchers")) == "core"


def test_a_forged_cookie_does_not_block_anyone(survey):
    survey.one_response_per_browser = True
    survey.save()
    client = Client()
    client.cookies[f"ecoute_repondu_{survey.pk}"] = str(survey.pk)  # unsigned
    assert current_step(start(client, survey, categorie="researchers")) == "core"


def test_without_the_option_no_cookie_is_set_and_a_second_response_is_flagged(survey):
    client = Client(HTTP_USER_AGENT="Firefox/140", REMOTE_ADDR="192.0.2.7")
    _answer(client, survey)
    assert not any(name.startswith("ecoute_repondu_") for name in client.cookies)
    client.cookies.clear()  # same browser, fresh session: answering again is allowed
    _answer(client, survey)
    first, second = Response.objects.order_by("submitted_at")
    assert first.browser_hash == second.browser_hash and len(first.browser_hash) == 64
    assert "192.0.2.7" not in first.browser_hash and not first.likely_duplicate
    assert second.likely_duplicate
    # a different browser is not flagged
    other = Client(HTTP_USER_AGENT="Chromium/140", REMOTE_ADDR="192.0.2.7")
    _answer(other, survey)
    assert not Response.objects.order_by("-submitted_at").first().likely_duplicate


def test_the_tracking_page_counts_likely_duplicates(survey):
    client = Client(HTTP_USER_AGENT="Firefox/140")
    _answer(client, survey)
    client.cookies.clear()
    _answer(client, survey)
    designer = Client()
    designer.force_login(factories.staff_user("des", "designers", [survey]))
    page = designer.get(reverse("staff:tracking", args=[survey.slug])).content.decode()
    assert "1 réponse complète de cette vague est probablement un doublon" in page
