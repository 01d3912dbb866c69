"""The demo survey: `verbatim_themes --format json` on it, and its verbatims page showing the themes."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests import factories
from verbatims.demo import demo_themes
from verbatims.models import ThemeRun

pytestmark = pytest.mark.django_db


def test_demo_themes_json_and_verbatims_page(demo_survey):
    call_command("generate_responses", "--survey", demo_survey.slug, "--n", "300", stdout=StringIO())
    run = demo_themes(demo_survey)
    assert run is not None and run.status == "done" and run.themes.exists()
    assert demo_themes(demo_survey) is None  # once: load_demo run twice adds no run
    out = StringIO()
    call_command("verbatim_themes", "--survey", demo_survey.slug, "--format", "json", stdout=out)
    themes = json.loads(out.getvalue())
    assert themes and all(isinstance(t["label"], str) and t["terms"] and t["size"] > 0 for t in themes)
    assert ThemeRun.objects.filter(survey=demo_survey).count() == 2
    client = Client()
    client.force_login(factories.staff_user("ana", "analysts", [demo_survey]))
    html = client.get(reverse("analysis:verbatims", args=[demo_survey.slug])).content.decode()
    assert themes[0]["label"] in html
