"""Respondent polish (issue 22, item 4): my answers, invitation language, scale hints, demo content,
typography. The layout points (0–10 scale at 320 px, widget snippet box) are browser tests."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

import surveys
from surveys.models import Participant, UserCategory
from tests.surveys.test_wizard import FULL, MGMT, step_url, walk

DEMO_FILE = Path(surveys.__file__).parent / "demo" / "survey.json"


def _finish(client, survey) -> str:
    """Walk the factory survey as a researcher, send it, return the thank-you page's HTML."""
    walk(client, survey, "researchers", FULL)
    return client.post(step_url(survey, "recapitulatif"), {MGMT: "recapitulatif"}, follow=True).content.decode()


def _texts(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", t)).strip() for t in re.findall(r"<d[td]>(.*?)</d[td]>", html, re.S)]


@pytest.mark.django_db
def test_thank_you_page_links_to_my_answers_with_the_code(client, survey):
    html = _finish(client, survey)
    code = re.search(r'<strong class="code">([^<]+)</strong>', html).group(1)
    assert f'href="{reverse("surveys:my_answers", args=[code])}"' in html


@pytest.mark.django_db
def test_my_answers_lists_labels_in_questionnaire_order_with_matrix_ratings(client, survey):
    html = _finish(client, survey)
    code = re.search(r'<strong class="code">([^<]+)</strong>', html).group(1)
    texts = _texts(Client().get(reverse("surveys:my_answers", args=[code])).content.decode())
    questions = texts[0::2]
    # sections core, web, research, end; within them the questions' order (not the codes' order)
    assert questions == ["Question SAT_OVERALL", "Question NPS", "Question USED", "Question SAT_WEB",
                         "Question WEB_MATRIX", "Question MICRO", "Question SAT_MICRO", "Question SUGG",
                         "Question VISITS"], questions
    answers = dict(zip(questions, texts[1::2]))
    assert answers["Question USED"] == "Choix web, Choix contact"          # labels, not codes
    assert answers["Question MICRO"] == "Choix yes"
    assert answers["Question SAT_OVERALL"] == "4 – Plutôt satisfait"
    assert answers["Question WEB_MATRIX"] == "Choix find : 4 – Plutôt satisfait ; Choix understand : 3 – Ni satisfait ni insatisfait"


@pytest.mark.django_db
def test_my_answers_in_english_uses_english_labels_and_typography(client, survey):
    html = _finish(client, survey)
    code = re.search(r'<strong class="code">([^<]+)</strong>', html).group(1)
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    answers = dict(zip(*[iter(_texts(other.get(reverse("surveys:my_answers", args=[code])).content.decode()))] * 2))
    assert answers["Question WEB_MATRIX (en)"].startswith("Choice find: 4 – "), answers
    assert " :" not in answers["Question WEB_MATRIX (en)"] and " ;" not in answers["Question WEB_MATRIX (en)"]


@pytest.mark.django_db
def test_invitation_language_wins_over_the_browsers(survey):
    wave = survey.waves.get()
    p = Participant(survey=survey, wave=wave, email="en@example.org",
                    category=UserCategory.objects.get(code="researchers"), language="en")
    token = p.issue_token()
    p.save()
    browser = Client(HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    resp = browser.get(reverse("surveys:token", args=[token]), follow=True)
    assert resp.status_code == 200
    assert '<html lang="en">' in resp.content.decode()


@pytest.mark.django_db
def test_a_language_chosen_with_the_button_is_kept_over_the_invitations(survey):
    wave = survey.waves.get()
    p = Participant(survey=survey, wave=wave, email="fr@example.org",
                    category=UserCategory.objects.get(code="researchers"), language="en")
    token = p.issue_token()
    p.save()
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.post(reverse("set_language"), {"language": "fr", "next": "/"})
    resp = browser.get(reverse("surveys:token", args=[token]), follow=True)
    assert '<html lang="fr">' in resp.content.decode()


# -- scale hints ------------------------------------------------------------------------------------
def _demo_questions() -> list[dict]:
    doc = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    return [q for s in doc["sections"] for q in s["questions"]]


def test_demo_scale_helps_do_not_restate_or_contradict_the_anchors():
    """The page shows each 0–10 scale's anchors; a help that gives anchors again duplicates them
    (NPS) or, worse, contradicts them (the trust question said 'no trust … complete trust')."""
    for q in _demo_questions():
        if q["type"] in ("scale", "nps"):
            for lang in ("fr", "en"):
                help_text = (q.get("help") or {}).get(lang, "")
                assert not re.search(r"\b(0|10)\s*=", help_text), (q["code"], lang, help_text)


@pytest.mark.django_db
def test_a_scale_step_shows_its_anchors_once_and_announces_them(client, demo_survey):
    html = client.get(reverse("surveys:start", args=[demo_survey.slug]), {"categorie": "researchers"},
                      follow=True).content.decode()
    assert html.count("0 = pas du tout probable") == 1, "NPS anchors shown twice"
    assert html.count("0 = très mauvais") == 1
    nps = re.search(r'<fieldset[^>]*aria-describedby="([^"]*)"[^>]*>\s*<legend>Recommanderiez', html)
    assert nps, "the NPS fieldset names no description"
    ends_id = nps.group(1).split()[0]
    assert re.search(rf'<p class="scale-ends" id="{ends_id}">', html)
    assert 'class="scale-ends" aria-hidden' not in html


# -- typography -------------------------------------------------------------------------------------
def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&nbsp;", " ")


def _failed_demo_step(language: str, demo_survey) -> str:
    """The demo's first step sent empty (the error summary and every field's message)."""
    browser = Client(HTTP_ACCEPT_LANGUAGE=language)
    resp = browser.get(reverse("surveys:start", args=[demo_survey.slug]), {"categorie": "researchers"}, follow=True)
    html = resp.content.decode()
    step = re.search(r'name="(ecoute_wizard_[-\w]+-current_step)" value="([^"]+)"', html)
    resp = browser.post(resp.redirect_chain[-1][0], {step.group(1): step.group(2)})
    assert resp.status_code == 200 and 'id="error-summary"' in resp.content.decode()
    return resp.content.decode()


@pytest.mark.django_db
def test_english_questionnaire_pages_use_english_typography(demo_survey):
    html = _failed_demo_step("en", demo_survey)
    assert '<html lang="en">' in html
    text = _visible_text(html)
    # no space before a colon, semicolon, question or exclamation mark; "95%", not "95 %"
    assert not re.findall(r".{30}\s[:;?!](?=\s|$).{0,10}", text), re.findall(r".{30}\s[:;?!](?=\s|$).{0,10}", text)
    assert not re.search(r"\d %", text)


@pytest.mark.django_db
def test_french_questionnaire_pages_keep_french_typography(demo_survey):
    text = _visible_text(_failed_demo_step("fr", demo_survey))
    assert re.search(r"\w : \w", text)      # the error summary's "question : message"
    assert re.search(r"\w \?", text)        # the questions' "… proposons ?"
