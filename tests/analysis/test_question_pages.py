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
    names = ["ensemble", "canaux", "canal-categorie"] + ([] if OTHER_TYPES[code] == "number" else ["categories"])
    assert html.count('class="chart-block"') == len(names)
    assert html.count("data-figure=") == len(names) - 1  # the channel × category table has no chart
    for name in names:
        data = client_.get(reverse("analysis:question_data", args=[filled.slug, code, name]))
        assert data.status_code == 200 and data["Content-Type"].startswith("text/csv")



# --------------------------------------------------------------------------------------------
# The pure core against independently computed values
# --------------------------------------------------------------------------------------------
def _frame(n: int = 200, seed_: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed_)
    single = rng.choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2]).astype(object)
    single[rng.random(n) < 0.1] = None
    ticks = rng.random((n, 3)) < [0.6, 0.3, 0.1]
    skipped = rng.random(n) < 0.15
    frame = pd.DataFrame({"category": rng.choice(["x", "y"], size=n), "weight": rng.uniform(0.5, 2.0, n),
                          "S": pd.Categorical(single, categories=["a", "b", "c"]),
                          "N": np.where(rng.random(n) < 0.1, np.nan, rng.gamma(2.0, 3.0, n)),
                          "M__i1": rng.integers(1, 6, n).astype(float), "M__i2": rng.integers(1, 6, n).astype(float)})
    for j, c in enumerate("pqr"):
        frame[f"T__{c}"] = pd.array(np.where(skipped, None, ticks[:, j]), dtype="boolean")
    return frame


def test_single_choice_shares_and_wilson_intervals_match_statsmodels():
    from analysis.distributions import choice_shares

    frame = _frame()
    table = choice_shares(frame, "S", ["a", "b", "c"], by="category")
    for rec in table.to_dict("records"):
        part = frame[frame["category"] == rec["category"]]
        answered = part["S"].notna().sum()
        count = (part["S"] == rec["choice"]).sum()
        low, high = proportion_confint(count, answered, alpha=0.05, method="wilson")
        assert rec["n_cell"] == answered and rec["n"] == count
        assert rec["value"] == pytest.approx(100 * count / answered)
        assert (rec["ci_low"], rec["ci_high"]) == pytest.approx((100 * low, 100 * high))


def test_multiple_choice_shares_of_respondents_and_of_mentions():
    from analysis.distributions import multiple_shares

    frame = _frame()
    table = multiple_shares(frame, {c: f"T__{c}" for c in "pqr"})
    answered = frame["T__p"].notna()
    block = frame.loc[answered, ["T__p", "T__q", "T__r"]].astype(bool).to_numpy()
    mentions = block.sum()
    for j, rec in enumerate(table.to_dict("records")):
        low, high = proportion_confint(block[:, j].sum(), answered.sum(), method="wilson")
        assert rec["n_cell"] == answered.sum()
        assert rec["value"] == pytest.approx(100 * block[:, j].mean())
        assert (rec["ci_low"], rec["ci_high"]) == pytest.approx((100 * low, 100 * high))
        assert rec["share_mentions"] == pytest.approx(100 * block[:, j].sum() / mentions)
    assert table["share_mentions"].sum() == pytest.approx(100)
    assert table["value"].sum() > 100  # several answers per respondent


def test_weighted_choice_share_uses_the_weighted_proportion_and_kish_size():
    from analysis.distributions import choice_shares

    frame = _frame()
    rec = choice_shares(frame, "S", ["a", "b", "c"], weight="weight").iloc[0]
    ok = frame["S"].notna()
    w = frame.loc[ok, "weight"].to_numpy()
    p = w[(frame.loc[ok, "S"] == "a").to_numpy()].sum() / w.sum()
    n_eff = w.sum() ** 2 / (w ** 2).sum()
    low, high = proportion_confint(p * n_eff, n_eff, method="wilson")
    assert rec["value"] == pytest.approx(100 * p)
    assert rec["n_eff"] == pytest.approx(n_eff)
    assert (rec["ci_low"], rec["ci_high"]) == pytest.approx((100 * low, 100 * high))


def test_number_mean_interval_median_and_quartiles_match_scipy_and_numpy():
    from scipy import stats

    from analysis.distributions import number_summary

    frame = _frame()
    table = number_summary(frame, "N", by="category")
    for rec in table.to_dict("records"):
        y = frame.loc[(frame["category"] == rec["category"]) & frame["N"].notna(), "N"].to_numpy()
        low, high = stats.t.interval(0.95, len(y) - 1, loc=y.mean(), scale=stats.sem(y))
        assert rec["n"] == len(y) and rec["value"] == pytest.approx(y.mean())
        assert (rec["ci_low"], rec["ci_high"]) == pytest.approx((low, high))
        assert (rec["q1"], rec["median"], rec["q3"]) == pytest.approx(tuple(np.percentile(y, [25, 50, 75])))
    weighted = number_summary(frame, "N", weight="weight").iloc[0]
    ok = frame["N"].notna()
    y, w = frame.loc[ok, "N"].to_numpy(), frame.loc[ok, "weight"].to_numpy()
    order = np.argsort(y)
    cum = np.cumsum(w[order]) / w.sum()
    by_hand = y[order][np.searchsorted(cum, 0.5)]  # smallest value whose cumulative weight reaches one half
    assert weighted["median"] == pytest.approx(by_hand)


def test_matrix_gives_one_row_per_item_with_wilson_share_satisfied():
    from analysis.distributions import matrix_items

    frame = _frame()
    table = matrix_items(frame, {"i1": "M__i1", "i2": "M__i2"}, by="category")
    assert sorted(table["item"].unique()) == ["i1", "i2"] and len(table) == 4
    for rec in table.to_dict("records"):
        y = frame.loc[frame["category"] == rec["category"], f"M__{rec['item']}"]
        low, high = proportion_confint((y >= 4).sum(), len(y), method="wilson")
        assert rec["value"] == pytest.approx(100 * (y >= 4).mean())
        assert (rec["ci_low"], rec["ci_high"]) == pytest.approx((100 * low, 100 * high))
        assert rec["mean"] == pytest.approx(y.mean())


def test_protect_applies_the_dashboards_primary_and_secondary_suppression():
    from analysis import disclosure
    from analysis.distributions import choice_shares, protect

    frame = pd.DataFrame({"channel": ["w"] * 12 + ["c"] * 14, "category": ["x"] * 3 + ["y"] * 9 + ["x"] * 7 + ["y"] * 7,
                          "S": pd.Categorical(["a", "b"] * 13, categories=["a", "b"])})
    raw = choice_shares(frame, "S", ["a", "b"], by=["channel", "category"])
    table = protect(raw, 5, by_rows=["channel"], by_cols=["category"])
    expected = disclosure.suppress(raw, min_cell=5, n_col="n_cell", by_rows=["channel"], by_cols=["category"])
    assert table["suppressed"].tolist() == expected["suppressed"].tolist()
    hidden = table[table["suppressed"]]
    assert len(hidden) == 8  # the small cell (w, x) and its complements: every cell of a 2 × 2 grid
    assert hidden[["n", "n_cell", "value", "ci_low", "ci_high"]].isna().all().all()
    assert set(hidden["suppression_reason"].str.split(":").str[0]) == {"primary", "secondary"}


# --------------------------------------------------------------------------------------------
# Pages: suppression end to end, footnotes, overview
# --------------------------------------------------------------------------------------------
def test_a_small_cell_reads_secret_with_its_reason_and_its_figures_appear_nowhere(filled, client_):
    html = client_.get(reverse("analysis:question", args=[filled.slug, "VISITS"])).content.decode()
    assert "secret¹" in html and "secret primaire : moins de 5 réponses" in html
    assert "secret²" in html and "secret secondaire : masquée pour protéger une autre case" in html
    assert "Significatif : non" not in html
    grid = csv(client_.get(reverse("analysis:question_data", args=[filled.slug, "VISITS", "canal-categorie"])))
    small = grid[(grid["channel"] == "website") & (grid["category"] == "journalists")]
    assert bool(small["suppressed"].iloc[0]) and small["value"].isna().all() and small["n"].isna().all()
    row = re.search(r"<tr><th scope=\"row\">Site internet</th><td>Journalistes</td>(.*?)</tr>", html, flags=re.S)
    assert row and "secret¹" in row.group(1) and "4,00" not in row.group(1)  # its mean is (3 + 4 + 5) / 3


def test_category_filter_only_chooses_rows(filled, client_):
    url = reverse("analysis:question_data", args=[filled.slug, "USED", "categories"])
    everything = csv(client_.get(url))
    only = csv(client_.get(url + "?categorie=researchers"))
    assert set(only["category"]) == {"researchers"} and len(set(everything["category"])) == 3
    pd.testing.assert_frame_equal(only.reset_index(drop=True),
                                  everything[everything["category"] == "researchers"].reset_index(drop=True))


def test_text_and_unknown_questions_stay_404(filled, client_):
    assert client_.get(reverse("analysis:question", args=[filled.slug, "SUGG"])).status_code == 404
    assert client_.get(reverse("analysis:question_data", args=[filled.slug, "USED", "nope"])).status_code == 404


def test_overview_opens_with_headline_numbers_and_the_completions_curve(filled, client_):
    html = client_.get(reverse("analysis:overview", args=[filled.slug])).content.decode()
    head = html[html.index("Chiffres clés"):html.index("Réponses par vague")]
    assert "55" in re.sub(r"<[^>]+>", " ", head)  # 55 complete responses
    assert "% de satisfaits (4 ou 5)" in head and "NPS" in head
    assert 'data-figure="fig-completions"' in html
    for q in OTHER_TYPES:
        assert reverse("analysis:question", args=[filled.slug, q]) in html
    curve = csv(client_.get(reverse("analysis:overview_data", args=[filled.slug, "completions"])))
    assert curve["cumulative"].iloc[-1] == 55


def test_a_hidden_change_between_waves_reads_secret_never_not_significant(survey, client_):
    from tests.analysis.dashboard_data import add_wave

    seed(survey)
    old = add_wave(survey, "2025")
    seed(survey, old, cells=[("contact_service", "researchers")])  # website: the 3 small-cell answers only
    html = client_.get(reverse("analysis:trends", args=[survey.slug])).content.decode()
    table = html[html.index('id="evolutions"'):]
    row = re.search(r"<tr><th scope=\"row\">[^<]*</th><td>Site internet</td>(.*?)</tr>", table, flags=re.S)
    assert row, table[:2000]
    cells = re.findall(r"<td>(.*?)</td>", row.group(1))
    assert cells[0] == "secret" and cells[-1] == "secret", cells
    channels = client_.get(reverse("analysis:channels", args=[survey.slug]) + "?vague=2025").content.decode()
    assert "secret primaire : moins de 5 réponses" in channels


def test_headline_indicators_have_wilson_ci_and_newcombe_change_since_last_wave(survey, client_):
    from statsmodels.stats.proportion import confint_proportions_2indep

    from surveys.models import Participant, Response, UserCategory
    from tests.analysis.dashboard_data import add_wave

    old = add_wave(survey, "2025")
    new = survey.waves.get(code="2026")
    for i in range(40):
        respond(survey, old, "researchers", "website", {"SAT_OVERALL": [2, 3, 4, 5][i % 4]})  # 20 / 40 satisfied
        respond(survey, new, "researchers", "website", {"SAT_OVERALL": [3, 4, 5, 5][i % 4]})  # 30 / 40
    cat = UserCategory.objects.get(code="researchers")
    for i in range(4):  # 4 invited, 1 complete: RR1 = RR2 = 25 %
        p = Participant(survey=survey, wave=new, email=f"p{i}@example.org", category=cat)
        p.issue_token()
        p.invited_at = new.opens_at
        p.save()
    r = Response.objects.filter(wave=new).first()
    r.participant = Participant.objects.get(email="p0@example.org")
    r.save()
    html = client_.get(reverse("analysis:overview", args=[survey.slug])).content.decode()
    head = html[html.index("Chiffres clés"):html.index("Réponses par vague")]
    pct = lambda x: f"{100 * x:.0f}\u00a0%"  # noqa: E731 - the page's rounding, 0 decimals
    low, high = proportion_confint(30, 40, method="wilson")
    assert f"<td>{pct(0.75)}</td><td>[{pct(low)} ; {pct(high)}]</td><td>40</td>" in head
    d_low, d_high = confint_proportions_2indep(30, 40, 20, 40, method="newcomb", compare="diff")
    assert f"+25 [+{100 * d_low:.0f} ; +{100 * d_high:.0f}]" in head
    assert "Évolution depuis Vague 2025" in head
    assert "RR1 25,0 % · RR2 25,0 %" in re.sub(r"\s+", " ", head)
    assert ">80<" in head  # complete responses of both waves



def test_question_page_in_english_uses_english_notes_and_typography(filled, client_):
    html = client_.get(reverse("analysis:question", args=[filled.slug, "USED"]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Several answers allowed: the % of respondents" in html and "Plusieurs réponses possibles" not in html
    assert "% of mentions" in html and "95% CI" in html and "IC à 95" not in html


def test_a_0_to_10_distribution_is_drawn_in_a_colour_blind_safe_ordered_scale():
    from analysis import charts

    table = pd.DataFrame({"category": ["x"] * 11, "code": range(11), "share": [1 / 11] * 11, "n": [2] * 11,
                          "n_cell": [22] * 11, "suppressed": [False] * 11})
    fig = charts.stacked_distribution(table, by="category", labels={"x": "X"}, code_labels={v: str(v) for v in range(11)},
                                      title="t")
    colours = [t.marker.color for t in fig.data]
    assert colours == charts.DIVERGING_11 and len(set(colours)) == 11
    assert not set(colours) & {"#d62728", "#2ca02c", "#ff7f0e"}  # plotly's red/green/orange defaults
