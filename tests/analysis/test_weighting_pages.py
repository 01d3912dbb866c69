"""Weighting pages: access, preview without storing, a run and its diagnostics, located errors."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from analysis.models import WeightingRun
from surveys.models import AuditLog, Response
from tests import factories
from tests.analysis.dashboard_data import ensure_frames, seed
from tests.analysis.test_weighting_runs import CSV

pytestmark = pytest.mark.django_db
ensure_frames()


@pytest.fixture
def wave(survey):
    return seed(survey)


def client_for(survey, group: str, name: str | None = None) -> Client:
    c = Client()
    c.force_login(factories.staff_user(name or f"u-{group}", group, [survey]))
    return c


def url(survey, name="weighting_wave", *args):
    return reverse(f"analysis:{name}", args=[survey.slug, *args])


def test_anonymous_is_sent_to_login_and_analysts_read_but_cannot_run(survey, wave):
    anon = Client().get(url(survey, "weighting"))
    assert anon.status_code == 302 and anon["Location"].startswith("/connexion/")
    analyst = client_for(survey, "analysts")
    page = analyst.get(url(survey, "weighting_wave", "2026"))
    assert page.status_code == 200 and "Pondérer" not in page.content.decode()
    assert analyst.post(url(survey, "weighting_wave", "2026"),
                        {"action": "ponderer", "source": "file", "margins_text": CSV, "method": "raking"}).status_code == 403
    assert not WeightingRun.objects.exists()


def test_a_survey_not_granted_is_a_404(survey, wave):
    other = factories.SurveyFactory(slug="autre")
    c = client_for(other, "designers")
    assert c.get(url(survey, "weighting")).status_code == 404


def test_preview_shows_respondents_against_targets_and_stores_nothing(survey, wave):
    c = client_for(survey, "designers")
    r = c.post(url(survey, "weighting_wave", "2026"),
               {"action": "apercu", "source": "file", "margins_text": CSV, "method": "raking"})
    html = r.content.decode()
    assert r.status_code == 200 and "Aperçu" in html
    # 24 researchers of 63 respondents (38.1 %) against a target of 30 %: a mean weight of 0.3 / (24/63) = 0.7875
    assert re.search(r'<th scope="row">category</th><td>researchers</td><td>24</td><td>38,1</td><td>30,0</td>'
                     r"<td>0,787</td>", html)
    assert not WeightingRun.objects.exists()


def test_a_run_from_an_upload_redirects_to_its_diagnostics(survey, wave):
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = client_for(survey, "designers")
    r = c.post(url(survey, "weighting_wave", "2026"),
               {"action": "ponderer", "source": "file", "method": "logit", "bound_low": "0.3", "bound_high": "3",
                "margins_file": SimpleUploadedFile("m.csv", CSV.encode(), content_type="text/csv")})
    run = WeightingRun.objects.get()
    assert r.status_code == 302 and r["Location"] == url(survey, "weighting_run", "2026", run.pk)
    assert run.is_active and run.created_by.username == "u-designers" and run.bounds == (0.3, 3.0)
    assert AuditLog.objects.filter(action="weighting.run").count() == 1
    page = c.get(r["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    for text in ("n_eff", "1 + CV²", "Marges atteintes et cibles", "Distribution des poids", "pondéré : calage logit"):
        assert text in html
    assert 'data-figure="fig-histogramme"' in html and 'id="fig-histogramme"' in html
    csv = c.get(url(survey, "weighting_histogram", "2026", run.pk))
    lines = csv.content.decode("utf-8-sig").strip().splitlines()
    assert lines[0] == "low,high,count" and sum(int(x.split(",")[2]) for x in lines[1:]) == 63


def test_a_bad_file_is_refused_with_its_line_and_nothing_changes(survey, wave):
    c = client_for(survey, "designers")
    bad = CSV.replace("journalists,0.2", "students,0.2")
    r = c.post(url(survey, "weighting_wave", "2026"),
               {"action": "ponderer", "source": "file", "margins_text": bad, "method": "raking"})
    assert r.status_code == 400
    assert "line 3, field &#x27;category&#x27;: unknown category &#x27;students&#x27;" in r.content.decode()
    assert not WeightingRun.objects.exists()
    assert set(Response.objects.values_list("weight", flat=True)) == {1.0}


def test_one_bound_alone_is_a_form_error(survey, wave):
    c = client_for(survey, "designers")
    r = c.post(url(survey, "weighting_wave", "2026"),
               {"action": "ponderer", "source": "file", "margins_text": CSV, "method": "logit", "bound_low": "0.5"})
    assert r.status_code == 400 and "les deux bornes" in r.content.decode()


def test_activate_and_deactivate_switch_the_weights(survey, wave):
    c = client_for(survey, "designers")
    c.post(url(survey, "weighting_wave", "2026"), {"action": "ponderer", "source": "file", "margins_text": CSV,
                                                   "method": "raking"})
    run = WeightingRun.objects.get()
    c.post(url(survey, "weighting_wave", "2026"), {"action": "desactiver"})
    assert set(Response.objects.values_list("weight", flat=True)) == {1.0}
    assert not WeightingRun.objects.get().is_active
    c.post(url(survey, "weighting_wave", "2026"), {"action": "activer", "run": str(run.pk)})
    assert WeightingRun.objects.get().is_active and len(set(Response.objects.values_list("weight", flat=True))) > 1
    index = c.get(url(survey, "weighting")).content.decode()
    assert "pondéré : calage (raking) sur catégorie × canal" in index


def test_dashboards_name_the_active_run_and_toggle_to_unweighted(survey, wave):
    c = client_for(survey, "designers")
    c.post(url(survey, "weighting_wave", "2026"), {"action": "ponderer", "source": "file", "margins_text": CSV,
                                                   "method": "raking"})
    channels = reverse("analysis:channels", args=[survey.slug])
    html = c.get(channels).content.decode()
    assert "pondéré : calage (raking) sur catégorie × canal, " in html
    html = c.get(channels, {"pondere": "0"}).content.decode()
    assert "résultats non pondérés" in html and "pondéré : calage" not in html


def test_spss_and_stata_exports_label_the_weight_with_the_run(survey, wave, tmp_path):
    import pyreadstat

    from analysis import exports, weighting_runs
    from analysis.selectors import Dashboard
    from analysis.microdata import microdata_for

    run = weighting_runs.weighting_run(wave, weighting_runs.margins_from_csv(wave, CSV), method="raking")
    md = microdata_for(Dashboard(survey), ("2026",))
    expected = f"Poids — pondéré : calage (raking) sur catégorie × canal, {run.created_at:%Y-%m-%d}"
    for fmt in ("sav", "dta"):
        path = tmp_path / f"x.{fmt}"
        path.write_bytes(exports.render_microdata(md, fmt))
        df, meta = (pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta)(str(path))
        assert meta.column_names_to_labels["weight"] == expected
        got = df.groupby(df["category"])["weight"].sum() / df["weight"].sum()
        assert sorted(got.tolist()) == pytest.approx([0.2, 0.3, 0.5], abs=1e-6)
    assert "Poids — pondéré" in exports.codebook_json(md).decode()
