"""manage.py generate_responses and export_responses.

The generator is checked against the questionnaire's own rules (targeting and display conditions,
re-evaluated here with the functions the wizard uses); the export is checked by running the
analysis command line on it and comparing with figures computed by hand in the test.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from surveys.forms import StoredAnswer
from surveys.models import Answer, AuditLog, Channel, Question, Response, UserCategory
from surveys.services.responses import answers_for_logic, survey_structure, visible_question_codes
from tests import factories

ROOT = Path(__file__).resolve().parents[2]


def stored_answers(response: Response) -> dict[str, StoredAnswer]:
    return {a.question.code: StoredAnswer(value=a.value, text=a.text, codes=a.codes, dont_know=a.dont_know)
            for a in response.answers.select_related("question")}


# ---------------------------------------------------------------------------------------------
# generate_responses
# ---------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_generate_creates_n_complete_responses_answering_only_visible_questions(survey):
    call_command("generate_responses", survey=survey.slug, n=150, seed=7, stdout=io.StringIO())
    responses = list(Response.objects.filter(survey=survey).select_related("category", "wave"))
    assert len(responses) == 150
    assert all(r.status == "complete" and r.submitted_at is not None and r.is_demo for r in responses)
    assert all(r.started_at <= r.submitted_at for r in responses)
    structure = survey_structure(survey)
    required = {q.code for s in structure for q in s.questions.all() if q.required}
    seen_categories, hidden_sections_seen = set(), 0
    for r in responses:
        answers = stored_answers(r)
        visible = visible_question_codes(structure, r.category.code, answers_for_logic(structure, answers))
        assert set(answers) <= visible, (r.category.code, set(answers) - visible)
        assert required & visible <= set(answers)  # required questions shown were answered
        seen_categories.add(r.category.code)
        hidden_sections_seen += "SAT_WEB" not in visible  # the web section hides without USED=web
    assert seen_categories == {"researchers", "journalists", "general_public"}
    assert hidden_sections_seen > 0
    # answers are stored as the questionnaire stores them
    kinds = {a.question.code: a for a in Answer.objects.filter(response__survey=survey).select_related("question")}
    assert isinstance(kinds["USED"].codes, list) and set(kinds["USED"].codes) <= {"web", "contact"}
    assert isinstance(kinds["WEB_MATRIX"].codes, dict)
    assert kinds["MICRO"].text in {"yes", "no"} and kinds["MICRO"].value is None
    values = Answer.objects.filter(question__code="SAT_OVERALL").values_list("value", flat=True)
    assert set(values) <= {1.0, 2.0, 3.0, 4.0, 5.0} and len(set(values)) >= 3
    assert all(0 <= v <= 100 for v in Answer.objects.filter(question__code="VISITS").values_list("value", flat=True))


@pytest.mark.django_db
def test_generate_in_chosen_waves_without_demo_flag(survey):
    old = factories.WaveFactory(survey=survey, code="2025", opens_at=timezone.now() - timedelta(days=400),
                                closes_at=timezone.now() - timedelta(days=300))
    call_command("generate_responses", "--survey", survey.slug, "--n", "20", "--waves", "2025", "--no-demo",
                 stdout=io.StringIO())
    assert set(Response.objects.values_list("wave_id", flat=True)) == {old.id}
    assert not Response.objects.filter(is_demo=True).exists()
    assert all(old.opens_at <= r.started_at <= old.closes_at for r in Response.objects.all())


@pytest.mark.django_db
def test_generated_responses_of_an_open_wave_are_never_dated_in_the_future(survey):
    """A wave closing in a month: the demo responses fall between its opening and now."""
    now = timezone.now()
    wave = factories.WaveFactory(survey=survey, code="open", opens_at=now - timedelta(days=2),
                                 closes_at=now + timedelta(days=30))
    call_command("generate_responses", "--survey", survey.slug, "--n", "60", "--waves", "open", stdout=io.StringIO())
    after = timezone.now()
    responses = list(Response.objects.filter(wave=wave))
    assert len(responses) == 60
    assert all(wave.opens_at <= r.started_at < r.submitted_at <= after for r in responses)


@pytest.mark.django_db
def test_generated_responses_of_a_wave_opening_later_are_dated_before_now(survey):
    now = timezone.now()
    wave = factories.WaveFactory(survey=survey, code="later", opens_at=now + timedelta(days=3),
                                 closes_at=now + timedelta(days=30))
    call_command("generate_responses", "--survey", survey.slug, "--n", "10", "--waves", "later", stdout=io.StringIO())
    assert all(r.submitted_at <= timezone.now() for r in Response.objects.filter(wave=wave))


@pytest.mark.django_db
def test_generate_is_reproducible_for_a_seed(survey):
    def answers():
        return Counter(Answer.objects.values_list("question__code", "value", "text"))

    call_command("generate_responses", survey=survey.slug, n=40, seed=3, stdout=io.StringIO())
    first = answers()
    Response.objects.all().delete()
    call_command("generate_responses", survey=survey.slug, n=40, seed=3, stdout=io.StringIO())
    assert answers() == first


@pytest.mark.django_db
def test_generate_rejects_unknown_survey_and_wave(survey):
    with pytest.raises(CommandError, match="no survey"):
        call_command("generate_responses", survey="nope", n=1)
    with pytest.raises(CommandError, match="unknown wave"):
        call_command("generate_responses", survey=survey.slug, n=1, waves="1999")
    assert not Response.objects.exists()


@pytest.mark.django_db
def test_generate_on_the_demo_survey_shows_the_expected_patterns(demo_survey):
    call_command("generate_responses", survey=demo_survey.slug, n=3000, seed=11, stdout=io.StringIO())
    from analysis import frames

    df = frames.load(list(demo_survey.waves.all()))
    assert len(df) == 3000
    assert df["SAT_WEB"].mean() < df["SAT_PUBS"].mean()  # website rated below publications
    by_wave = df.groupby("wave", observed=True)["SAT_OVERALL"].mean()
    assert by_wave["2026"] > by_wave["2025"]  # a little better each wave
    public = df["PUB_FIND"][df["category"] == "general_public"].mean()
    assert public < df["SAT_OVERALL"][df["category"] == "general_public"].mean()
    assert df["RES_DOC"].mean() > df["SAT_OVERALL"][df["category"] == "researchers"].mean()
    # tiny cells on purpose: "other" respondents via meetings & events, fewer than 5 per wave
    small = df[(df["category"] == "other") & (df["channel"] == "meetings_events")].groupby(
        "wave", observed=True).size()
    assert len(small) == 2 and small.between(1, 4).all()
    texts = df["SUGGESTIONS"].dropna()
    assert len(texts) > 100 and texts.nunique() >= 15


# ---------------------------------------------------------------------------------------------
# export_responses
# ---------------------------------------------------------------------------------------------
def respond(survey, wave, category, channel, **answers) -> Response:
    response = Response.objects.create(
        survey=survey, wave=wave, category=UserCategory.objects.get(code=category),
        channel=Channel.objects.get(code=channel) if channel else None, status="complete",
        submitted_at=timezone.now())
    questions = {q.code: q for q in Question.objects.filter(survey=survey)}
    for code, fields in answers.items():
        Answer.objects.create(response=response, question=questions[code], **fields)
    return response


@pytest.fixture
def exported(survey, tmp_path):
    wave = survey.waves.get()
    respond(survey, wave, "researchers", "website", SAT_OVERALL={"value": 5}, USED={"codes": ["web"]},
            SUGG={"text": "=HYPERLINK(\"http://evil\")"}, VISITS={"value": -2})
    respond(survey, wave, "researchers", "website", SAT_OVERALL={"value": 4}, USED={"codes": ["contact"]},
            SUGG={"text": "-10 % de délais"})
    respond(survey, wave, "journalists", "contact_service", SAT_OVERALL={"value": 2}, WHY={"text": "@moi"},
            SAT_WEB={"dont_know": True})
    respond(survey, wave, "general_public", None, SAT_OVERALL={"value": 3}, SUGG={"text": "Merci, très clair"})
    respond(survey, wave, "general_public", "website", SAT_OVERALL={"value": 1})
    Response.objects.create(survey=survey, wave=wave, category=UserCategory.objects.get(code="researchers"),
                            status="partial")  # never exported
    path = tmp_path / "responses.csv"
    call_command("export_responses", "--survey", survey.slug, "--format", "csv", "-o", str(path),
                 stderr=io.StringIO())
    return path


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.django_db
def test_export_layout(exported):
    rows = read_csv(exported)
    with open(exported, encoding="utf-8") as fh:
        header = fh.readline().rstrip("\n").split(",")
    assert header == ["response_id", "wave", "category", "channel", "weight", "SAT_OVERALL", "NPS",
                      "USED__web", "USED__contact", "SAT_WEB", "WEB_MATRIX__find", "WEB_MATRIX__understand",
                      "MICRO", "SAT_MICRO", "EMBARGO", "WHY", "SUGG", "VISITS"]
    assert len(rows) == 5  # complete responses only
    assert {r["response_id"] for r in rows} == {str(i) for i in Response.objects.filter(
        status="complete").values_list("id", flat=True)}
    by_score = {r["SAT_OVERALL"]: r for r in rows}
    assert by_score["5"]["USED__web"] == "1" and by_score["5"]["USED__contact"] == "0"
    assert by_score["2"]["SAT_WEB"] == "99"  # don't know: its reserved code (analysis.dont_know)
    assert by_score["3"]["channel"] == "" and by_score["3"]["USED__web"] == ""  # no answer: empty
    assert by_score["5"]["weight"] == "1.0" and by_score["5"]["wave"] == "2026"
    assert AuditLog.objects.filter(action="export_responses", target="test-survey").count() == 1


@pytest.mark.django_db
def test_export_neutralises_formulas_in_text_columns_only(exported):
    by_score = {r["SAT_OVERALL"]: r for r in read_csv(exported)}
    assert by_score["5"]["SUGG"] == "'=HYPERLINK(\"http://evil\")"
    assert by_score["4"]["SUGG"] == "'-10 % de délais"
    assert by_score["2"]["WHY"] == "'@moi"
    assert by_score["3"]["SUGG"] == "Merci, très clair"
    assert by_score["5"]["VISITS"] == "-2"  # a number stays a number


@pytest.mark.django_db
def test_export_round_trips_through_the_analysis_command_line(exported):
    # by hand: SAT_OVERALL is 5, 4 (researchers), 2 (journalist), 3, 1 (general public)
    def cli(*args):
        done = subprocess.run([sys.executable, "-m", "analysis", "indicators", str(exported), *args],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    overall = cli("--score", "SAT_OVERALL", "--kind", "mean", "--min-cell", "0")
    assert len(overall) == 1 and overall[0]["n"] == 5
    assert overall[0]["value"] == pytest.approx(statistics.mean([5, 4, 2, 3, 1]))
    by_category = {r["category"]: r for r in cli("--score", "SAT_OVERALL", "--kind", "mean", "--by", "category",
                                                 "--min-cell", "0")}
    assert by_category["researchers"]["n"] == 2 and by_category["researchers"]["value"] == pytest.approx(4.5)
    assert by_category["general_public"]["n"] == 2 and by_category["general_public"]["value"] == pytest.approx(2.0)
    satisfied = cli("--score", "SAT_OVERALL", "--kind", "satisfied", "--min-cell", "0")
    assert satisfied[0]["value"] == pytest.approx(100 * 2 / 5)
    secret = cli("--score", "SAT_OVERALL", "--kind", "mean")  # default min cell 5: 5 answers are published
    assert secret[0]["suppressed"] is False and secret[0]["n"] == 5
    used = cli("--score", "USED__web", "--kind", "mean", "--min-cell", "0")  # a 0/1 column is a share
    assert used[0]["n"] == 2 and used[0]["value"] == pytest.approx(0.5)


@pytest.mark.django_db
def test_export_to_stdout_and_wave_choice(survey, exported):
    out = io.StringIO()
    call_command("export_responses", survey=survey.slug, waves=["2026"], stdout=out)
    assert out.getvalue() == exported.read_text(encoding="utf-8")
    with pytest.raises(CommandError, match="unknown wave"):
        call_command("export_responses", survey=survey.slug, waves=["1999"], stdout=io.StringIO())


@pytest.mark.django_db
def test_generated_data_exports_and_reads_back(survey, tmp_path):
    call_command("generate_responses", survey=survey.slug, n=80, seed=5, stdout=io.StringIO())
    path = tmp_path / "gen.csv"
    call_command("export_responses", survey=survey.slug, output=str(path), stderr=io.StringIO())
    rows = read_csv(path)
    assert len(rows) == 80
    scores = [float(r["SAT_OVERALL"]) for r in rows if r["SAT_OVERALL"]]
    stored = list(Answer.objects.filter(question__code="SAT_OVERALL").values_list("value", flat=True))
    assert sorted(scores) == sorted(stored)
