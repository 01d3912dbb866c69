"""Series breaks on the trends (issue 18): the comparability rules, no test and no line across a
break, the « rupture de série » marker, and the version column of the microdata."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from django.test import Client
from django.urls import reverse

from analysis import breaks
from surveys.models import Question
from surveys.services import version_diff
from surveys.services.versions import freeze_wave
from tests import factories
from tests.analysis.dashboard_data import add_wave, respond
from tests.analysis.test_dashboards import figures

pytestmark = pytest.mark.django_db


def test_scale_type_and_choice_changes_always_break_and_rulings_decide_the_rest():
    changes = pd.DataFrame([
        ("Q1", "a", "b", "scale change", "satisfaction 1–5 → scale 0–10"),
        ("Q2", "a", "b", "reworded", ""),
        ("Q3", "a", "b", "reworded", ""),
        ("Q4", "a", "b", "condition change", ""),
        ("Q5", "a", "b", "recoded", "x, y → x"),
    ], columns=["question", "wave_a", "wave_b", "kind", "detail"])
    rulings = pd.DataFrame([("Q1", "a", "b", "harmless", "cannot overturn"), ("Q2", "a", "b", "break", "sens changé"),
                            ("Q3", "a", "b", "harmless", "coquille")],
                           columns=["question", "wave_a", "wave_b", "decision", "reason"])
    got = breaks.comparability(changes, rulings).set_index("question")
    assert got["comparable"].to_dict() == {"Q1": False, "Q2": False, "Q3": True, "Q4": True, "Q5": False}
    assert got.loc["Q1", "reason"] == "scale change: satisfaction 1–5 → scale 0–10"
    assert got.loc["Q2", "reason"] == "sens changé" and got.loc["Q3", "reason"] == "coquille"
    assert breaks.BREAKING_KINDS == version_diff.BREAKING  # one rule on both sides


def test_no_test_statistic_survives_across_a_break():
    change = pd.DataFrame({"wave_a": ["a", "b"], "wave_b": ["b", "c"], "channel": ["x", "x"],
                           "diff": [1.0, 2.0], "p_value": [0.01, 0.02], "p_adjusted": [0.01, 0.02],
                           "ci_low": [0.5, 1.0], "ci_high": [1.5, 3.0], "significant": [True, True]})
    out = breaks.mask_changes(change, {("a", "b"): "scale change"})
    assert out.loc[0, ["diff", "p_value", "p_adjusted", "ci_low", "ci_high"]].isna().all()
    assert not out.loc[0, "significant"] and out.loc[0, "series_break"] == "scale change"
    assert out.loc[1, "diff"] == 2.0 and out.loc[1, "significant"] and out.loc[1, "series_break"] == ""


# -- the trends page --------------------------------------------------------------------------------

@pytest.fixture
def three_waves(survey):
    """2024 (SAT_OVERALL asked on 0–10), 2025 and 2026 (on 1–5): a break between 2024 and 2025."""
    w2024 = add_wave(survey, "2024", days_ago=800)
    w2025 = add_wave(survey, "2025", days_ago=400)
    w2026 = survey.waves.get(code="2026")
    Question.objects.filter(survey=survey, code="SAT_OVERALL").update(type="scale")
    freeze_wave(w2024)
    Question.objects.filter(survey=survey, code="SAT_OVERALL").update(type="satisfaction")
    freeze_wave(w2025)
    freeze_wave(w2026)
    for wave, base in ((w2024, 1), (w2025, 2), (w2026, 4)):
        for i in range(30):
            respond(survey, wave, "researchers", "website", {"SAT_OVERALL": base + (i % 2), "NPS": 5 + base})
    return survey


@pytest.fixture
def analyst_client(survey):
    c = Client()
    c.force_login(factories.staff_user("ana", "analysts", [survey]))
    return c


def _csv(resp) -> pd.DataFrame:
    assert resp.status_code == 200
    return pd.read_csv(io.StringIO(resp.content.decode("utf-8-sig")), keep_default_na=True)


def test_the_trends_data_csv_has_no_change_statistic_across_the_break(three_waves, analyst_client):
    url = reverse("analysis:trends_data", args=[three_waves.slug, "evolutions"])
    changes = _csv(analyst_client.get(url, {"indicateur": "moyenne"}))
    across = changes[changes["wave_a"].astype(str) == "2024"]
    after = changes[changes["wave_a"].astype(str) == "2025"]
    assert len(across) and len(after)
    assert across[["diff", "ci_low", "ci_high", "p_value", "p_adjusted"]].isna().all().all()
    assert not across["significant"].any()
    assert (across["series_break"] == "scale change: scale 0–10 → satisfaction 1–5").all()
    web = after[after["channel"] == "website"].iloc[0]
    # 2025: 15 × 2 and 15 × 3 (mean 2.5); 2026: 15 × 4 and 15 × 5 (mean 4.5)
    assert web["diff"] == pytest.approx(2.0) and bool(web["significant"]) and pd.isna(web["series_break"])
    ruptures = _csv(analyst_client.get(reverse("analysis:trends_data", args=[three_waves.slug, "ruptures"])))
    row = ruptures[ruptures["question"] == "SAT_OVERALL"].iloc[0]
    assert str(row["wave_a"]) == "2024" and str(row["wave_b"]) == "2025" and not bool(row["comparable"])


def test_the_trend_chart_draws_no_line_across_the_break_and_labels_it(three_waves, analyst_client):
    html = analyst_client.get(reverse("analysis:trends", args=[three_waves.slug]),
                              {"indicateur": "moyenne"}).content.decode()
    figure = figures(html)["fig-tendances"]
    lines = [t for t in figure["data"] if t.get("mode") == "lines+markers"]
    for trace in lines:  # each drawn segment spans one side of the break only
        drawn = [i for i, y in enumerate(trace["y"]) if y is not None]
        assert drawn and (max(drawn) <= 0 or min(drawn) >= 1), trace["y"]
    assert any(t["y"][0] is not None for t in lines) and any(t["y"][1] is not None for t in lines)
    notes = [a["text"] for a in figure["layout"]["annotations"]]
    assert any(n.startswith("rupture de série<br>échelle modifiée") for n in notes)
    assert any(s.get("x0") == 0.5 for s in figure["layout"]["shapes"])
    assert "rupture de série : échelle modifiée" in html  # the table of changes says why there is no test


def test_microdata_carry_the_version_each_response_answered(three_waves):
    from analysis import views
    from analysis.selectors import dashboard_for
    from surveys.models import Response

    for wave in three_waves.waves.all():  # as the questionnaire service records it
        Response.objects.filter(wave=wave).update(version=wave.version)
    user = factories.staff_user("mia", "analysts", [three_waves])
    md = views.microdata_for(dashboard_for(user, three_waves.slug), ["2024", "2025", "2026"])
    got = md.data.groupby(md.data["wave"].astype(str), observed=True)["questionnaire_version"].unique()
    assert {w: [int(x) for x in v] for w, v in got.items()} == {"2024": [1], "2025": [2], "2026": [2]}
    assert [v.name for v in md.variables][:5] == ["wave", "category", "channel", "weight", "questionnaire_version"]
