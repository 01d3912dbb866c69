"""Analyst dashboards: access, confidentiality (primary, secondary, linked tables), filters,
the tables behind the charts, caching and query counts."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pandas as pd
import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from analysis import indicators, selectors
from tests import factories
from tests.analysis.dashboard_data import (
    SMALL_CELL, SMALL_MEAN, SMALL_MEAN_STRINGS, add_wave, ensure_frames, locmem_cache, respond, seed,
)

pytestmark = pytest.mark.django_db
ensure_frames()
locmem_cache = locmem_cache  # the fixture, re-exported for this module


@pytest.fixture
def seeded(survey):
    seed(survey, texts=["Le site est clair", "Les données locales manquent", "=1+1 formule",
                        "Merci pour les données locales", "Site lent le soir"])
    return survey


@pytest.fixture
def analyst(survey):
    return factories.staff_user("ana", "analysts", [survey])


@pytest.fixture
def analyst_client(analyst):
    c = Client()
    c.force_login(analyst)
    return c


def urls(slug: str) -> dict[str, str]:
    return {
        "overview": reverse("analysis:overview", args=[slug]),
        "channels": reverse("analysis:channels", args=[slug]),
        "channels_data": reverse("analysis:channels_data", args=[slug, "carte-contact"]),
        "trends": reverse("analysis:trends", args=[slug]),
        "trends_data": reverse("analysis:trends_data", args=[slug, "tendances"]),
        "question": reverse("analysis:question", args=[slug, "SAT_OVERALL"]),
        "question_data": reverse("analysis:question_data", args=[slug, "SAT_OVERALL", "distribution"]),
        "verbatims": reverse("analysis:verbatims", args=[slug]),
        "exports": reverse("analysis:exports", args=[slug]),
    }


# --------------------------------------------------------------------------------------------
# Access control
# --------------------------------------------------------------------------------------------
def _client(user=None) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


@pytest.mark.parametrize("page", list(urls("x")))
def test_access_matrix_for_every_dashboard_page(seeded, page):
    other = factories.SurveyFactory(slug="autre")
    url = urls(seeded.slug)[page]
    roles = {
        "anonymous": (None, 302),
        "respondent": (User.objects.create_user("resp", password="x" * 20), 403),
        "staff_without_role": (factories.staff_user("staff"), 403),
        "designer_of_other_survey": (factories.staff_user("des2", "designers", [other]), 404),
        "analyst_of_other_survey": (factories.staff_user("ana2", "analysts", [other]), 404),
        "designer_of_this_survey": (factories.staff_user("des", "designers", [seeded]), 200),
        "analyst_of_this_survey": (factories.staff_user("ana", "analysts", [seeded]), 200),
        "superuser": (factories.staff_user("root", superuser=True), 200),
    }
    for role, (user, expected) in roles.items():
        resp = _client(user).get(url)
        assert resp.status_code == expected, (role, url, resp.status_code)
        if expected == 302:
            assert resp["Location"].startswith(reverse("login")), role
        if expected != 200:
            assert b"chart-block" not in resp.content and b"Le site est clair" not in resp.content, role


def test_non_staff_member_of_the_analysts_group_is_refused(seeded):
    user = User.objects.create_user("notstaff", password="x" * 20)
    user.groups.add(factories.Group.objects.get_or_create(name="analysts")[0])
    seeded.owners.add(user)
    assert _client(user).get(urls(seeded.slug)["channels"]).status_code == 403


def test_index_lists_only_granted_surveys(seeded, analyst_client):
    factories.SurveyFactory(slug="autre-enquete", title_fr="Autre enquête secrète")
    resp = analyst_client.get(reverse("analysis:index"))
    assert resp.status_code == 200
    assert reverse("analysis:overview", args=[seeded.slug]).encode() in resp.content
    assert b"autre-enquete" not in resp.content


def test_dashboard_pages_are_not_cached_by_browsers(seeded, analyst_client):
    resp = analyst_client.get(urls(seeded.slug)["channels"])
    assert resp["Cache-Control"] == "no-store"


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
FIG_RE = re.compile(r'<script id="(fig-[\w-]+)" type="application/json">(.*?)</script>', re.S)
DATA_RE = re.compile(r'href="([^"]+\.csv(?:\?[^"]*)?)"')


def figures(html: str) -> dict[str, dict]:
    return {name: json.loads(body) for name, body in FIG_RE.findall(html)}


def without_json(html: str) -> str:
    return FIG_RE.sub("", html)


def read_csv(resp) -> pd.DataFrame:
    assert resp.status_code == 200, resp.status_code
    assert resp.content.startswith(b"\xef\xbb\xbf"), "CSV without BOM"
    return pd.read_csv(io.BytesIO(resp.content[3:]))


def data_links(html: str) -> list[str]:
    return [link.replace("&amp;", "&") for link in DATA_RE.findall(html)]


def hidden_pattern_is_safe(table: pd.DataFrame, rows: str, cols: str) -> bool:
    """Every row and column with ≥ 2 cells holds 0 or ≥ 2 hidden cells (secondary rule)."""
    t = table.assign(r=table[rows].astype(object).fillna("~"), c=table[cols].astype(object).fillna("~"))
    for key in ("r", "c"):
        for _value, line in t.groupby(key):
            hidden = int(line["suppressed"].sum())
            if len(line) >= 2 and hidden == 1:
                return False
    return True


def distinctive_absent(text: str) -> None:
    for s in SMALL_MEAN_STRINGS:
        assert s not in text, f"the hidden cell's mean ({s}) leaked"


# --------------------------------------------------------------------------------------------
# Confidentiality
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("indicator", ["satisfaits", "moyenne", "nps"])
def test_a_suppressed_cell_value_appears_nowhere_page_chart_json_or_csv(seeded, analyst_client, indicator):
    """3 journalists via the website (SAT_OVERALL 1, 1, 2: mean 1.333…) form a hidden cell."""
    page = analyst_client.get(urls(seeded.slug)["channels"], {"indicateur": indicator})
    assert page.status_code == 200
    html = page.content.decode()
    distinctive_absent(without_json(html))
    figs = figures(html)
    assert figs, "no chart on the page"
    for name, fig in figs.items():
        assert "1.3333333" not in json.dumps(fig), name
    grid = figs["fig-carte-contact"]
    annotations = [a["text"] for a in grid["layout"].get("annotations", [])]
    assert any("secret" in a for a in annotations), "the hidden cell is not marked secret on the chart"
    links = data_links(html)
    assert len(links) == len(figs)
    for link in links:
        resp = analyst_client.get(link)
        distinctive_absent(resp.content.decode("utf-8"))
    table = read_csv(analyst_client.get(links[0]))
    small = table[(table["channel"] == SMALL_CELL[0]) & (table["category"] == SMALL_CELL[1])]
    assert len(small) == 1 and bool(small["suppressed"].iloc[0])
    assert small[["n", "value", "ci_low", "ci_high"]].isna().all(axis=None)
    assert hidden_pattern_is_safe(table, "channel", "category")


def test_the_small_cell_is_in_the_data_and_would_show_without_suppression(seeded):
    """Guard for the test above: the distinctive mean is really what the hidden cell holds."""
    frame = selectors.load_frame(list(seeded.waves.all()))
    raw = indicators.mean_score(frame, "SAT_OVERALL", by=["channel", "category"])
    cell = raw[(raw["channel"] == SMALL_CELL[0]) & (raw["category"] == SMALL_CELL[1])]
    assert int(cell["n"].iloc[0]) == 3 and cell["value"].iloc[0] == pytest.approx(SMALL_MEAN)
    assert repr(SMALL_MEAN).startswith("1.3333333")


@pytest.fixture
def lonely(survey):
    """The small cell alone in its channel and its category: 3 journalists, all via the website.
    The trends page's website line and the question page's journalists row are then that cell."""
    seed(survey, cells=[("contact_service", "researchers"), ("contact_service", "general_public")])
    return survey


def _trends_and_question(client, slug: str) -> dict[str, tuple[str, dict[str, pd.DataFrame]]]:
    """Each page's HTML and the data CSVs behind its charts, by file name."""
    out = {}
    for page, params in (("trends", {"indicateur": "moyenne"}), ("question", {})):
        html = client.get(urls(slug)[page], params).content.decode()
        tables = {link.split("?")[0].rsplit("/", 1)[-1]: read_csv(client.get(link)) for link in data_links(html)}
        out[page] = (html, tables)
    return out


def test_the_small_cell_stays_hidden_on_the_trends_and_question_pages(lonely, analyst_client):
    pages = _trends_and_question(analyst_client, lonely.slug)
    trends_html, trends = pages["trends"]
    line = trends["tendances.csv"].query("channel == 'website'")
    assert len(line) == 1 and bool(line["suppressed"].iloc[0])
    assert line[["n", "value", "ci_low", "ci_high"]].isna().all(axis=None)
    question_html, question = pages["question"]
    row = question["distribution.csv"].query("category == 'journalists'")
    assert len(row) and row["suppressed"].all() and row[["share", "n"]].isna().all(axis=None)
    for html in (trends_html, question_html):
        distinctive_absent(without_json(html))
        assert "1.3333333" not in json.dumps(figures(html))
        assert "secret" in without_json(html)
    for resp in (analyst_client.get(link) for html in (trends_html, question_html) for link in data_links(html)):
        distinctive_absent(resp.content.decode("utf-8"))


def test_the_same_pages_would_show_the_small_cell_without_suppression(lonely, analyst_client):
    """Guard for the test above: with a threshold of 1 the hidden figures are really there."""
    lonely.min_cell = 1
    lonely.save()
    pages = _trends_and_question(analyst_client, lonely.slug)
    line = pages["trends"][1]["tendances.csv"].query("channel == 'website'")
    assert line["value"].iloc[0] == pytest.approx(SMALL_MEAN) and int(line["n"].iloc[0]) == 3
    row = pages["question"][1]["distribution.csv"].query("category == 'journalists' and code == 1")
    assert row["share"].iloc[0] == pytest.approx(2 / 3)


def test_table_behind_each_chart_equals_the_indicator_functions_output(seeded, analyst_client):
    """Same frame, indicators called directly: the CSV is exactly their (suppressed) table."""
    frame = selectors.load_frame(list(seeded.waves.filter(code="2026")))
    expected_grid = indicators.by_contact_channel(frame, by=["channel", "category"], min_cell=5, dropna=False)
    expected_bars = indicators.by_contact_channel(frame, by=["channel"], min_cell=5, dropna=False)
    expected_total = indicators.by_contact_channel(frame, by=[], min_cell=5)
    cols = ["n", "value", "ci_low", "ci_high", "suppressed"]
    for indicator, kind in (("satisfaits", "satisfied"), ("moyenne", "mean"), ("nps", "nps")):
        grid = read_csv(analyst_client.get(reverse("analysis:channels_data", args=[seeded.slug, "carte-contact"]),
                                           {"indicateur": indicator}))
        exp = expected_grid[expected_grid["kind"] == kind].astype({"channel": object, "category": object})
        merged = exp.merge(grid, on=["channel", "category"], suffixes=("_exp", "_got"), how="outer")
        assert len(merged) == len(exp) == len(grid)
        for col in cols:
            np.testing.assert_allclose(merged[f"{col}_exp"].astype(float), merged[f"{col}_got"].astype(float),
                                       rtol=1e-12, equal_nan=True, err_msg=f"{kind} {col}")
        bars = read_csv(analyst_client.get(reverse("analysis:channels_data", args=[seeded.slug, "barres-contact"]),
                                           {"indicateur": indicator}))
        exp = expected_bars[expected_bars["kind"] == kind].astype({"channel": object})
        got = bars[bars["channel"] != "_ensemble"]
        merged = exp.merge(got, on="channel", suffixes=("_exp", "_got"), how="outer")
        assert len(merged) == len(exp) == len(got)
        for col in cols:
            np.testing.assert_allclose(merged[f"{col}_exp"].astype(float), merged[f"{col}_got"].astype(float),
                                       rtol=1e-12, equal_nan=True)
        total = bars[bars["channel"] == "_ensemble"]
        exp_total = expected_total[expected_total["kind"] == kind]
        np.testing.assert_allclose(total["value"].astype(float), exp_total["value"].astype(float), rtol=1e-12)


def test_chart_json_draws_the_same_numbers_as_its_table(seeded, analyst_client):
    html = analyst_client.get(urls(seeded.slug)["channels"], {"indicateur": "moyenne"}).content.decode()
    bars = figures(html)["fig-barres-contact"]["data"][0]
    table = read_csv(analyst_client.get(reverse("analysis:channels_data", args=[seeded.slug, "barres-contact"]),
                                        {"indicateur": "moyenne"}))
    drawn = [x for x in bars["x"] if x is not None]
    shown = table.loc[~table["suppressed"], "value"].tolist()
    assert drawn == pytest.approx(shown)


def test_pooled_waves_hide_every_cell_hidden_in_a_single_wave(survey, analyst_client):
    """3 + 3 journalists via the website: 6 when pooled, still hidden (else pooled − 2026 = 2025)."""
    w2025 = add_wave(survey)
    seed(survey)
    seed(survey, w2025)
    resp = analyst_client.get(reverse("analysis:channels_data", args=[survey.slug, "carte-contact"]),
                              {"vague": ["2025", "2026"], "indicateur": "moyenne"})
    table = read_csv(resp)
    small = table[(table["channel"] == SMALL_CELL[0]) & (table["category"] == SMALL_CELL[1])]
    assert bool(small["suppressed"].iloc[0])
    assert "suppression_reason" not in table.columns  # primary vs complement is not published
    d = selectors.Dashboard(survey)
    linked = d.table("contact_grid", ("2025", "2026"), 5, None)
    reason = linked[(linked["channel"] == SMALL_CELL[0]) & (linked["category"] == SMALL_CELL[1])]
    assert reason["suppression_reason"].str.startswith("linked").all()
    assert hidden_pattern_is_safe(table, "channel", "category")
    # without linking it would have been published: n = 6 ≥ 5
    frame = selectors.load_frame(list(survey.waves.all()))
    raw = indicators.by_contact_channel(frame, by=["channel", "category"], min_cell=5)
    raw_small = raw[(raw["channel"] == SMALL_CELL[0]) & (raw["category"] == SMALL_CELL[1]) & (raw["kind"] == "mean")]
    assert not bool(raw_small["suppressed"].iloc[0]) and int(raw_small["n"].iloc[0]) == 6


def test_a_stricter_minimum_never_shows_a_cell_the_default_hides(seeded, analyst_client):
    url = reverse("analysis:channels_data", args=[seeded.slug, "carte-contact"])
    default = read_csv(analyst_client.get(url))
    strict = read_csv(analyst_client.get(url, {"seuil": "13"}))
    key = ["channel", "category"]
    merged = default.merge(strict, on=key, suffixes=("_d", "_s"))
    assert (merged["suppressed_d"] <= merged["suppressed_s"]).all()
    assert merged["suppressed_s"].sum() > merged["suppressed_d"].sum()
    assert hidden_pattern_is_safe(strict, "channel", "category")


def test_category_and_channel_filters_only_choose_rows_never_recompute(seeded, analyst_client):
    url = reverse("analysis:channels_data", args=[seeded.slug, "carte-contact"])
    full = read_csv(analyst_client.get(url))
    part = read_csv(analyst_client.get(url, {"categorie": "general_public", "canal": "website"}))
    assert set(part["category"]) == {"general_public"} and set(part["channel"]) == {"website"}
    same = full.merge(part, on=["channel", "category"], suffixes=("_f", "_p"))
    assert len(same) == 1
    assert same["value_f"].iloc[0] == same["value_p"].iloc[0]
    assert same["suppressed_f"].iloc[0] == same["suppressed_p"].iloc[0]
    bars = reverse("analysis:channels_data", args=[seeded.slug, "barres-contact"])
    total_full = read_csv(analyst_client.get(bars)).query("channel == '_ensemble'")["value"].iloc[0]
    total_part = read_csv(analyst_client.get(bars, {"categorie": "general_public"})).query(
        "channel == '_ensemble'")["value"].iloc[0]
    assert total_full == total_part  # totals are always those of everybody: no sub-total to difference


def test_a_margin_equal_to_a_single_hidden_cell_is_hidden(survey, analyst_client):
    """Journalists answered only via the website, 3 of them: their column margin is that cell."""
    seed(survey, cells=[("website", "researchers"), ("website", "general_public"),
                        ("contact_service", "researchers"), ("contact_service", "general_public")])
    dist = read_csv(analyst_client.get(reverse("analysis:question_data",
                                               args=[survey.slug, "SAT_OVERALL", "distribution"])))
    journalists = dist[dist["category"] == "journalists"]
    assert len(journalists) and journalists["suppressed"].all()
    assert journalists["share"].isna().all()


def test_trends_reuse_the_channel_pages_per_wave_tables(survey, analyst_client):
    w2025 = add_wave(survey)
    seed(survey)
    seed(survey, w2025, size=9)
    trend = read_csv(analyst_client.get(reverse("analysis:trends_data", args=[survey.slug, "tendances"]),
                                        {"indicateur": "moyenne"}))
    for wave in ("2025", "2026"):
        bars = read_csv(analyst_client.get(reverse("analysis:channels_data", args=[survey.slug, "barres-contact"]),
                                           {"indicateur": "moyenne", "vague": wave}))
        got = trend[trend["wave"].astype(str) == wave].drop(columns=["wave"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(got[bars.columns], bars, check_dtype=False)


def test_significant_changes_are_flagged_with_their_ci(survey, analyst_client):
    w2025 = add_wave(survey)
    for i in range(40):
        respond(survey, w2025, "researchers", "website", {"SAT_OVERALL": 1 + (i % 2), "NPS": 2})
        respond(survey, survey.waves.get(code="2026"), "researchers", "website", {"SAT_OVERALL": 4 + (i % 2), "NPS": 10})
    resp = analyst_client.get(reverse("analysis:trends_data", args=[survey.slug, "evolutions"]),
                              {"indicateur": "moyenne"})
    changes = read_csv(resp)
    web = changes[changes["channel"] == "website"].iloc[0]
    assert bool(web["significant"]) and web["p_adjusted"] < 0.05
    assert web["ci_low"] < web["diff"] < web["ci_high"] and web["diff"] == pytest.approx(3.0)
    page = analyst_client.get(urls(survey.slug)["trends"], {"indicateur": "moyenne"}).content.decode()
    names = [t.get("name") for t in figures(page)["fig-tendances"]["data"]]
    assert "Évolution significative" in names


# --------------------------------------------------------------------------------------------
# Filters: URL allow-list
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("query", [
    "f=owner__password__startswith=a",
    "owner__password__startswith=a",
    "vague=1999",
    "vague=2026&vague=owner__password",
    "categorie=researchers__id",
    "canal=website'--",
    "seuil=4",
    "seuil=0",
    "seuil=abc",
    "seuil=5&seuil=6",
    "seuil=%EF%BC%95",  # a full-width digit
    "indicateur=max",
    "pondere=2",
    "question=SUGG",  # not a parameter of this page
    "page=2",
    "vague=2026%00",
])
def test_filters_outside_the_allow_list_are_refused_with_400(seeded, analyst_client, query):
    for url in (urls(seeded.slug)["channels"], urls(seeded.slug)["channels_data"]):
        resp = analyst_client.get(f"{url}?{query}")
        assert resp.status_code == 400, (url, query)
        assert b"chart-block" not in resp.content


@pytest.mark.parametrize("page,query", [
    ("trends", "categorie=researchers"),  # a pooled sub-population: not offered on trends
    ("verbatims", "question=SAT_OVERALL"),  # not a text question
    ("verbatims", "q=" + "x" * 101),
    ("verbatims", "page=0"),
    ("overview", "canal=website"),
    ("question", "indicateur=nps"),
    ("exports", "format=csv"),
])
def test_each_page_has_its_own_allow_list(seeded, analyst_client, page, query):
    assert analyst_client.get(f"{urls(seeded.slug)[page]}?{query}").status_code == 400


def test_the_filter_form_round_trips_to_a_valid_url(seeded, analyst_client):
    """What the GET form submits (empty fields included) is accepted."""
    url = urls(seeded.slug)["channels"]
    resp = analyst_client.get(url, {"vague": "2026", "categorie": ["researchers", "general_public"],
                                    "canal": ["website", "_none"], "indicateur": "moyenne", "seuil": ""})
    assert resp.status_code == 200
    html = resp.content.decode()
    assert 'value="researchers" checked' in html and 'value="moyenne" checked' in html
    assert "canal=website" in html  # the data links keep the filters (shareable)


def test_unknown_or_unscored_question_is_404(seeded, analyst_client):
    assert analyst_client.get(reverse("analysis:question", args=[seeded.slug, "NOPE"])).status_code == 404
    assert analyst_client.get(reverse("analysis:question", args=[seeded.slug, "SUGG"])).status_code == 404
    assert analyst_client.get(reverse("analysis:channels_data", args=[seeded.slug, "nope"])).status_code == 404


# --------------------------------------------------------------------------------------------
# Weighting
# --------------------------------------------------------------------------------------------
def test_weighted_figures_by_default_when_weights_exist_same_mask(seeded, analyst_client):
    from surveys.models import Response

    url = reverse("analysis:channels_data", args=[seeded.slug, "barres-contact"])
    unweighted_before = read_csv(analyst_client.get(url, {"indicateur": "moyenne"}))
    for r in Response.objects.filter(category__code="researchers"):
        r.weight = 3.0
        r.save()
    page = analyst_client.get(urls(seeded.slug)["channels"]).content.decode()
    assert "résultats pondérés" in page and 'name="pondere"' in page
    weighted = read_csv(analyst_client.get(url, {"indicateur": "moyenne"}))
    unweighted = read_csv(analyst_client.get(url, {"indicateur": "moyenne", "pondere": "0"}))
    pd.testing.assert_frame_equal(unweighted, unweighted_before)
    assert not np.allclose(weighted["value"].dropna(), unweighted["value"].dropna())
    assert (weighted["suppressed"] == unweighted["suppressed"]).all()
    assert (weighted["n"].fillna(-1) == unweighted["n"].fillna(-1)).all()


# --------------------------------------------------------------------------------------------
# Cache and queries
# --------------------------------------------------------------------------------------------
def test_tables_are_cached_and_a_new_complete_response_refreshes_them(seeded, analyst_client, locmem_cache,
                                                                      monkeypatch):
    calls = []
    real = selectors.load_frame
    monkeypatch.setattr(selectors, "load_frame", lambda *a, **k: calls.append(1) or real(*a, **k))
    url = reverse("analysis:channels_data", args=[seeded.slug, "barres-contact"])
    first = read_csv(analyst_client.get(url))
    assert calls == [1]
    again = read_csv(analyst_client.get(urls(seeded.slug)["channels"]) and analyst_client.get(url))
    assert calls == [1], "the warm page loaded the frame again"
    pd.testing.assert_frame_equal(first, again)
    respond(seeded, seeded.waves.get(code="2026"), "general_public", "website", {"SAT_OVERALL": 5, "NPS": 10})
    after = read_csv(analyst_client.get(url))
    assert calls == [1, 1]
    web = lambda t: t.loc[t["channel"] == "website", "n"].iloc[0]  # noqa: E731
    assert web(after) == web(first) + 1
    # a partial response does not change the version
    respond(seeded, seeded.waves.get(code="2026"), "general_public", "website", {"SAT_OVERALL": 1}, status="partial")
    read_csv(analyst_client.get(url))
    assert calls == [1, 1]


def test_other_waves_tables_stay_cached_when_one_wave_changes(survey, analyst_client, locmem_cache):
    w2025 = add_wave(survey)
    seed(survey)
    seed(survey, w2025)
    d = selectors.Dashboard(survey)
    key_2025 = d.cache_key("contact_grid", ("2025",), 5, None)
    key_2026 = d.cache_key("contact_grid", ("2026",), 5, None)
    respond(survey, survey.waves.get(code="2026"), "general_public", "website", {"SAT_OVERALL": 5})
    d2 = selectors.Dashboard(survey)
    assert d2.cache_key("contact_grid", ("2025",), 5, None) == key_2025
    assert d2.cache_key("contact_grid", ("2026",), 5, None) != key_2026


def test_the_dashboard_works_when_the_cache_is_down(seeded, analyst_client, monkeypatch):
    """A Redis outage (say) costs speed, never the page."""
    class Down:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise ConnectionError("cache down")
            return fail

    monkeypatch.setattr(selectors, "cache", Down())
    resp = analyst_client.get(urls(seeded.slug)["channels"])
    assert resp.status_code == 200 and b"chart-block" in resp.content


def test_channel_page_query_count(seeded, analyst_client, locmem_cache, django_assert_max_num_queries):
    url = urls(seeded.slug)["channels"]
    with django_assert_max_num_queries(16):  # cold: reference data, versions, the frame (fallback: 3)
        assert analyst_client.get(url).status_code == 200
    with django_assert_max_num_queries(12):  # warm: 7 session/auth/middleware + survey, waves+versions, categories, channels, questions
        assert analyst_client.get(url).status_code == 200


# --------------------------------------------------------------------------------------------
# Overview and verbatims
# --------------------------------------------------------------------------------------------
def test_overview_counts_completion_and_duration(seeded, analyst_client):
    respond(seeded, seeded.waves.get(code="2026"), "researchers", "website", {"SAT_OVERALL": 4}, status="partial")
    html = analyst_client.get(urls(seeded.slug)["overview"]).content.decode()
    assert "<td>64</td><td>63</td>" in html  # started, complete
    assert "98,4 %" in html  # 63 / 64
    assert "7,0 min" in html  # median duration (every seeded response took 7 minutes)
    assert reverse("analysis:question", args=[seeded.slug, "SAT_OVERALL"]) in html


def test_overview_shows_response_rates_of_invited_samples(seeded, analyst_client):
    from surveys.models import Participant, Response, UserCategory

    wave = seeded.waves.get(code="2026")
    cat = UserCategory.objects.get(code="researchers")
    for i in range(4):
        p = Participant(survey=seeded, wave=wave, email=f"p{i}@example.org", category=cat)
        p.issue_token()
        p.invited_at = wave.opens_at
        p.save()
        if i == 0:
            Response.objects.filter(wave=wave, participant__isnull=True, status="complete").first()
            r = respond(seeded, wave, "researchers", "website", {"SAT_OVERALL": 4})
            r.participant = p
            r.save()
    html = analyst_client.get(urls(seeded.slug)["overview"]).content.decode()
    assert "RR1 25,0 %" in html
    assert "p0@example.org" not in html


def test_overview_hides_small_counts_with_a_complement(survey, analyst_client):
    seed(survey)  # 3 journalists via the website
    respond(survey, survey.waves.get(code="2026"), "journalists", None, {"SAT_OVERALL": 3})
    html = analyst_client.get(urls(survey.slug)["overview"]).content.decode()
    assert html.count('<span class="secret">secret</span>') >= 2


def test_verbatims_are_filtered_searched_and_paginated(survey, analyst_client):
    texts = [f"Les données locales sont utiles, numéro {i}" for i in range(30)]
    seed(survey, texts=texts)
    url = urls(survey.slug)["verbatims"]
    html = analyst_client.get(url).content.decode()
    assert "63 réponses" in html or "60 réponses" in html
    assert "Page 1 sur 3" in html and "page=2" in html
    assert "données" in html  # frequent term
    terms = re.findall(r'<span class="term">([^<]+)</span>', html)
    assert "données" in terms and "les" not in terms and "sont" not in terms
    html = analyst_client.get(url, {"q": "NUMÉRO 29"}).content.decode()
    assert "numéro 29" in html and "2 réponses" in html and "numéro 28" not in html
    html = analyst_client.get(url, {"categorie": "journalists", "canal": "contact_service"}).content.decode()
    assert "Journalistes · Service de contact" in html and "Grand public" not in re.sub(r"<form.*?</form>", "",
                                                                                         html, flags=re.S)
    assert analyst_client.get(url, {"page": "3"}).status_code == 200


def test_verbatims_of_partial_responses_are_not_listed(survey, analyst_client):
    respond(survey, survey.waves.get(code="2026"), "researchers", "website", {"SUGG": "Brouillon jamais envoyé"},
            status="partial")
    html = analyst_client.get(urls(survey.slug)["verbatims"]).content.decode()
    assert "Brouillon jamais envoyé" not in html


# --------------------------------------------------------------------------------------------
# Security headers, CSP, escaping
# --------------------------------------------------------------------------------------------
def test_pages_hold_no_inline_script_or_style_under_a_strict_csp(seeded, analyst_client):
    for name, url in urls(seeded.slug).items():
        if name.endswith("_data"):
            continue
        resp = analyst_client.get(url)
        csp = resp["Content-Security-Policy"]
        assert "style-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
        html = resp.content.decode()
        assert not re.search(r"\sstyle\s*=", html), name
        assert "<style" not in html, name
        for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
            assert 'type="application/json"' in attrs or ("src=" in attrs and not body.strip()), (name, attrs)
        assert not re.search(r'(src|href)="(https?:)?//', html), name  # nothing from another origin


def test_chart_pages_load_plotly_locally_with_its_stylesheet_marker(seeded, analyst_client):
    html = analyst_client.get(urls(seeded.slug)["channels"]).content.decode()
    assert '<script src="/static/vendor/plotly.min.js"' in html
    assert '<script src="/static/js/charts.js"' in html
    assert re.search(r'<link rel="stylesheet" id="plotly.js-style-global" class="no-inline-styles" '
                     r'href="/static/css/plotly.css">', html)


def test_plotly_stylesheet_matches_the_vendored_plotly_js():
    from analysis import plotly_css

    js = plotly_css.VENDORED_JS.read_text(encoding="utf-8")
    assert plotly_css.CSS_FILE.read_text(encoding="utf-8") == plotly_css.stylesheet(js)
    rules = dict(plotly_css.rules(js))
    assert ".js-plotly-plot .plotly .modebar" in rules and len(rules) > 30


def test_xss_in_labels_is_escaped_in_the_page_and_the_chart_json(seeded, analyst_client):
    from surveys.models import UserCategory

    payload = '"><img src=x onerror=alert(1)><script>alert(2)</script>'
    UserCategory.objects.filter(code="general_public").update(label_fr=payload)
    html = analyst_client.get(urls(seeded.slug)["channels"]).content.decode()
    assert "<img src=x" not in html and "<script>alert" not in html
    for fig in figures(html).values():
        assert "<img" not in json.dumps(fig)


# --------------------------------------------------------------------------------------------
# Real browser: plotly draws under the CSP without any violation
# --------------------------------------------------------------------------------------------
@pytest.mark.browser
def test_charts_draw_in_chromium_without_csp_violations(transactional_db, live_server):
    import os

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    survey = factories.build_survey()
    seed(survey)
    user = factories.staff_user("ana", "analysts", [survey])
    c = Client()
    c.force_login(user)
    session = c.cookies["sessionid"].value
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get("ECOUTE_CHROMIUM", "/usr/bin/chromium"),
                                    headless=True, args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(locale="fr-FR")
        host = live_server.url.split("//")[1].split(":")[0]
        context.add_cookies([{"name": "sessionid", "value": session, "domain": host, "path": "/"}])
        page = context.new_page()
        messages = []
        page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: messages.append(f"error: {e}"))
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        page.add_init_script("document.addEventListener('securitypolicyviolation', e => "
                             "console.error('CSP ' + e.violatedDirective + ' ' + e.blockedURI));")
        page.goto(live_server.url + urls(survey.slug)["channels"])
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=15000)
        assert page.locator(".js-plotly-plot").count() == 4
        assert "secret" in page.locator("#carte-contact .js-plotly-plot").inner_text()
        # plotly's own rules apply (from /static/css/plotly.css, not an injected <style>)
        assert page.evaluate("document.querySelectorAll('style').length") == 0
        position = page.evaluate(
            "getComputedStyle(document.querySelector('.js-plotly-plot .plotly .modebar')).position")
        assert position == "absolute"
        page.hover("#barres-contact .nsewdrag")  # hover labels are drawn without style attributes
        page.wait_for_selector("#barres-contact .hoverlayer .hovertext", timeout=5000)
        assert "n = " in page.locator("#barres-contact .hoverlayer").text_content()
        for other in ("trends", "question"):  # lines with CI bands and legends, stacked bars
            page.goto(live_server.url + urls(survey.slug)[other])
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=15000)
            page.hover(".nsewdrag")
            page.wait_for_timeout(200)
        browser.close()
    assert not [m for m in messages if "CSP" in m or m.startswith("error") or "strict CSP" in m], messages
    assert all(u.startswith(live_server.url) for u in requests), requests
