"""XLSForm export: pyxform converts it to an XForm, and importing it back gives the same questionnaire."""

from __future__ import annotations

import openpyxl
import pytest
from django.core.management import call_command
from lxml import etree
from pyxform.xls2xform import convert

from surveys.models import UserCategory
from surveys.services.import_export import survey_export
from surveys.services.xlsform_export import survey_to_xlsform
from surveys.services.xlsform_import import xlsform_import

XF = {"h": "http://www.w3.org/1999/xhtml", "x": "http://www.w3.org/2002/xforms"}

def _xform(data: bytes) -> etree._Element:
    warnings: list[str] = []
    result = convert(data, warnings=warnings, file_type=".xlsx")
    assert warnings == []
    return etree.fromstring(result.xform.encode())

@pytest.mark.django_db
def test_demo_survey_converts_to_an_xform_with_its_questions_conditions_and_both_languages(demo_survey):
    xform = _xform(survey_to_xlsform(demo_survey))
    binds = {b.get("nodeset").rsplit("/", 1)[-1]: b for b in xform.iterfind(".//x:bind", XF)}
    assert {q.code for q in demo_survey.questions.exclude(type="matrix")} <= set(binds)
    assert binds["SAT_OVERALL_WHY"].get("relevant") == " /data/core/SAT_OVERALL  <= 2"
    assert binds["website"].get("relevant") == "selected( /data/core/CHANNELS_USED , 'website')"
    assert binds["SAT_OVERALL"].get("required") == "true()"
    assert binds["FREQ_USE"].get("constraint") == ". >= 0 and . <= 100"
    languages = [t.get("lang") for t in xform.iterfind(".//x:itext/x:translation", XF)]
    assert languages == ["Français (fr)", "English (en)"]

@pytest.mark.django_db
def test_demo_survey_round_trips_through_xlsform(demo_survey):
    before = survey_export(demo_survey)
    survey, result = xlsform_import(survey_to_xlsform(demo_survey), replace=True)
    assert result.warnings == [] and result.notes == []
    assert survey.pk == demo_survey.pk
    assert survey_export(survey) == before

@pytest.mark.django_db
def test_factory_survey_with_every_type_threshold_targeting_and_combined_conditions_round_trips(survey):
    survey.questions.filter(code="SAT_MICRO").update(threshold=7, help_fr="Aide", help_en="Help")
    embargo = survey.questions.get(code="EMBARGO")
    embargo.categories.set(UserCategory.objects.filter(code="journalists"))
    survey.questions.filter(code="VISITS").update(condition={"all": [
        {"not": {"question": "USED", "in": ["contact"]}},
        {"any": [{"question": "NPS", "op": ">=", "value": 9}, {"question": "MICRO", "in": ["yes", "no"]}]}]})
    before = survey_export(survey)
    assert before["sections"][4]["questions"][2]["condition"]["all"][0] == {"not": {"question": "USED", "in": ["contact"]}}
    again, _ = xlsform_import(survey_to_xlsform(survey), replace=True)
    assert survey_export(again) == before

@pytest.mark.django_db
def test_export_command_writes_the_workbook_with_the_satisfaction_columns(demo_survey, tmp_path):
    path = tmp_path / "demo.xlsx"
    call_command("export_xlsform", "satisfaction-usagers", "-o", str(path))
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames == ["survey", "choices", "settings", "ecoute"]
    rows = list(book["survey"].iter_rows(values_only=True))
    header = rows[0]
    by_name = {r[1]: dict(zip(header, r, strict=True)) for r in rows[1:] if r[1]}
    assert by_name["SAT_WEB"]["type"] == "select_one ecoute_satisfaction"
    assert (by_name["SAT_WEB"]["ecoute_role"], by_name["SAT_WEB"]["ecoute_channel"]) == ("satisfaction", "website")
    assert (by_name["NPS"]["type"], by_name["NPS"]["ecoute_role"]) == ("select_one ecoute_nps", "nps")
    assert by_name["SAT_TRUST"]["type"] == "select_one ecoute_scale_nsp"
    assert (by_name["WEB_MATRIX"]["type"], by_name["WEB_MATRIX"]["ecoute_role"]) == ("begin group", "matrix")
    assert by_name["researchers"]["ecoute_categories"] == "researchers"
    assert by_name["general-public"]["ecoute_categories"] == "general_public students"
    settings = list(book["settings"].iter_rows(values_only=True))
    assert settings[1][:2] == ("Enquête de satisfaction des utilisateurs", "satisfaction-usagers")
    assert _xform(path.read_bytes()) is not None

