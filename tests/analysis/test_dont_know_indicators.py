"""Don't-know beside each indicator (issue 14, item 5): its count and share per cell, computed by
hand here, never in the denominators, hidden with the cell (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pytest
from django.test import Client
from django.urls import reverse
from scipy import stats

from analysis import indicators
from tests import factories
from tests.analysis.dashboard_data import SMALL_CELL, ensure_frames, respond, seed

ensure_frames()

# (SAT_OVERALL, NPS) per response of each (channel, category) cell; None = don't know
CELLS = {
    ("website", "researchers"): [(3, 9), (4, 9), (5, 7), (4, 3), (5, 10), (3, 6), (None, 8), (None, None)],
    ("website", "general_public"): [(5, 10)] * 3 + [(2, 0)] * 3 + [(None, 5)],
    ("contact_service", "researchers"): [(4, 9)] * 5,
    ("contact_service", "general_public"): [(3, None)] * 2 + [(3, 9)] * 3 + [(None, 7)] * 3,
}


def read_csv(resp) -> pd.DataFrame:
    assert resp.status_code == 200, resp.status_code
    return pd.read_csv(io.BytesIO(resp.content[3:]))  # after the BOM


def text(html: str) -> str:
    """The page without tags and its chart JSON, whitespace collapsed."""
    html = re.sub(r'<script id="fig-[\w-]+" type="application/json">.*?</script>', "", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def answered(survey):
    wave = survey.waves.get(code="2026")
    for (channel, category), rows in CELLS.items():
        for sat, nps in rows:
            respond(survey, wave, category, channel, {"SAT_OVERALL": sat, "NPS": nps, "SAT_WEB": sat})
    return survey


@pytest.fixture
def client_(survey):
    c = Client()
    c.force_login(factories.staff_user("ana", "analysts", [survey]))
    return c


def _row(table: pd.DataFrame, **keys) -> pd.Series:
    keep = np.ones(len(table), dtype=bool)
    for col, value in keys.items():
        keep &= (table[col].astype(object) == value).to_numpy()
    assert keep.sum() == 1, (keys, table)
    return table[keep].iloc[0]


# --------------------------------------------------------------------------------------------
# The pure core
# --------------------------------------------------------------------------------------------
def _frame() -> pd.DataFrame:
    """Cell a: answers 2, 4, 5, 5 and 2 don't-know; cell b: answers 1, 3 and no don't-know."""
    return pd.DataFrame({
        "g": ["a"] * 6 + ["b"] * 2,
        "S": [2, 4, 5, 5, np.nan, np.nan, 1, 3],
        "S__dk": [False, False, False, False, True, True, False, False],
        "w": [1.0, 2.0, 1.0, 3.0, 10.0, 10.0, 1.0, 1.0],
    })


@pytest.mark.parametrize("weight", [None, "w"])
def test_each_indicator_gets_the_cells_dont_know_count_and_unweighted_share(weight):
    df = _frame()
    for table in (indicators.mean_score(df, "S", by="g", weight=weight),
                  indicators.pct_satisfied(df, "S", by="g", weight=weight),
                  indicators.nps(df, "S", by="g", weight=weight)):
        a, b = _row(table, g="a"), _row(table, g="b")
        assert int(a["n"]) == 4 and int(a["n_dont_know"]) == 2
        assert a["dont_know_share"] == pytest.approx(2 / 6)  # same rule as n: unweighted counts
        assert int(b["n_dont_know"]) == 0 and b["dont_know_share"] == 0.0


def test_dont_know_never_enters_the_denominators():
    df = _frame()
    without = df.drop(columns="S__dk")
    mean = indicators.mean_score(df, "S", by="g", weight="w")
    a = _row(mean, g="a")
    assert a["value"] == pytest.approx((2 * 1 + 4 * 2 + 5 * 1 + 5 * 3) / 7)  # Σwy / W of the answers only
    sat = _row(indicators.pct_satisfied(df, "S", by="g"), g="a")
    assert sat["value"] == pytest.approx(100 * 3 / 4)
    for fn in (indicators.mean_score, indicators.pct_satisfied, indicators.nps):
        got, base = fn(df, "S", by="g"), fn(without, "S", by="g")
        cols = [c for c in base.columns if c not in ("n_dont_know", "dont_know_share")]
        pd.testing.assert_frame_equal(got[cols], base[cols])
        assert (base["n_dont_know"] == 0).all()  # no flags in the frame: nothing counted


def test_an_answered_row_is_never_counted_as_dont_know():
    df = _frame()
    df.loc[0, "S__dk"] = True  # inconsistent input: it has an answer (2)
    a = _row(indicators.mean_score(df, "S", by="g"), g="a")
    assert int(a["n"]) == 4 and int(a["n_dont_know"]) == 2


def test_the_distribution_shows_dont_know_beside_shares_that_exclude_it():
    dist = indicators.distribution(_frame(), "S", by="g", codes=[1, 2, 3, 4, 5])
    a = dist[dist["g"] == "a"]
    assert a["share"].sum() == pytest.approx(1.0) and _row(a, code=5)["share"] == pytest.approx(2 / 4)
    assert (a["n_dont_know"] == 2).all() and np.allclose(a["dont_know_share"], 2 / 6)


def test_a_suppressed_cell_hides_its_dont_know_figures_too():
    df = pd.concat([_frame(), pd.DataFrame({"g": ["b"] * 3, "S": [np.nan] * 3, "S__dk": [True] * 3,
                                            "w": [1.0] * 3})], ignore_index=True)
    table = indicators.by_contact_channel(df, sat_col="S", nps_col=None, by=["g"], min_cell=3)
    b = table[table["g"] == "b"]  # 2 answers < 3: hidden, with its 3 don't-know
    assert b["suppressed"].all() and b[["n", "n_dont_know", "dont_know_share"]].isna().all(axis=None)
    a = table[table["g"] == "a"]  # its complement on the line (the margin is published): hidden too
    assert a["suppressed"].all() and a[["n_dont_know", "dont_know_share"]].isna().all(axis=None)
    shown = indicators.by_contact_channel(df, sat_col="S", nps_col=None, by=["g"], min_cell=2)
    b = shown[shown["g"] == "b"]
    assert list(b["n_dont_know"]) == [3, 3] and np.allclose(b["dont_know_share"], 3 / 5)


# --------------------------------------------------------------------------------------------
# The dashboards (database)
# --------------------------------------------------------------------------------------------
def _data(client, slug: str, name: str, indicator: str) -> pd.DataFrame:
    return read_csv(client.get(reverse("analysis:channels_data", args=[slug, name]), {"indicateur": indicator}))


@pytest.mark.django_db
def test_channel_csvs_carry_dont_know_per_cell_with_unchanged_indicators(answered, client_):
    slug = answered.slug
    grid = _data(client_, slug, "carte-contact", "moyenne")
    assert not grid["suppressed"].any()
    a = _row(grid, channel="website", category="researchers")
    assert (int(a["n"]), int(a["n_dont_know"])) == (6, 2) and a["dont_know_share"] == pytest.approx(2 / 8)
    assert a["value"] == pytest.approx(24 / 6)  # mean of 3, 4, 5, 4, 5, 3: don't-know not counted
    half = stats.t.ppf(0.975, 5) * np.std([3, 4, 5, 4, 5, 3], ddof=1) / np.sqrt(6)
    assert (a["ci_low"], a["ci_high"]) == pytest.approx((4 - half, 4 + half))
    for (channel, category), (n, dk) in {("website", "general_public"): (6, 1),
                                         ("contact_service", "researchers"): (5, 0),
                                         ("contact_service", "general_public"): (5, 3)}.items():
        row = _row(grid, channel=channel, category=category)
        assert (int(row["n"]), int(row["n_dont_know"])) == (n, dk)
        assert row["dont_know_share"] == pytest.approx(dk / (n + dk))
    sat = _row(_data(client_, slug, "carte-contact", "satisfaits"), channel="website", category="researchers")
    assert sat["value"] == pytest.approx(100 * 4 / 6) and int(sat["n_dont_know"]) == 2
    nps = _data(client_, slug, "carte-contact", "nps")
    a_nps = _row(nps, channel="website", category="researchers")  # 9 9 7 3 10 6 8, one don't-know
    assert (int(a_nps["n"]), int(a_nps["n_dont_know"])) == (7, 1)
    assert a_nps["dont_know_share"] == pytest.approx(1 / 8) and a_nps["value"] == pytest.approx(100 * (3 - 2) / 7)
    d_nps = _row(nps, channel="contact_service", category="general_public")
    assert (int(d_nps["n"]), int(d_nps["n_dont_know"])) == (6, 2)
    bars = _data(client_, slug, "barres-contact", "moyenne")
    web = _row(bars, channel="website")
    assert (int(web["n"]), int(web["n_dont_know"])) == (12, 3) and web["dont_know_share"] == pytest.approx(3 / 15)
    assert web["value"] == pytest.approx((24 + 21) / 12)
    total = _row(bars, channel="_ensemble")
    assert (int(total["n"]), int(total["n_dont_know"])) == (22, 6) and total["dont_know_share"] == pytest.approx(6 / 28)
    tied = _data(client_, slug, "carte-canaux", "moyenne")  # SAT_WEB, tied to the website, by category
    row = _row(tied, channel="website", category="general_public")
    assert (int(row["n"]), int(row["n_dont_know"])) == (11, 4) and row["dont_know_share"] == pytest.approx(4 / 15)


@pytest.mark.django_db
def test_the_tables_behind_the_charts_show_dont_know_count_and_share(answered, client_):
    html = client_.get(reverse("analysis:channels", args=[answered.slug]), {"indicateur": "moyenne"}).content.decode()
    page = text(html)
    assert "Ne sait pas" in page
    assert "6 2 (25,0 %)" in page.replace("\u00a0", " ")  # website × researchers: n 6, 2 don't-know of 8
    assert "22 6 (21,4 %)" in page.replace("\u00a0", " ")  # every respondent: 6 of 28
    english = client_.get(reverse("analysis:channels", args=[answered.slug]), {"indicateur": "moyenne"},
                          HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Don't know" in english or "Don&#x27;t know" in english
    assert "2 (25.0 %)" in text(english).replace("\u00a0", " ")


@pytest.mark.django_db
def test_question_and_trend_pages_show_dont_know_beside_each_row(answered, client_):
    q_html = client_.get(reverse("analysis:question", args=[answered.slug, "SAT_OVERALL"])).content.decode()
    page = text(q_html).replace("\u00a0", " ")
    assert "Ne sait pas" in page
    assert "11 2 (15,4 %)" in page and "11 4 (26,7 %)" in page and "22 6 (21,4 %)" in page
    dist = read_csv(client_.get(reverse("analysis:question_data", args=[answered.slug, "SAT_OVERALL", "distribution"])))
    gp = dist[dist["category"] == "general_public"]
    assert (gp["n_dont_know"] == 4).all() and np.allclose(gp["dont_know_share"], 4 / 15)
    assert gp["share"].sum() == pytest.approx(1.0)  # the shares exclude don't-know
    trend = read_csv(client_.get(reverse("analysis:trends_data", args=[answered.slug, "tendances"]),
                                 {"indicateur": "moyenne"}))
    cs = _row(trend, channel="contact_service")
    assert (int(cs["n"]), int(cs["n_dont_know"])) == (10, 3) and cs["dont_know_share"] == pytest.approx(3 / 13)
    t_page = text(client_.get(reverse("analysis:trends", args=[answered.slug]),
                              {"indicateur": "moyenne"}).content.decode()).replace("\u00a0", " ")
    assert "10 3 (23,1 %)" in t_page


@pytest.fixture
def small_with_dont_know(survey):
    """The dashboards' small cell (3 journalists via the website) plus 4 don't-know there: 4 of 7."""
    wave = seed(survey)
    for _ in range(4):
        respond(survey, wave, SMALL_CELL[1], SMALL_CELL[0], {"SAT_OVERALL": None, "NPS": None})
    return survey


@pytest.mark.django_db
@pytest.mark.parametrize("indicator", ["moyenne", "satisfaits", "nps"])
def test_a_hidden_cell_hides_its_dont_know_figures_on_the_page_and_in_the_csvs(small_with_dont_know, client_,
                                                                                indicator):
    slug = small_with_dont_know.slug
    html = client_.get(reverse("analysis:channels", args=[slug]), {"indicateur": indicator}).content.decode()
    assert "(57,1" not in text(html)  # 4 don't-know of 7
    for name in ("carte-contact", "barres-contact"):
        table = _data(client_, slug, name, indicator)
        hidden = table["suppressed"].astype(bool)
        assert hidden.any() or name == "barres-contact"
        assert table.loc[hidden, ["n_dont_know", "dont_know_share"]].isna().all(axis=None), name
    grid = _data(client_, slug, "carte-contact", indicator)
    small = _row(grid, channel=SMALL_CELL[0], category=SMALL_CELL[1])
    assert bool(small["suppressed"]) and pd.isna(small["n_dont_know"])
    q_html = client_.get(reverse("analysis:question", args=[slug, "SAT_OVERALL"])).content.decode()
    assert "(57,1" not in text(q_html)


@pytest.mark.django_db
def test_the_hidden_dont_know_figures_are_there_without_suppression(small_with_dont_know, client_):
    """Guard for the test above: with a threshold of 1 the small cell's 4 don't-know show."""
    small_with_dont_know.min_cell = 1
    small_with_dont_know.save()
    slug = small_with_dont_know.slug
    small = _row(_data(client_, slug, "carte-contact", "moyenne"), channel=SMALL_CELL[0], category=SMALL_CELL[1])
    assert (int(small["n"]), int(small["n_dont_know"])) == (3, 4)
    html = client_.get(reverse("analysis:channels", args=[slug]), {"indicateur": "moyenne"}).content.decode()
    assert "4 (57,1 %)" in text(html).replace("\u00a0", " ")


@pytest.mark.django_db
def test_the_trends_line_that_is_the_hidden_cell_hides_its_dont_know(survey, client_):
    """The small cell alone in its channel: the trends' website line is that cell, hidden whole."""
    wave = seed(survey, cells=[("contact_service", "researchers"), ("contact_service", "general_public")])
    for _ in range(4):
        respond(survey, wave, SMALL_CELL[1], SMALL_CELL[0], {"SAT_OVERALL": None, "NPS": None})
    trend = read_csv(client_.get(reverse("analysis:trends_data", args=[survey.slug, "tendances"]),
                                 {"indicateur": "moyenne"}))
    line = _row(trend, channel="website")
    assert bool(line["suppressed"]) and pd.isna(line["n_dont_know"]) and pd.isna(line["dont_know_share"])
    page = text(client_.get(reverse("analysis:trends", args=[survey.slug]), {"indicateur": "moyenne"}).content.decode())
    assert "(57,1" not in page and "secret" in page


@pytest.mark.django_db
def test_the_overview_headline_shows_dont_know_beside_each_indicator(answered, client_):
    html = client_.get(reverse("analysis:overview", args=[answered.slug])).content.decode()
    head = html[html.index("Chiffres clés"):html.index("Réponses par vague")].replace("\u00a0", " ")
    assert "<td>22</td><td>6 (21,4 %)</td>" in head  # % satisfied and mean: 6 don't-know of 28
    assert "<td>25</td><td>3 (10,7 %)</td>" in head  # NPS: 25 answers, 3 don't-know of 28


@pytest.mark.django_db
def test_matrix_items_carry_their_own_dont_know(survey, client_):
    """WEB_MATRIX: 'find' answered by 6 and don't-know for 2; 'understand' answered by all 8."""
    wave = survey.waves.get(code="2026")
    for i in range(8):
        find = 4 if i < 6 else "nsp"  # surveys.answers.DONT_KNOW inside the matrix answer
        respond(survey, wave, "researchers", "website", {"SAT_OVERALL": 4, "WEB_MATRIX": {"find": find,
                                                                                         "understand": 3 + i % 3}})
    table = read_csv(client_.get(reverse("analysis:question_data", args=[survey.slug, "WEB_MATRIX", "ensemble"])))
    find, understand = _row(table, item="find"), _row(table, item="understand")
    assert (int(find["n"]), int(find["n_dont_know"])) == (6, 2) and find["dont_know_share"] == pytest.approx(2 / 8)
    assert find["value"] == pytest.approx(100.0) and find["mean"] == pytest.approx(4.0)  # the 6 answers only
    assert (int(understand["n"]), int(understand["n_dont_know"])) == (8, 0)
