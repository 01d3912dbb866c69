"""The resources: indicator tables (the dashboards' own), microdata pages, participants, questionnaire."""

from __future__ import annotations

import csv
import io
import json

import pytest

from analysis.disclosure import MEASURES
from surveys.models import Participant, Response
from surveys.permissions import ANALYSTS
from tests import factories
from tests.analysis.dashboard_data import SMALL_MEAN_STRINGS, SMALL_SCORES, big_cell_scores

CELLS = [("website", "researchers"), ("website", "general_public"), ("contact_service", "researchers"),
         ("contact_service", "general_public"), ("contact_service", "journalists")]


def _scores(channel: str) -> list[int]:
    """The seeded SAT_OVERALL scores of one contact channel (from the seed's own recipe)."""
    out = [s for j, (ch, _cat) in enumerate(CELLS) if ch == channel for s in big_cell_scores(j, 12)]
    return out + (list(SMALL_SCORES) if channel == "website" else [])


def test_indicators_by_channel_are_the_channel_table(seeded, api):
    body = api.get("/api/v1/surveys/test-survey/indicators/", {"by": "channel"}).json()
    assert body["table"] == "contact_channel" and body["by"] == ["channel"] and body["min_cell"] == 5
    rows = {r["channel"]: r for r in body["rows"]}
    for channel in ("website", "contact_service"):
        scores = _scores(channel)
        assert rows[channel]["n"] == len(scores)
        assert rows[channel]["value"] == pytest.approx(100 * sum(s >= 4 for s in scores) / len(scores))
        assert rows[channel]["ci_low"] < rows[channel]["value"] < rows[channel]["ci_high"]
    mean = api.get("/api/v1/surveys/test-survey/indicators/", {"by": "channel", "indicator": "mean"}).json()
    web = next(r for r in mean["rows"] if r["channel"] == "website")
    assert web["value"] == pytest.approx(sum(_scores("website")) / len(_scores("website")))


@pytest.mark.parametrize("indicator", ["satisfied", "mean", "nps"])
def test_indicators_never_return_a_suppressed_value(seeded, api, indicator):
    response = api.get("/api/v1/surveys/test-survey/indicators/", {"by": "channel,category", "indicator": indicator})
    body = response.json()
    small = next(r for r in body["rows"] if (r["channel"], r["category"]) == ("website", "journalists"))
    assert small["suppressed"] is True
    hidden = [r for r in body["rows"] if r["suppressed"]]
    assert len(hidden) >= 2 and body["hidden_cells"] == len(hidden)  # the small cell and its complement(s)
    for row in hidden:
        assert all(row.get(m) is None for m in MEASURES), row
    text = response.content.decode()
    assert not any(s in text for s in SMALL_MEAN_STRINGS)
    assert "suppression_reason" not in text


def test_indicators_match_the_dashboard_data_link(seeded, api, client, survey):
    analyst = factories.staff_user("analyst", ANALYSTS, surveys=[survey])
    client.force_login(analyst)
    page = client.get("/analyse/test-survey/canaux/donnees/carte-contact.csv").content.decode("utf-8-sig")
    page_rows = {(r["channel"], r["category"]): r["value"] for r in csv.DictReader(io.StringIO(page))}
    api_rows = api.get("/api/v1/surveys/test-survey/indicators/", {"by": "channel,category"}).json()["rows"]
    assert {(r["channel"], r["category"]) for r in api_rows} == set(page_rows)
    for r in api_rows:
        expected = page_rows[(r["channel"], r["category"])]
        assert (r["value"] is None) == (expected == "")
        if r["value"] is not None:
            assert r["value"] == pytest.approx(float(expected))


def test_indicator_filters_are_display_filters_on_the_full_table(seeded, api):
    full = api.get("/api/v1/surveys/test-survey/indicators/", {"by": "channel,category"}).json()["rows"]
    some = api.get("/api/v1/surveys/test-survey/indicators/", {"by": "channel,category",
                                                               "category": "general_public"}).json()["rows"]
    assert some == [r for r in full if r["category"] == "general_public"]


def _ndjson(response) -> list[dict]:
    return [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines() if line]


def test_microdata_pages_cover_every_response_once(seeded, api):
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 25, **({"cursor": cursor} if cursor else {})}
        response = api.get("/api/v1/surveys/test-survey/responses/", params)
        assert response.status_code == 200 and response["Content-Type"] == "application/x-ndjson"
        seen += _ndjson(response)
        pages += 1
        cursor = response.get("X-Next-Cursor")
        if not cursor:
            break
    assert pages == 3 and len(seen) == Response.objects.filter(status="complete").count() == 63
    assert sorted(r["SAT_OVERALL"] for r in seen) == sorted(
        float(s) for ch in ("website", "contact_service") for s in _scores(ch))
    assert all("response_id" not in r and "email" not in r for r in seen)


def test_microdata_since_gives_the_increment_and_csv_matches(seeded, api, survey):
    from datetime import timedelta

    from django.utils import timezone

    cut = timezone.now() + timedelta(minutes=1)
    late = list(Response.objects.filter(status="complete").order_by("pk")[:4].values_list("pk", flat=True))
    Response.objects.filter(pk__in=late).update(submitted_at=cut + timedelta(minutes=1))
    rows = _ndjson(api.get("/api/v1/surveys/test-survey/responses/", {"since": cut.isoformat()}))
    assert len(rows) == 4
    response = api.get("/api/v1/surveys/test-survey/responses/", {"since": cut.isoformat(), "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(table) == 4 and sorted(float(r["SAT_OVERALL"]) for r in table) == sorted(r["SAT_OVERALL"] for r in rows)


PARTICIPANTS = "/api/v1/surveys/test-survey/waves/2026/participants/"


def test_participants_import_uses_the_page_validation_all_or_nothing(survey, api):
    bad = {"participants": [{"email": "ok@example.org", "category": "researchers"},
                            {"email": "foo@", "category": "researchers"},
                            {"email": "b@example.org", "category": "astronauts"}]}
    response = api.post(PARTICIPANTS, json.dumps(bad))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_rows" and {e["row"] for e in body["errors"]} == {1, 2}
    assert Participant.objects.count() == 0  # nothing written
    good = {"participants": [{"email": "OK@example.org", "category": "researchers", "language": "en"},
                             {"email": "b@example.org", "category": "journalists", "channel": "website"}]}
    body = api.post(PARTICIPANTS, json.dumps(good)).json()
    assert body["created"] == 2 and body["errors"] == []
    assert set(Participant.objects.values_list("email", flat=True)) == {"ok@example.org", "b@example.org"}
    again = api.post(PARTICIPANTS, json.dumps(good)).json()
    assert again["created"] == 0 and len(again["duplicates"]) == 2
    assert api.post(PARTICIPANTS.replace("2026", "1999"), json.dumps(good)).status_code == 404


def test_questionnaire_round_trip(survey, api):
    document = api.get("/api/v1/surveys/test-survey/questionnaire/").json()
    assert document["survey"]["slug"] == "test-survey"
    codes = [q["code"] for s in document["sections"] for q in s["questions"]]
    assert "SAT_OVERALL" in codes
    document["survey"]["title"] = {"fr": "Nouveau titre", "en": "New title"}
    response = api.post("/api/v1/surveys/test-survey/questionnaire/", json.dumps(document))
    assert response.status_code == 200, response.content
    survey.refresh_from_db()
    assert survey.title_fr == "Nouveau titre"
    broken = api.post("/api/v1/surveys/test-survey/questionnaire/", json.dumps({"survey": {"slug": "test-survey"}}))
    assert broken.status_code == 400 and broken.json()["code"] == "invalid_questionnaire"


def test_microdata_carry_the_questionnaire_version_like_the_exports_page(seeded, api, survey):
    from surveys.services.versions import freeze_wave

    waves = list(survey.waves.order_by("opens_at"))
    for wave in waves:
        Response.objects.filter(wave=wave).update(version=freeze_wave(wave))
    expected = {str(pk): number for pk, number in Response.objects.filter(status="complete")
                .values_list("pk", "version__number")}
    assert set(expected.values()) == {1}
    rows = _ndjson(api.get("/api/v1/surveys/test-survey/responses/"))
    assert len(rows) == len(expected) and all(r["questionnaire_version"] == 1 for r in rows)
    response = api.get("/api/v1/surveys/test-survey/responses/", {"format": "csv"})
    table = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(table) == len(expected) and {r["questionnaire_version"] for r in table} == {"1"}
    Response.objects.filter(status="complete").update(version=None)  # not yet frozen: an empty cell, not a guess
    rows = _ndjson(api.get("/api/v1/surveys/test-survey/responses/"))
    assert all(r["questionnaire_version"] is None for r in rows)
