"""Resume codes: shown and working from the first step; only their hash anywhere on the server."""

from __future__ import annotations

import re

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.urls import reverse

from surveys.models import Response, ResumeStart, hash_secret
from tests.surveys.test_wizard import current_step, post_step

pytestmark = pytest.mark.django_db


def shown_code(resp) -> str:
    match = re.search(r'<strong class="code">([^<]+)</strong>', resp.content.decode())
    assert match, "no resume code on the page"
    return match.group(1)


def _server_text() -> str:
    """Everything the server keeps about respondents: every row of every table, sessions decoded."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from the introspection
            chunks += [repr(row) for row in cursor.fetchall()]
    chunks += [repr(s.get_decoded()) for s in Session.objects.all()]
    return "\n".join(chunks)


def test_the_code_is_shown_on_the_first_step_and_works_from_another_browser(client, survey):
    first = client.get(reverse("surveys:start", args=[survey.slug]), follow=True)
    assert current_step(first) == "categorie"
    code = shown_code(first)
    assert not Response.objects.exists()
    elsewhere = Client()
    resp = elsewhere.get(reverse("surveys:resume_code", args=[code]), follow=True)
    assert resp.status_code == 200 and current_step(resp) == "categorie"
    assert shown_code(resp) == code
    resp = post_step(elsewhere, survey, "categorie", {"category": "researchers"})
    resp = post_step(elsewhere, survey, "core", {"SAT_OVERALL": "4", "USED": ["contact"]})
    assert Response.objects.get().resume_code_hash == hash_secret(code)
    again = Client().get(reverse("surveys:resume_code", args=[code]), follow=True)
    assert current_step(again) != "categorie" and shown_code(again) == code


def test_a_preset_category_link_resumes_on_its_first_section(client, survey):
    first = client.get(reverse("surveys:start", args=[survey.slug]), {"categorie": "journalists"}, follow=True)
    code = shown_code(first)
    resp = Client().get(reverse("surveys:resume_code", args=[code]), follow=True)
    assert current_step(resp) == "core"
    assert ResumeStart.objects.get().category.code == "journalists"


def test_an_unknown_code_is_still_not_found(client, survey):
    assert client.get(reverse("surveys:resume_code", args=["nope-nope-nope"])).status_code == 404


def test_raw_resume_codes_are_nowhere_on_the_server(client, survey):
    first = client.get(reverse("surveys:start", args=[survey.slug]), follow=True)
    code = shown_code(first)
    post_step(client, survey, "categorie", {"category": "researchers"})
    resp = post_step(client, survey, "core", {"SAT_OVERALL": "4", "USED": ["contact"]})
    assert shown_code(resp) == code
    text = _server_text()
    assert Session.objects.exists() and hash_secret(code) in text
    assert code not in text



# -- erasure leaves nothing behind ----------------------------------------------------------------

MARKER = "marqueur-unique-7f3a9c"


def _answer_with_marker(client, survey) -> str:
    client.get(reverse("surveys:start", args=[survey.slug]), {"categorie": "general_public"}, follow=True)
    post_step(client, survey, "core", {"SAT_OVERALL": "4", "USED": ["contact"]})
    resp = post_step(client, survey, "end", {"SUGG": f"Mon texte {MARKER}", "VISITS": "2"})
    code = shown_code(resp)
    assert MARKER in _server_text()
    return code


@pytest.mark.parametrize("same_browser", [True, False])
def test_after_erasure_the_marker_is_nowhere(client, survey, same_browser):
    code = _answer_with_marker(client, survey)
    eraser = client if same_browser else Client()
    page = eraser.get(reverse("surveys:my_answers_erase", args=[code]))
    assert page.status_code == 200
    eraser.post(reverse("surveys:my_answers_erase", args=[code]))
    assert not Response.objects.exists()
    assert MARKER not in _server_text()
    assert hash_secret(code) not in _server_text()
