"""The embeddable widget: one real question, recorded as a complete website response, no cookies."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from surveys.models import Answer, Response
from surveys.widget_views import TOKEN_SALT, clean_page_url, frame_ancestors
from tests import factories

pytestmark = pytest.mark.django_db

PAGE = "https://www.example.org/statistiques/chomage?q=mon.nom%40example.org#tableau"


def form_url(survey, **params):
    return reverse("widget:form", args=[survey.slug]), params


def load(client, survey, **params):
    url, query = form_url(survey, **params)
    resp = client.get(url, {"page": PAGE, **query})
    assert resp.status_code == 200, resp.content.decode()[:500]
    return resp


def hidden(resp, name):
    return re.search(rf'name="{name}" value="([^"]*)"', resp.content.decode()).group(1)


def action(resp):
    return re.search(r'<form method="post" action="([^"]+)"', resp.content.decode()).group(1).replace("&amp;", "&")


def answer(client, survey, score="4", comment="", resp=None, **params):
    resp = resp or load(client, survey, **params)
    data = {"token": hidden(resp, "token"), "page": hidden(resp, "page"), "langue": hidden(resp, "langue"),
            "score": score, "comment": comment}
    return client.post(action(resp), data)


@pytest.fixture
def browser():
    """A client that, like a third-party iframe, never sends a cookie and must not get one."""
    return Client(enforce_csrf_checks=True)


def test_the_widget_page_is_a_small_accessible_form_on_a_real_question(browser, survey):
    resp = load(browser, survey)
    page = resp.content.decode()
    assert '<html lang="fr">' in page and "<title>Votre avis sur cette page" in page
    assert "<fieldset" in page and "<legend>Question SAT_WEB" in page  # SAT_WEB: satisfaction, channel website
    assert page.count('type="radio" name="score"') == 5 and "5 – Très satisfait" in page
    assert '<label for="id_comment">' in page and 'maxlength="500"' in page
    assert hidden(resp, "page") == "https://www.example.org/statistiques/chomage"
    assert "<script" not in page and "style=" not in page
    assert not resp.cookies and "csrftoken" not in page


def test_the_widget_page_may_be_framed_by_the_configured_sites_only(browser, survey, settings):
    resp = load(browser, survey)
    assert "X-Frame-Options" not in resp
    assert "frame-ancestors 'self'" in resp["Content-Security-Policy"]  # safe default
    assert "script-src 'self'" in resp["Content-Security-Policy"] and "unsafe-inline" not in resp[
        "Content-Security-Policy"]
    assert "no-store" in resp["Cache-Control"]
    settings.WIDGET_FRAME_ANCESTORS = "https://www.example.org, https://*.example.gouv.fr"
    resp = load(browser, survey)
    assert "frame-ancestors https://www.example.org https://*.example.gouv.fr" in resp["Content-Security-Policy"]
    # every other page keeps refusing to be framed
    other = browser.get(reverse("surveys:notice", args=[survey.slug]))
    assert other["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in other["Content-Security-Policy"]


def test_frame_ancestors_fall_back_to_the_environment_then_to_self(settings, monkeypatch):
    del settings.WIDGET_FRAME_ANCESTORS
    monkeypatch.setenv("WIDGET_FRAME_ANCESTORS", "https://a.example https://b.example")
    assert frame_ancestors() == ["https://a.example", "https://b.example"]
    monkeypatch.setenv("WIDGET_FRAME_ANCESTORS", "")
    assert frame_ancestors() == ["'self'"]


def test_an_answer_is_a_complete_website_response_with_its_page_and_no_cookie(browser, survey):
    resp = answer(browser, survey, "5", "Très clair, merci")
    assert resp.status_code == 200 and "Merci pour votre avis" in resp.content.decode()
    assert not resp.cookies and not browser.cookies
    assert "X-Frame-Options" not in resp
    r = Response.objects.get()
    assert (r.status, r.channel.code, r.category.code, r.page_url, r.language, r.participant) == (
        "complete", "website", "general_public", "https://www.example.org/statistiques/chomage", "fr", None)
    assert r.submitted_at is not None
    a = Answer.objects.get()
    assert (a.question.code, a.value, a.text) == ("SAT_WEB", 5.0, "Très clair, merci")


def test_question_category_and_language_can_be_chosen(browser, survey):
    resp = load(browser, survey, q="SAT_OVERALL", categorie="journalists", langue="en")
    page = resp.content.decode()
    assert '<html lang="en">' in page and "Question SAT_OVERALL (en)" in page
    answer(browser, survey, "2", resp=resp)
    r = Response.objects.get()
    assert (r.category.code, r.language, r.answers.get().question.code) == ("journalists", "en", "SAT_OVERALL")


@pytest.mark.parametrize("params", [{"q": "NPS"}, {"q": "NOPE"}, {"categorie": "nope"}, {"q": "EMBARGO"}])
def test_a_question_that_is_not_a_satisfaction_question_for_that_category_is_not_found(browser, survey, params):
    # NPS: not a satisfaction question; EMBARGO: journalists only, but the default category is general_public
    resp = browser.get(reverse("widget:form", args=[survey.slug]), params)
    assert resp.status_code == 404


def test_comments_are_limited_and_masked_like_any_verbatim(browser, survey):
    resp = answer(browser, survey, "3", "x" * 501)
    assert resp.status_code == 400 and "500 caractères au maximum" in resp.content.decode()
    assert "<title>Erreur :" in resp.content.decode() and 'aria-invalid="true"' in resp.content.decode()
    assert Response.objects.count() == 0
    answer(browser, survey, "3", "Écrivez-moi à jean.dupont@example.org ou au 06 12 34 56 78")
    assert Answer.objects.get().text == "Écrivez-moi à [courriel masqué] ou au [téléphone masqué]"


def test_a_missing_score_shows_the_form_again_in_french(browser, survey):
    resp = answer(browser, survey, "", "Mon commentaire")
    page = resp.content.decode()
    assert resp.status_code == 400 and "Choisissez une note de 1 à 5." in page and "Mon commentaire" in page
    assert Response.objects.count() == 0


@pytest.mark.parametrize("value, expected", [
    ("https://www.example.org/a/b?x=1#y", "https://www.example.org/a/b"),
    ("http://example.org", "http://example.org/"),
    ("javascript:alert(1)", ""),
    ("https://user:secret@www.example.org/", ""),
    ("ftp://example.org/file", ""),
    ("https://www.example.org/" + "a" * 600, ""),
    ("//www.example.org/", ""),
    ("https://www.example.org/\x00", ""),
    ("", ""),
])
def test_page_urls_are_plain_http_urls_without_credentials_or_query(value, expected):
    assert clean_page_url(value) == expected


def test_a_forged_page_field_is_not_stored_as_is(browser, survey):
    resp = load(browser, survey)
    browser.post(action(resp), {"token": hidden(resp, "token"), "score": "4", "page": '"><script>alert(1)</script>'})
    assert Response.objects.get().page_url == ""


def test_one_form_records_one_answer_even_if_posted_twice(browser, survey):
    resp = load(browser, survey)
    first = answer(browser, survey, "4", resp=resp)
    second = answer(browser, survey, "4", resp=resp)
    assert first.status_code == second.status_code == 200
    assert Response.objects.count() == 1


def test_a_forged_or_expired_token_records_nothing_and_offers_the_form_again(browser, survey, settings):
    resp = load(browser, survey)
    data = {"token": "forged", "score": "4", "page": hidden(resp, "page")}
    forged = browser.post(action(resp), data)
    assert forged.status_code == 400 and "Le formulaire a expiré" in forged.content.decode()
    assert 'value="4" checked' in forged.content.decode()  # what was chosen is kept
    other_question = signing.TimestampSigner(salt=TOKEN_SALT).sign_object({"s": survey.pk, "q": 0, "c": 0, "n": "x"})
    assert browser.post(action(resp), dict(data, token=other_question)).status_code == 400
    settings.WIDGET_TOKEN_MAX_AGE = -1  # every token has expired
    assert answer(browser, survey, "4", resp=resp).status_code == 400
    assert Response.objects.count() == 0
    settings.WIDGET_TOKEN_MAX_AGE = 3600
    retry = answer(browser, survey, "4", resp=forged)  # the re-rendered form carries a fresh token
    assert retry.status_code == 200 and Response.objects.count() == 1


def test_posts_beyond_the_limit_get_a_french_429_and_store_nothing(browser, survey, settings):
    settings.WIDGET_RATE_LIMIT = 3
    statuses = [answer(browser, survey, "4").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert Response.objects.count() == 3
    resp = answer(browser, survey, "4")
    assert "Trop de réponses" in resp.content.decode() and resp["Retry-After"] == "600"
    assert '<html lang="fr">' in resp.content.decode()
    # another address is not affected, and the address is not kept in the database
    other = Client(REMOTE_ADDR="10.0.0.2")
    assert answer(other, survey, "4").status_code == 200
    assert not Response.objects.filter(page_url__contains="127.0.0.1").exists()


def test_a_closed_survey_says_so_in_the_frame(browser, survey):
    wave = survey.waves.get()
    wave.opens_at, wave.closes_at = timezone.now() - timedelta(days=30), timezone.now() - timedelta(days=1)
    wave.save()
    resp = browser.get(reverse("widget:form", args=[survey.slug]))
    assert resp.status_code == 200 and "pas ouvert en ce moment" in resp.content.decode()
    assert browser.get(reverse("widget:form", args=["nope"])).status_code == 404


def test_the_embed_script_is_served_for_each_survey(browser, survey):
    resp = browser.get(reverse("widget:embed", args=[survey.slug]))
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/javascript")
    body = resp.content.decode()
    assert 'createElement("iframe")' in body and "document.currentScript" in body
    assert "public" in resp["Cache-Control"]
    assert browser.get(reverse("widget:embed", args=["nope"])).status_code == 404


def test_only_the_submit_view_is_exempt_from_csrf(survey):
    client = Client(enforce_csrf_checks=True)
    assert client.post(reverse("widget:form", args=[survey.slug])).status_code == 403
    assert client.post(reverse("widget:embed", args=[survey.slug])).status_code == 403
    assert client.get(reverse("widget:submit", args=[survey.slug])).status_code == 405


def test_widget_answers_count_as_open_link_responses_in_tracking(browser, survey):
    from surveys.services.tracking import wave_tracking

    answer(browser, survey, "4")
    assert wave_tracking(survey.waves.get()).open_links == [
        {"code": "website", "label": "Site internet", "partial": 0, "complete": 1}]


def test_staff_signed_in_are_rate_limited_too(client, survey, settings):
    """The widget is public: a signed-in agent testing it counts like anyone (no bypass by cookie)."""
    settings.WIDGET_RATE_LIMIT = 1
    client.force_login(factories.staff_user("dana", "designers", surveys=[survey]))
    assert [answer(client, survey, "4").status_code for _ in range(2)] == [200, 429]
