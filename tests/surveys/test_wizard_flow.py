"""Fewer round trips: the next step in the POST's response, an optional review page, no session
write when nothing changed — and still nothing lost, nothing twice, back and resume working."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from surveys.models import Answer, Response
from tests.surveys.test_resume_codes import shown_code
from tests.surveys.test_wizard import FULL, MGMT, current_step, start, step_url

pytestmark = pytest.mark.django_db


def _post(client, survey, step, data, **extra):
    payload = {MGMT: step, **{f"{step}-{k}": v for k, v in data.items()}, **extra}
    return client.post(step_url(survey, step), payload)


def _action(resp) -> str:
    return re.search(r'<form method="post" action="([^"]+)"', resp.content.decode()).group(1)


def test_a_stored_step_answers_with_the_next_step_without_a_redirect(client, survey):
    start(client, survey, categorie="general_public")
    resp = _post(client, survey, "core", FULL["core"])
    assert resp.status_code == 200, "a redirect round trip is back"
    assert current_step(resp) == "web"
    assert _action(resp) == step_url(survey, "web")  # the next POST goes to the step's own URL
    assert f'data-step-url="{step_url(survey, "web")}"' in resp.content.decode()
    run = client.session[f"ecoute_run_{survey.slug}"]
    assert Answer.objects.filter(response_id=run["response_id"], question__code="SAT_OVERALL").get().value == 4


def test_repeating_a_step_post_is_harmless(client, survey):
    start(client, survey, categorie="general_public")
    first = _post(client, survey, "core", FULL["core"])
    again = _post(client, survey, "core", FULL["core"])  # reload of the POST's page, double click
    assert current_step(first) == current_step(again) == "web"
    assert Response.objects.count() == 1
    assert Answer.objects.filter(question__code="SAT_OVERALL").count() == 1


def test_back_and_previous_still_show_the_stored_answers(client, survey):
    start(client, survey, categorie="general_public")
    _post(client, survey, "core", FULL["core"])
    back = client.get(step_url(survey, "core"))  # the browser's back button: a GET of the step's URL
    assert current_step(back) == "core"
    assert re.search(r'value="4"[^>]*checked', back.content.decode())
    _post(client, survey, "core", FULL["core"])
    prev = client.post(step_url(survey, "web"), {MGMT: "web", "wizard_goto_step": "core"}, follow=True)
    assert current_step(prev) == "core"
    assert re.search(r'value="4"[^>]*checked', prev.content.decode())


def test_a_get_of_a_step_writes_no_session(client, survey):
    start(client, survey, categorie="general_public")
    _post(client, survey, "core", FULL["core"])
    client.get(step_url(survey, "web"))
    again = client.get(step_url(survey, "web"))
    assert again.status_code == 200
    assert again.wsgi_request.session.modified is False
    changed = _post(client, survey, "web", FULL["web"])
    assert changed.wsgi_request.session.modified is True  # a new step stored: written


def _walk_without_review(client, survey):
    resp = start(client, survey, categorie="general_public")
    requests = 2  # the open link's redirect, the first step
    steps = []
    while resp.status_code == 200 and "current_step" in resp.content.decode():
        step = current_step(resp)
        steps.append(step)
        last = resp
        resp = _post(client, survey, step, FULL.get(step, {}))
        requests += 1
    return steps, last, resp, requests


def test_without_the_review_page_the_last_step_submits(client, survey):
    survey.review_page = False
    survey.save()
    steps, last_page, resp, requests = _walk_without_review(client, survey)
    assert steps == ["core", "web", "end"]
    assert "Envoyer mes réponses" in last_page.content.decode()
    assert resp.status_code == 302 and resp["Location"].endswith("/merci/")
    assert requests + 1 == 6  # + the thank-you page: 6 requests for 3 steps (10 with review and redirects)
    r = Response.objects.get()
    assert r.status == "complete"
    assert set(r.answers.values_list("question__code", flat=True)) >= {"SAT_OVERALL", "SAT_WEB", "SUGG"}
    # the done URL leads back to the last step, never to a review page
    assert client.get(reverse("surveys:step", kwargs={"slug": survey.slug, "step": "fin"})).status_code == 302


def test_with_the_review_page_it_is_still_the_last_step(client, survey):
    start(client, survey, categorie="general_public")
    for step in ("core", "web"):
        _post(client, survey, step, FULL[step])
    resp = _post(client, survey, "end", FULL["end"])
    assert current_step(resp) == "recapitulatif" and Response.objects.get().status == "partial"
    assert "Plus de données locales" in resp.content.decode()


def test_resume_without_review_lands_on_the_last_step(client, survey):
    survey.review_page = False
    survey.save()
    start(client, survey, categorie="general_public")
    for step in ("core", "web"):
        resp = _post(client, survey, step, FULL[step])
    code = shown_code(resp)  # the server keeps only its hash: read it where the respondent does
    client.cookies.clear()
    resp = client.get(reverse("surveys:resume_code", args=[code]), follow=True)
    assert current_step(resp) == "end"
    resp = _post(client, survey, "end", FULL["end"])
    assert resp.status_code == 302 and Response.objects.get().status == "complete"


def test_the_language_switch_returns_to_the_step_shown(client, survey):
    start(client, survey, categorie="general_public")
    resp = _post(client, survey, "core", FULL["core"])  # shows "web" in the POST's response
    assert f'name="next" type="hidden" value="{step_url(survey, "web")}"' in resp.content.decode()
