"""Walking the questionnaire with Django's test client: steps, conditions, resume, idempotence."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from surveys.models import Answer, Participant, Response, UserCategory

pytestmark = pytest.mark.django_db

MGMT = "ecoute_wizard_test-survey-current_step"


def step_url(survey, step):
    return reverse("surveys:step", kwargs={"slug": survey.slug, "step": step})


def current_step(resp) -> str:
    return re.search(r'name="ecoute_wizard_[-\w]+-current_step" value="([^"]+)"', resp.content.decode()).group(1)


def post_step(client, survey, step, data, follow=True):
    payload = {MGMT: step}
    payload.update({f"{step}-{k}": v for k, v in data.items()})
    return client.post(step_url(survey, step), payload, follow=follow)


def start(client, survey, **params):
    return client.get(reverse("surveys:start", args=[survey.slug]), params, follow=True)


def walk(client, survey, category, answers_by_step, preset=True):
    """Start with the category in the link and post each step; return the list of steps seen."""
    resp = start(client, survey, categorie=category) if preset else start(client, survey)
    seen = []
    while True:
        step = current_step(resp)
        seen.append(step)
        if step == "recapitulatif":
            return seen, resp
        resp = post_step(client, survey, step, answers_by_step.get(step, {}))
        assert resp.status_code == 200
        if current_step(resp) == step:
            raise AssertionError(f"step {step} did not validate: {resp.content.decode()[:3000]}")


FULL = {
    "core": {"SAT_OVERALL": "4", "NPS": "9", "USED": ["web", "contact"]},
    "web": {"SAT_WEB": "5", "WEB_MATRIX__find": "4", "WEB_MATRIX__understand": "3"},
    "research": {"MICRO": "yes", "SAT_MICRO": "8"},
    "press": {"EMBARGO": "2"},
    "end": {"SUGG": "Plus de données locales", "VISITS": "3"},
}


def test_each_category_sees_exactly_its_steps(client, survey):
    seen, _ = walk(client, survey, "researchers", FULL)
    assert seen == ["core", "web", "research", "end", "recapitulatif"]
    client.cookies.clear()
    seen, _ = walk(client, survey, "journalists", FULL)
    assert seen == ["core", "web", "press", "end", "recapitulatif"]
    client.cookies.clear()
    seen, _ = walk(client, survey, "general_public", FULL)
    assert seen == ["core", "web", "end", "recapitulatif"]


def test_open_link_without_category_asks_for_it_first(client, survey):
    resp = start(client, survey)
    assert current_step(resp) == "categorie"
    resp = post_step(client, survey, "categorie", {"category": "journalists"})
    assert current_step(resp) == "core"


def test_section_condition_hides_the_website_step(client, survey):
    answers = dict(FULL, core={"SAT_OVERALL": "4", "USED": ["contact"]})
    seen, _ = walk(client, survey, "general_public", answers)
    assert "web" not in seen


def test_question_condition_shows_why_only_to_dissatisfied(client, survey):
    answers = dict(FULL, core={"SAT_OVERALL": "1", "USED": ["contact"]})
    resp = start(client, survey, categorie="general_public")
    resp = post_step(client, survey, "core", answers["core"])
    assert current_step(resp) == "end"
    assert 'name="end-WHY"' in resp.content.decode()
    client.cookies.clear()
    resp = start(client, survey, categorie="general_public")
    resp = post_step(client, survey, "core", FULL["core"])
    resp = post_step(client, survey, "web", FULL["web"])
    assert current_step(resp) == "end"
    assert 'name="end-WHY"' not in resp.content.decode()


def test_answer_to_a_question_hidden_later_is_dropped(client, survey):
    """Answer the website step, go back and untick the website: its answers are not kept."""
    resp = start(client, survey, categorie="general_public")
    post_step(client, survey, "core", FULL["core"])
    post_step(client, survey, "web", FULL["web"])
    run = client.session[f"ecoute_run_{survey.slug}"]
    assert Answer.objects.filter(response_id=run["response_id"], question__code="SAT_WEB").exists()
    resp = post_step(client, survey, "core", {"SAT_OVERALL": "4", "USED": ["contact"]})
    assert current_step(resp) == "end"
    assert not Answer.objects.filter(response_id=run["response_id"], question__code="SAT_WEB").exists()
    resp = post_step(client, survey, "end", FULL["end"])
    resp = client.post(step_url(survey, "recapitulatif"), {MGMT: "recapitulatif"}, follow=True)
    response = Response.objects.get()
    assert response.status == "complete"
    codes = set(response.answers.values_list("question__code", flat=True))
    assert codes == {"SAT_OVERALL", "USED", "SUGG", "VISITS"}


def test_complete_walk_stores_typed_answers(client, survey):
    walk(client, survey, "researchers", FULL)
    resp = client.post(step_url(survey, "recapitulatif"), {MGMT: "recapitulatif"}, follow=True)
    assert resp.redirect_chain[-1][0].endswith("/merci/")
    r = Response.objects.get()
    assert r.status == "complete" and r.submitted_at is not None
    assert r.category.code == "researchers"
    answers = {a.question.code: a for a in r.answers.select_related("question")}
    assert answers["SAT_OVERALL"].value == 4
    assert answers["USED"].codes == ["web", "contact"]
    assert answers["WEB_MATRIX"].codes == {"find": 4, "understand": 3}
    assert answers["MICRO"].text == "yes"
    assert answers["VISITS"].value == 3
    assert answers["SUGG"].text == "Plus de données locales"


def test_dont_know_is_stored_as_such(client, survey):
    answers = dict(FULL, web={"SAT_WEB": "nsp"})
    walk(client, survey, "general_public", answers)
    client.post(step_url(survey, "recapitulatif"), {MGMT: "recapitulatif"})
    a = Answer.objects.get(question__code="SAT_WEB")
    assert a.dont_know and a.value is None


def test_channel_from_the_link_is_recorded(client, survey):
    resp = client.get(reverse("surveys:start", args=[survey.slug]), {"canal": "website", "categorie": "researchers"},
                      follow=True)
    post_step(client, survey, "core", FULL["core"])
    assert Response.objects.get().channel.code == "website"
    del resp


def test_unknown_channel_or_category_gets_a_friendly_page(client, survey):
    for params in ({"canal": "fax"}, {"categorie": "martians"}, {"canal": "<script>"}):
        resp = client.get(reverse("surveys:start", args=[survey.slug]), params)
        assert resp.status_code == 404
        assert "Lien incomplet" in resp.content.decode()
        assert "<script>" not in resp.content.decode()


def test_closed_wave_says_when(client, survey):
    from datetime import timedelta

    from django.utils import timezone

    wave = survey.waves.get()
    wave.opens_at = timezone.now() + timedelta(days=2)
    wave.closes_at = timezone.now() + timedelta(days=20)
    wave.save()
    resp = client.get(reverse("surveys:start", args=[survey.slug]))
    assert "ouvrira le" in resp.content.decode()


def test_validation_errors_are_next_to_fields_and_summarised(client, survey):
    start(client, survey, categorie="researchers")
    resp = post_step(client, survey, "core", {"NPS": "9"})
    html = resp.content.decode()
    assert current_step(resp) == "core"
    assert "<title>Erreur :" in html
    assert 'id="error-summary"' in html
    assert 'href="#id_core-SAT_OVERALL_0"' in html
    assert 'aria-invalid="true" aria-describedby="id_core-SAT_OVERALL-error"' in html
    assert 'id="id_core-SAT_OVERALL-error"' in html
    # what was typed stays
    assert re.search(r'value="9" checked', html)


def test_resume_after_session_loss_continues_at_first_unanswered_step(client, survey):
    resp = start(client, survey, categorie="researchers")
    post_step(client, survey, "core", FULL["core"])
    resp = post_step(client, survey, "web", FULL["web"])
    code = re.search(r'<strong class="code">([^<]+)</strong>', resp.content.decode()).group(1)
    client.cookies.clear()  # the session is gone
    resp = client.get(reverse("surveys:resume_code", args=[code]), follow=True)
    assert current_step(resp) == "research"
    # every earlier answer is filled when going back
    resp = client.get(step_url(survey, "core"))
    html = resp.content.decode()
    assert re.search(r'name="core-SAT_OVERALL" id="[^"]+" value="4" checked', html)
    assert re.search(r'name="core-USED" id="[^"]+" value="web" checked', html)
    # and the questionnaire finishes as one response
    resp = client.get(step_url(survey, "research"))
    post_step(client, survey, "research", FULL["research"])
    post_step(client, survey, "end", FULL["end"])
    resp = client.post(step_url(survey, "recapitulatif"), {MGMT: "recapitulatif"}, follow=True)
    assert resp.redirect_chain[-1][0].endswith("/merci/"), resp.content.decode()
    assert Response.objects.count() == 1
    assert Response.objects.get().status == "complete"
    assert Answer.objects.filter(question__code="SAT_WEB").get().value == 5


def test_unknown_resume_code_is_a_clear_error(client, survey):
    resp = client.get(reverse("surveys:resume_code", args=["nope"]))
    assert resp.status_code == 404
    assert "inconnu" in resp.content.decode()


def test_double_submit_gives_one_response_and_the_thank_you_page(client, survey):
    walk(client, survey, "researchers", FULL)
    first = client.post(step_url(survey, "recapitulatif"), {MGMT: "recapitulatif"}, follow=True)
    second = client.post(step_url(survey, "recapitulatif"), {MGMT: "recapitulatif"}, follow=True)
    assert first.status_code == second.status_code == 200
    assert "Merci" in second.content.decode()
    assert Response.objects.count() == 1


def test_two_tabs_submitting_the_same_session_give_one_response(client, survey):
    """Both tabs hold the same session snapshot and post the last step: one complete response."""
    from django.test import Client

    walk(client, survey, "researchers", FULL)
    other = Client()
    other.cookies = client.cookies  # same browser, second tab
    a = client.post(step_url(survey, "recapitulatif"), {MGMT: "recapitulatif"}, follow=True)
    b = other.post(step_url(survey, "recapitulatif"), {MGMT: "recapitulatif"}, follow=True)
    assert "Merci" in a.content.decode() and "Merci" in b.content.decode()
    assert Response.objects.filter(status="complete").count() == 1


def test_invitation_token_answers_once_and_confirms_once(client, survey, django_capture_on_commit_callbacks):
    wave = survey.waves.get()
    p = Participant(survey=survey, wave=wave, email="inv@example.org",
                    category=UserCategory.objects.get(code="journalists"), language="fr")
    token = p.issue_token()
    p.save()
    resp = client.get(reverse("surveys:token", args=[token]), follow=True)
    assert current_step(resp) == "core"
    for step in ("core", "web", "press", "end"):
        resp = post_step(client, survey, step, FULL[step])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(step_url(survey, "recapitulatif"), {MGMT: "recapitulatif"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(step_url(survey, "recapitulatif"), {MGMT: "recapitulatif"})
    r = Response.objects.get()
    assert r.participant_id == p.pk and r.category.code == "journalists"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["inv@example.org"]
    client.cookies.clear()
    resp = client.get(reverse("surveys:token", args=[token]))
    assert "Déjà répondu" in resp.content.decode()


def test_invalid_token_gets_the_invalid_link_page_at_once(client, survey):
    for token in ["1' AND SLEEP(5)--", "x" * 43, "%00"]:
        resp = client.get(reverse("surveys:token", args=[token]))
        assert resp.status_code == 404
        assert "Lien invalide" in resp.content.decode()


# -- cost per step (what the load test's profile pointed at) ----------------------------------
def test_reading_a_step_does_not_rewrite_the_session(client, survey):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    start(client, survey, categorie="general_public")
    post_step(client, survey, "core", FULL["core"])
    with CaptureQueriesContext(connection) as queries:
        resp = client.get(step_url(survey, "web"))
    assert resp.status_code == 200 and current_step(resp) == "web"
    writes = [q["sql"] for q in queries.captured_queries
              if "django_session" in q["sql"] and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))]
    assert writes == []


def _count_step_forms(monkeypatch) -> list:
    """Record every SectionForm the wizard builds (its prefix = the step)."""
    import surveys.wizard as wizard

    built: list[str] = []

    class Counting(wizard.SectionForm):
        def __init__(self, *args, **kwargs):
            built.append(kwargs.get("prefix"))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(wizard, "SectionForm", Counting)
    return built


def test_stored_steps_are_not_validated_again_on_every_request(client, survey, monkeypatch):
    start(client, survey, categorie="researchers")
    post_step(client, survey, "core", FULL["core"])
    post_step(client, survey, "web", FULL["web"])
    built = _count_step_forms(monkeypatch)
    resp = client.get(step_url(survey, "research"))
    assert current_step(resp) == "research"
    assert built == ["research"]  # the page's own form; core and web come from the memo


def test_stored_steps_are_validated_again_when_the_questionnaire_changes(client, survey, monkeypatch):
    walk(client, survey, "researchers", FULL)
    review = client.get(step_url(survey, "recapitulatif")).content.decode()
    assert "Plus de données locales" in review
    # the designer shortens the free-text limit: the stored suggestion no longer fits
    question = survey.questions.get(code="SUGG")
    question.max_length = 5
    question.save()
    built = _count_step_forms(monkeypatch)
    review = client.get(step_url(survey, "recapitulatif")).content.decode()
    assert {"core", "web", "research", "end"} <= set(built)
    assert "Plus de données locales" not in review
