"""Themes and codebook pages: access, analyst control (rename, merge, delete, code), suggestions,
hand codes surviving a re-run, the CSV, and the themes on the analysis verbatims page."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from django.test import Client
from django.urls import reverse

from jobs.worker import tasks_drain
from surveys.models import Answer
from tests import factories
from verbatims.models import Code, HandCode, Theme, ThemeRun
from verbatims.services import run_create, run_execute, visible_themes

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(planted_survey):
    r = run_create(planted_survey, ["2026"], k=3)
    return run_execute(r.pk)


def test_themes_page_shows_themes_quotes_charts_and_keyness(run, analyst_client):
    resp = analyst_client.get(reverse("verbatims:themes", args=[run.survey.slug]))
    html = resp.content.decode()
    assert resp.status_code == 200
    for t in visible_themes(run):
        assert t["label"] in html and t["quotes"][0] in html
    assert 'data-figure="fig-themes-channel"' in html and 'data-figure="fig-keyness-dissatisfied"' in html
    assert "secrète" not in html  # the verbatims of the small cell are never quoted


def test_pages_need_a_granted_analyst(run):
    url = reverse("verbatims:themes", args=[run.survey.slug])
    assert Client().get(url).status_code == 302  # to the login page
    other = Client()
    other.force_login(factories.staff_user("stranger", "analysts", []))
    assert other.get(url).status_code == 404
    assert other.post(reverse("verbatims:run_start", args=[run.survey.slug]), {"waves": ["2026"]}).status_code == 404


def test_run_start_enqueues_a_run_and_bad_input_is_a_400(planted_survey, analyst_client):
    url = reverse("verbatims:run_start", args=[planted_survey.slug])
    assert analyst_client.post(url, {"waves": ["2026"], "themes": "trois"}).status_code == 400
    resp = analyst_client.post(url, {"waves": ["1999"]})
    assert resp.status_code == 400 and "vague inconnue : 1999" in resp.content.decode()
    assert analyst_client.post(url, {"waves": ["2026"], "themes": "3", "stop_words": "merci"}).status_code == 302
    assert ThemeRun.objects.get().status == "pending"  # enqueued, not run inside the request
    tasks_drain()
    run = ThemeRun.objects.get()
    assert run.status == "done" and run.k == 3 and run.stop_words == ["merci"]
    progress = analyst_client.get(reverse("verbatims:run_progress", args=[planted_survey.slug, run.pk])).json()
    assert progress == {"status": "done", "progress": 100, "error": ""}


def test_rename_merge_and_delete_themes(run, analyst_client):
    a, b, c = run.themes.order_by("number")
    url = lambda t: reverse("verbatims:theme_edit", args=[run.survey.slug, t.pk])  # noqa: E731
    assert analyst_client.post(url(a), {"action": "rename", "label_fr": "Délais", "label_en": "Delays"}).status_code == 302
    assert analyst_client.post(url(b), {"action": "merge", "into": a.pk}).status_code == 302
    themes = visible_themes(run)
    assert [t["label"] for t in themes] == ["Délais", c.label]
    assert themes[0]["size"] == a.size + b.size
    assert analyst_client.post(url(c), {"action": "delete"}).status_code == 302
    assert [t["label"] for t in visible_themes(run)] == ["Délais"]
    assert analyst_client.post(url(a), {"action": "merge", "into": a.pk}).status_code == 400
    assert analyst_client.post(url(a), {"action": "rename", "label_fr": ""}).status_code == 400


def test_hand_codes_suggestions_and_rerun(run, analyst_client):
    slug = run.survey.slug
    codebook = reverse("verbatims:codebook", args=[slug])
    for theme in run.themes.all():
        analyst_client.post(reverse("verbatims:theme_edit", args=[slug, theme.pk]), {"action": "to_code"})
    codes = list(Code.objects.filter(survey=run.survey))
    assert len(codes) == 3
    # hand-code 4 verbatims per planted theme, by their key words
    keys = {"délai": None, "site": None, "donnée": None}
    for code in codes:
        for k in keys:
            if k in code.label_fr:
                keys[k] = code
    answers = list(Answer.objects.filter(question__code="SUGG").order_by("pk"))
    for word, code in keys.items():
        for a in [a for a in answers if word in a.text.lower()][:4]:
            assert analyst_client.post(codebook, {"action": "code", "answer": a.pk, "code": code.pk}).status_code == 302
    assert HandCode.objects.count() == 12
    html = analyst_client.get(codebook).content.decode()
    assert "Suggestion :" in html
    # a re-run replaces themes, never hand codes
    run_execute(run_create(run.survey, ["2026"], k=3).pk)
    assert HandCode.objects.count() == 12 and Theme.objects.filter(run=run).count() == 3
    coded = HandCode.objects.first()
    analyst_client.post(codebook, {"action": "uncode", "answer": coded.answer_id, "code": coded.code_id})
    assert HandCode.objects.count() == 11
    assert analyst_client.post(codebook, {"action": "code", "answer": "x", "code": "1"}).status_code == 400


def test_suggestion_predicts_the_hand_coded_theme():
    from analysis.suggest import train

    examples = [("Le délai de réponse est trop long", "fr", {1}), ("Attente interminable, délai", "fr", {1}),
                ("Délai de réponse inacceptable", "fr", {1}), ("Le site est difficile à utiliser", "fr", {2}),
                ("Navigation du site pénible", "fr", {2}), ("Site compliqué, moteur de recherche nul", "fr", {2})]
    suggester = train(examples)
    got = suggester.suggest(["Quel délai de réponse !", "Le moteur de recherche du site"])
    assert [g[0] for g in got] == [1, 2]


def test_csv_of_shares_has_no_value_in_a_suppressed_cell(run, analyst_client):
    resp = analyst_client.get(reverse("verbatims:shares_csv", args=[run.survey.slug, run.pk]))
    table = pd.read_csv(io.BytesIO(resp.content), encoding="utf-8-sig")
    hidden = table["suppressed"].astype(bool)
    assert hidden.any() and table.loc[hidden, ["value", "ci_low", "ci_high"]].isna().all().all()
    assert {"theme", "label", "channel", "category", "n", "value", "ci_low", "ci_high"} <= set(table.columns)


def test_analysis_verbatims_page_shows_the_themes(run, analyst_client):
    html = analyst_client.get(reverse("analysis:verbatims", args=[run.survey.slug])).content.decode()
    assert reverse("verbatims:themes", args=[run.survey.slug]) in html
    for t in visible_themes(run):
        assert t["label"] in html


def test_stacked_probabilities_equal_each_logistic_model():
    import numpy as np

    from analysis.suggest import _features, train

    examples = [("délai trop long", "fr", {1}), ("attente délai", "fr", {1}), ("délai réponse", "fr", {1}),
                ("site difficile", "fr", {2}), ("navigation site", "fr", {2}), ("moteur site", "fr", {2})]
    s = train(examples)
    texts = ["délai du site", "attente"]
    X = s.vec.transform([_features(t, "fr") for t in texts])
    expected = np.column_stack([s.models[c].predict_proba(X)[:, 1] for c in s.models])
    assert np.allclose(s.probabilities(texts), expected)


def test_split_a_theme_mixing_two_planted_ones(planted_survey, analyst_client):
    run = run_execute(run_create(planted_survey, ["2026"], k=2).pk)
    biggest = max(run.themes.all(), key=lambda t: t.size)  # with k = 2, one theme holds two planted ones
    resp = analyst_client.post(reverse("verbatims:theme_edit", args=[planted_survey.slug, biggest.pk]),
                               {"action": "split"})
    assert resp.status_code == 302
    run.refresh_from_db()
    themes = visible_themes(run)
    assert len(themes) == 3 and sum(t["size"] for t in themes) == sum(1 for t in run.members["theme"] if t >= 0)
    tops = sorted(" ".join(t["terms"][:5]) for t in themes)
    for word in ("délai", "difficile", "donnée"):
        assert sum(word in top for top in tops) == 1, tops


def test_page_charts_follow_a_rename_despite_the_cache(run, analyst_client):
    url = reverse("verbatims:themes", args=[run.survey.slug])
    analyst_client.get(url)  # fills the cache
    theme = run.themes.order_by("number").first()
    analyst_client.post(reverse("verbatims:theme_edit", args=[run.survey.slug, theme.pk]),
                        {"action": "rename", "label_fr": "Délais de réponse"})
    html = analyst_client.get(url).content.decode()
    assert html.count("Délais de réponse") >= 3  # heading, both tables behind the heatmaps
