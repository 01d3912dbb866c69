"""Stored weighting runs: margins reached in the database, one active run, nothing written on
failure, the ``weight`` command and the export it feeds."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from analysis import weighting_runs
from analysis.margins import MarginsError
from analysis.models import RunWeight, WeightingRun
from analysis.weighting import WeightingError
from surveys.models import Answer, Participant, Response, UserCategory
from tests.analysis.dashboard_data import ensure_frames, respond, seed

pytestmark = pytest.mark.django_db
ensure_frames()

CSV = ("variable,category,target\ncategory,researchers,0.3\ncategory,journalists,0.2\n"
       "category,general_public,0.5\nchannel,website,400\nchannel,contact_service,600\n")
TARGETS = {"category": {"researchers": 0.3, "journalists": 0.2, "general_public": 0.5},
           "channel": {"website": 0.4, "contact_service": 0.6}}


@pytest.fixture
def wave(survey):
    return seed(survey)


def db_weights(wave) -> pd.DataFrame:
    return pd.DataFrame(list(Response.objects.filter(wave=wave, status="complete")
                             .values("category__code", "channel__code", "weight")))


def assert_db_margins(wave, targets=TARGETS):
    df = db_weights(wave)
    for var, col in (("category", "category__code"), ("channel", "channel__code")):
        got = df.groupby(col)["weight"].sum() / df["weight"].sum()
        for cat, t in targets[var].items():
            assert got[cat] == pytest.approx(t, abs=1e-6), (var, cat)


def test_a_run_writes_weights_that_reach_the_margins_and_is_active(wave):
    margins = weighting_runs.margins_from_csv(wave, CSV)
    run = weighting_runs.weighting_run(wave, margins, method="raking")
    assert run.is_active and run.n == 63 and RunWeight.objects.filter(run=run).count() == 63
    assert_db_margins(wave)
    assert db_weights(wave)["weight"].mean() == pytest.approx(1.0)
    stored = dict(RunWeight.objects.filter(run=run).values_list("response_id", "weight"))
    assert stored == dict(Response.objects.filter(wave=wave).values_list("id", "weight"))


def test_logit_run_keeps_weights_within_bounds_and_records_them(wave):
    margins = weighting_runs.margins_from_csv(wave, CSV)
    run = weighting_runs.weighting_run(wave, margins, method="logit", bounds=(0.3, 3.0))
    w = db_weights(wave)["weight"]
    assert w.min() > 0.3 and w.max() < 3.0
    assert run.bounds == (0.3, 3.0) and run.diagnostics["summary"]["n"] == 63
    assert_db_margins(wave)


def test_rerun_keeps_the_earlier_run_and_only_one_is_active(wave):
    margins = weighting_runs.margins_from_csv(wave, CSV)
    first = weighting_runs.weighting_run(wave, margins, method="raking")
    one_var = weighting_runs.margins_from_csv(wave, "variable,category,target\nchannel,website,0.5\n"
                                                    "channel,contact_service,0.5\n")
    second = weighting_runs.weighting_run(wave, one_var, method="poststrat")
    assert list(WeightingRun.objects.filter(wave=wave, is_active=True)) == [second]
    assert WeightingRun.objects.filter(wave=wave).count() == 2
    df = db_weights(wave)
    assert df[df.channel__code == "website"]["weight"].sum() / df["weight"].sum() == pytest.approx(0.5)
    weighting_runs.weighting_activate(first)
    assert_db_margins(wave)
    assert WeightingRun.objects.get(pk=first.pk).is_active and not WeightingRun.objects.get(pk=second.pk).is_active


def test_impossible_bounds_change_nothing_and_the_previous_run_stays(wave):
    margins = weighting_runs.margins_from_csv(wave, CSV)
    first = weighting_runs.weighting_run(wave, margins, method="raking")
    before = dict(Response.objects.filter(wave=wave).values_list("id", "weight"))
    with pytest.raises(WeightingError, match="bounds"):
        weighting_runs.weighting_run(wave, margins, method="logit", bounds=(0.9, 1.1))
    assert list(WeightingRun.objects.filter(wave=wave)) == [first] and first.is_active
    assert dict(Response.objects.filter(wave=wave).values_list("id", "weight")) == before


def test_margins_file_errors_are_located(wave):
    with pytest.raises(MarginsError, match="line 3, field 'category': unknown category 'students'"):
        weighting_runs.margins_from_csv(wave, "variable,category,target\ncategory,researchers,1\n"
                                              "category,students,1\n")
    # MICRO is a single-choice question nobody in the seed answered
    with pytest.raises(MarginsError, match="line 2, field 'variable': no respondent .*'MICRO'"):
        weighting_runs.margins_from_csv(wave, "variable,category,target\nMICRO,yes,0.5\nMICRO,no,0.5\n")
    assert not WeightingRun.objects.exists()


def test_a_single_choice_question_can_be_a_margin(survey, wave):
    for i in range(6):
        respond(survey, wave, "researchers", "website", {"SAT_OVERALL": 3, "MICRO": "yes" if i < 2 else "no"})
    # only the researchers answered MICRO: weighting on it needs them alone
    Response.objects.filter(wave=wave).exclude(answers__question__code="MICRO").update(status="partial",
                                                                                       submitted_at=None)
    margins = weighting_runs.margins_from_csv(wave, "variable,category,target\nMICRO,yes,0.5\nMICRO,no,0.5\n")
    weighting_runs.weighting_run(wave, margins, method="poststrat")
    w = dict(Answer.objects.filter(question__code="MICRO", response__status="complete")
             .values_list("text", "response__weight"))
    assert w == {"yes": pytest.approx(1.5), "no": pytest.approx(0.75)}  # 0.5/(2/6), 0.5/(4/6)


def test_margins_from_the_invitation_frame_count_invited_per_category(wave):
    for code, k in (("researchers", 3), ("journalists", 1), ("general_public", 6)):
        for _ in range(k):
            p = Participant(survey=wave.survey, wave=wave, category=UserCategory.objects.get(code=code),
                            email=f"{code}{_}@example.org")
            p.issue_token()
            p.save()
    margins = weighting_runs.margins_from_invitations(wave)
    assert margins.targets == {"category": {"researchers": 3, "journalists": 1, "general_public": 6}}
    weighting_runs.weighting_run(wave, margins, method="poststrat", source="frame")
    df = db_weights(wave)
    share = df.groupby("category__code")["weight"].sum() / df["weight"].sum()
    assert share.to_dict() == pytest.approx({"researchers": 0.3, "journalists": 0.1, "general_public": 0.6})


def test_responses_outside_the_run_get_weight_one_and_deactivate_resets(survey, wave):
    run = weighting_runs.weighting_run(wave, weighting_runs.margins_from_csv(wave, CSV), method="raking")
    late = respond(survey, wave, "researchers", "website", {"SAT_OVERALL": 5}, weight=2.5)
    weighting_runs.weighting_activate(run)
    late.refresh_from_db()
    assert late.weight == 1.0
    weighting_runs.weighting_deactivate(wave)
    assert set(Response.objects.filter(wave=wave).values_list("weight", flat=True)) == {1.0}
    assert not WeightingRun.objects.filter(is_active=True).exists() and WeightingRun.objects.count() == 1


def test_description_names_method_variables_and_date(wave):
    assert weighting_runs.weighting_description(wave) is None
    run = weighting_runs.weighting_run(wave, weighting_runs.margins_from_csv(wave, CSV), method="logit",
                                       bounds=(0.3, 3))
    assert weighting_runs.weighting_description(wave) == (
        f"pondéré : calage logit [0.3 ; 3] sur catégorie × canal, {run.created_at:%Y-%m-%d}")


def test_weight_command_then_export_has_a_weight_column_reaching_the_margins(survey, wave, tmp_path):
    path = tmp_path / "margins.csv"
    path.write_text(CSV)
    out = io.StringIO()
    call_command("weight", "--survey", survey.slug, "--wave", "2026", "--margins", str(path), stdout=out)
    text = out.getvalue()
    assert "pondéré : calage (raking) sur catégorie × canal" in text and "n_eff" in text and "deff" in text
    export = tmp_path / "data.csv"
    call_command("export_responses", "--survey", survey.slug, "--format", "csv", "-o", str(export))
    df = pd.read_csv(export)
    for var, targets in TARGETS.items():
        got = df.groupby(var)["weight"].sum() / df["weight"].sum()
        for cat, t in targets.items():
            assert got[cat] == pytest.approx(t, abs=1e-6)


@pytest.mark.parametrize("content,args,message", [
    ("variable,category,target\ncategory,researchers,1\ncategory,zz,1\n", [],
     "line 3, field 'category': unknown category 'zz'"),
    (CSV, ["--bounds", "2,3"], "--bounds: need 0 <= LO < 1 < HI"),
    (CSV, ["--method", "logit", "--bounds", "0.95,1.05"], "weighting failed, nothing changed: bounds"),
    (CSV, ["--wave", "1999"], "no wave '1999'"),
])
def test_weight_command_exits_2_with_a_located_message(survey, wave, tmp_path, content, args, message):
    path = tmp_path / "m.csv"
    path.write_text(content)
    base = {"--survey": survey.slug, "--wave": "2026", "--margins": str(path)}
    for k, v in zip(args[::2], args[1::2]):
        base[k] = v
    with pytest.raises(CommandError, match=message) as exc:
        call_command("weight", *[x for kv in base.items() for x in kv])
    assert exc.value.returncode == 2
    assert not WeightingRun.objects.exists()
    assert set(Response.objects.filter(wave=wave).values_list("weight", flat=True)) == {1.0}


def test_demo_weighting_rakes_each_demo_wave_to_its_margins(demo_survey):
    from analysis.demo import POPULATION, demo_weighting

    call_command("generate_responses", "--survey", demo_survey.slug, "--n", "300", "--seed", "3", stdout=io.StringIO())
    runs = demo_weighting(demo_survey)
    assert {r.wave.code for r in runs} == set(demo_survey.waves.filter(responses__status="complete")
                                              .values_list("code", flat=True))
    for run in runs:
        df = pd.DataFrame(list(Response.objects.filter(wave=run.wave, status="complete")
                               .values("category__code", "weight")))
        got = df.groupby("category__code")["weight"].sum() / df["weight"].sum()
        present = {c: t for c, t in POPULATION["category"].items() if c in got.index}
        total = sum(present.values())
        for cat, t in present.items():
            assert got[cat] == pytest.approx(t / total, abs=1e-6)
    assert demo_weighting(demo_survey) == []  # once: a second load_demo adds no run
