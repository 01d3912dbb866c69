"""`make run` (load_demo) prints the API documentation URL and a curl that answers the channel table."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command

from .conftest import Api


@pytest.mark.django_db
def test_load_demo_prints_the_docs_url_and_a_working_curl(locmem_cache):
    out = StringIO()
    call_command("load_demo", "--responses", "80", "--password", "demo-local-only", stdout=out, stderr=out)
    text = out.getvalue()
    assert "API documentation   http://127.0.0.1:8000/api/v1/docs" in text
    secret, url = re.search(r'Bearer (ecoute_\S+)" "http://127\.0\.0\.1:8000(\S+)"', text).groups()
    assert url == "/api/v1/surveys/satisfaction-usagers/indicators/?by=channel"
    body = Api(secret).get(url).json()
    assert body["table"] == "contact_channel" and body["rows"]
    assert all(r["channel"] is None or r["channel_label"] for r in body["rows"])
    assert any(r["value"] is not None for r in body["rows"])
