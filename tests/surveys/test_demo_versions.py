"""The demo's questionnaire history (issue 18): three waves, one deliberate scale change."""

from __future__ import annotations

import io
from io import StringIO

import pandas as pd
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from surveys.models import Answer, Response, Survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings) -> Survey:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("load_demo", "--password", "demo-local-only", "--responses", "240", stdout=StringIO(),
                 stderr=StringIO())
    return Survey.objects.get(slug="satisfaction-usagers")


def test_the_demo_has_three_waves_on_two_versions_with_answers_in_each(demo):
    waves = list(demo.waves.order_by("opens_at").select_related("version"))
    assert [(w.code, w.version.number) for w in waves] == [("2024", 1), ("2025", 1), ("2026", 2)]
    for w in waves:
        responses = Response.objects.filter(wave=w)
        assert responses.exists() and set(responses.values_list("version", flat=True)) == {w.version_id}
    trust = Answer.objects.filter(question__code="SAT_TRUST", value__isnull=False)
    old = trust.filter(response__wave__code__in=["2024", "2025"]).values_list("value", flat=True)
    assert old and set(old) <= {1, 2, 3, 4, 5}  # asked on 1–5 before 2026


def test_diff_versions_reports_the_demo_scale_change_from_first_to_last_wave(demo):
    out = StringIO()
    call_command("diff_versions", "satisfaction-usagers", "2024", "2026", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "satisfaction-usagers: 2024 (v1) -> 2026 (v2): 3 change(s)"
    assert "  SAT_TRUST: scale change: satisfaction 1–5 → scale 0–10" in lines
    assert "  not comparable: SAT_TRUST (scale change)" in lines
    assert not any("not comparable: SAT_OVERALL" in line for line in lines)  # ruled harmless


def test_the_demo_trends_page_shows_the_series_break(demo):
    c = Client()
    c.force_login(demo.owners.get(username="analyst"))
    html = c.get(reverse("analysis:trends", args=[demo.slug])).content.decode()
    assert "Ruptures de série et changements du questionnaire" in html
    assert "non — rupture de série" in html and "échelle modifiée: satisfaction 1–5 → scale 0–10" in html
    resp = c.get(reverse("analysis:trends_data", args=[demo.slug, "ruptures"]))
    table = pd.read_csv(io.StringIO(resp.content.decode("utf-8-sig")))
    trust = table[table["question"] == "SAT_TRUST"].iloc[0]
    assert (str(trust["wave_a"]), str(trust["wave_b"]), bool(trust["comparable"])) == ("2025", "2026", False)
