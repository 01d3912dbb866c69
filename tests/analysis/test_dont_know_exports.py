"""Don't-know is data: one reserved code per variable in every export (SPSS user-missing, Stata .d)."""

from __future__ import annotations

import io
import subprocess
import sys
from io import StringIO

import openpyxl
import pandas as pd
import pyreadstat
import pytest
from django.core.management import call_command
from django.urls import reverse

from analysis import exports
from analysis.dont_know import DK_CHOICE, DK_CODE
from analysis.selectors import Dashboard
from analysis.microdata import microdata_for
from surveys.models import Answer, Question
from tests.analysis.dashboard_data import ensure_frames, respond
from tests.surveys.test_wizard import current_step, post_step

pytestmark = pytest.mark.django_db
ensure_frames()


@pytest.fixture
def answered(survey):
    """Four complete responses; SAT_WEB: 5, don't know, 3, don't know; MICRO: yes, don't know;
    WEB_MATRIX find: don't know once."""
    Question.objects.filter(survey=survey, code__in=["MICRO", "WEB_MATRIX"]).update(allow_dont_know=True)
    wave = survey.waves.get()
    base = {"SAT_OVERALL": 4, "USED": ["web"]}
    respond(survey, wave, "researchers", "website", {**base, "SAT_WEB": 5, "MICRO": "yes",
                                                      "WEB_MATRIX": {"find": "nsp", "understand": 2}})
    respond(survey, wave, "researchers", "website", {**base, "SAT_WEB": None, "MICRO": None,
                                                      "WEB_MATRIX": {"find": 4, "understand": 3}})
    respond(survey, wave, "general_public", None, {**base, "SAT_WEB": 3})
    respond(survey, wave, "general_public", None, {**base, "SAT_WEB": None})
    return survey


def _db_dont_know(survey) -> int:
    plain = Answer.objects.filter(response__survey=survey, dont_know=True).count()
    matrix = sum(list((a.codes or {}).values()).count("nsp")
                 for a in Answer.objects.filter(response__survey=survey, question__type="matrix"))
    return plain + matrix


def test_export_responses_csv_carries_as_many_codes_as_the_database_holds_dont_knows(answered):
    out = StringIO()
    call_command("export_responses", "--survey", answered.slug, "--format", "csv", stdout=out)
    table = pd.read_csv(io.StringIO(out.getvalue()), dtype=str, keep_default_na=False)
    dk = int((table["SAT_WEB"] == "99").sum()) + int((table["WEB_MATRIX__find"] == "99").sum()) \
        + int((table["MICRO"] == DK_CHOICE).sum())
    assert _db_dont_know(answered) == 4
    assert dk == 4
    assert sorted(table["SAT_WEB"]) == ["3", "5", "99", "99"]


def test_the_command_line_indicators_exclude_the_code_from_the_denominator(answered, tmp_path):
    out = StringIO()
    call_command("export_responses", "--survey", answered.slug, "--format", "csv", stdout=out)
    path = tmp_path / "export.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "analysis", "indicators", str(path), "--score", "SAT_WEB",
                             "--kind", "mean", "--min-cell", "0", "--format", "csv"],
                            capture_output=True, text=True, check=True)
    row = pd.read_csv(io.StringIO(result.stdout)).iloc[0]
    assert row["n"] == 2 and row["value"] == pytest.approx((5 + 3) / 2)


def _microdata(survey):
    return microdata_for(Dashboard(survey), tuple(survey.waves.values_list("code", flat=True)))


def test_spss_declares_the_code_user_missing_with_its_label(answered, tmp_path):
    path = tmp_path / "export.sav"  # pyreadstat reads paths
    path.write_bytes(exports.render_microdata(_microdata(answered), "sav"))
    raw, meta = pyreadstat.read_sav(str(path), user_missing=True)
    assert sorted(raw["SAT_WEB"].tolist()) == [3.0, 5.0, 99.0, 99.0]
    assert meta.missing_ranges["SAT_WEB"] == [{"lo": 99.0, "hi": 99.0}]
    assert meta.variable_value_labels["SAT_WEB"][99.0] == "Ne sait pas / non concerné"
    assert (raw["MICRO"] == 99).sum() == 1 and (raw["WEB_MATRIX_find"] == 99).sum() == 1
    cleaned, _meta = pyreadstat.read_sav(str(path))  # SPSS's own reading: missing
    assert cleaned["SAT_WEB"].isna().sum() == 2


def test_stata_writes_the_extended_missing_value_d(answered, tmp_path):
    path = tmp_path / "export.dta"
    path.write_bytes(exports.render_microdata(_microdata(answered), "dta"))
    raw, meta = pyreadstat.read_dta(str(path), user_missing=True)
    assert sorted(str(v) for v in raw["SAT_WEB"].tolist()) == ["3.0", "5.0", "d", "d"]
    assert "d" in meta.missing_user_values["SAT_WEB"]
    assert (raw["MICRO"].astype(str) == "d").sum() == 1


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_text_formats_write_99_for_scores_and_nsp_for_choices(answered, fmt):
    content = exports.render_microdata(_microdata(answered), fmt)
    if fmt == "csv":
        df = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    elif fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(content))["donnees"]
        rows = list(sheet.values)
        df = pd.DataFrame(rows[1:], columns=rows[0]).astype(str)
    else:
        df = pd.read_parquet(io.BytesIO(content)).astype(str)
    assert (df["SAT_WEB"].str.replace(".0", "", regex=False) == str(DK_CODE)).sum() == 2
    assert (df["WEB_MATRIX_find"].str.replace(".0", "", regex=False) == str(DK_CODE)).sum() == 1
    assert (df["MICRO"] == DK_CHOICE).sum() == 1


def test_a_matrix_item_answered_dont_know_is_stored_and_comes_back_on_resume(client, survey):
    Question.objects.filter(survey=survey, code="WEB_MATRIX").update(allow_dont_know=True)
    client.get(reverse("surveys:start", args=[survey.slug]), {"categorie": "general_public"}, follow=True)
    post_step(client, survey, "core", {"SAT_OVERALL": "4", "USED": ["web"]})
    resp = post_step(client, survey, "web", {"SAT_WEB": "5", "WEB_MATRIX__find": "nsp",
                                             "WEB_MATRIX__understand": "3"})
    assert current_step(resp) == "end"
    answer = Answer.objects.get(question__code="WEB_MATRIX")
    assert answer.codes == {"find": "nsp", "understand": 3}
    back = client.get(reverse("surveys:step", args=[survey.slug, "web"]))
    assert 'value="nsp" checked' in back.content.decode().replace("\n", " ") or \
        'checked value="nsp"' in back.content.decode()
