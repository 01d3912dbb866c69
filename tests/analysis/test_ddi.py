"""DDI-Codebook 2.5 export: valid against the XSD set (offline), labels and suppressed frequencies."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone
from lxml import etree

from analysis.ddi import SCHEMA_DIR, codebook_xml, validate_codebook
from surveys.models import Answer, Response, ResponseStatus, UserCategory

NS = {"d": "ddi:codebook:2_5"}
LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _var(root, name):
    return root.find(f".//d:var[@name='{name}']", NS)


def _freqs(var):
    """{code: (unweighted, weighted) or None when withheld}"""
    out = {}
    for cat in var.iterfind("d:catgry", NS):
        stats = {s.get("wgtd"): s.text for s in cat.iterfind("d:catStat", NS)}
        out[cat.findtext("d:catValu", namespaces=NS)] = (
            (int(stats["not-wgtd"]), stats["wgtd"]) if stats else None)
    return out


@pytest.fixture
def answered_wave(survey):
    """12 complete responses: 7 researchers (weight 1.5), 5 journalists (weight 2); one partial."""
    wave = survey.waves.get()
    questions = {q.code: q for q in survey.questions.all()}
    researchers, journalists = UserCategory.objects.get(code="researchers"), UserCategory.objects.get(code="journalists")
    scores = [(researchers, 1.5, 4)] * 6 + [(researchers, 1.5, 1)] + [(journalists, 2.0, 5)] * 5
    for category, weight, score in scores:
        r = Response.objects.create(survey=survey, wave=wave, category=category, weight=weight,
                                    status=ResponseStatus.COMPLETE, submitted_at=timezone.now())
        Answer.objects.create(response=r, question=questions["SAT_OVERALL"], value=score)
        if category == researchers:
            Answer.objects.create(response=r, question=questions["SAT_WEB"], dont_know=True)
        Answer.objects.create(response=r, question=questions["USED"],
                              codes=["web"] if category == researchers else ["web", "contact"])
    partial = Response.objects.create(survey=survey, wave=wave, category=journalists, status=ResponseStatus.PARTIAL)
    Answer.objects.create(response=partial, question=questions["SAT_OVERALL"], value=1)
    return wave


@pytest.mark.django_db
def test_codebook_of_a_constructed_wave_has_labels_and_suppressed_frequencies(survey, answered_wave):
    xml = codebook_xml(survey, answered_wave)
    assert validate_codebook(xml) == []
    root = etree.fromstring(xml)
    sat = _var(root, "SAT_OVERALL")
    assert [(lab.get(LANG), lab.text) for lab in sat.iterfind("d:labl", NS)] == [
        ("fr", "Question SAT_OVERALL"), ("en", "Question SAT_OVERALL (en)")]
    assert [q.findtext("d:qstnLit", namespaces=NS) for q in sat.iterfind("d:qstn", NS)] == [
        "Question SAT_OVERALL", "Question SAT_OVERALL (en)"]
    assert [c.findtext("d:labl", namespaces=NS) for c in sat.iterfind("d:catgry", NS)] == [
        "Très insatisfait", "Plutôt insatisfait", "Ni satisfait ni insatisfait", "Plutôt satisfait", "Très satisfait"]
    # 1: one answer (n < 5), 2 and 3: none -> withheld; 4: six researchers x 1.5; 5: five journalists x 2
    assert _freqs(sat) == {"1": None, "2": None, "3": None, "4": (6, "9.00"), "5": (5, "10.00")}
    assert sat.findtext("d:sumStat[@type='vald']", namespaces=NS) == "12"
    assert sat.get("wgt-var") == "V_weight"
    # a lone hidden cell (general public: 0) would be recomputable from the total: journalists (5) go too
    assert _freqs(_var(root, "category")) == {"researchers": (7, "10.50"), "journalists": None,
                                             "general_public": None}
    # every response chose web (12): shown; "not chosen" (0) hidden, so its complement hides too
    assert _freqs(_var(root, "USED__web")) == {"1": None, "0": None}
    assert _freqs(_var(root, "USED__contact")) == {"1": (5, "10.00"), "0": (7, "10.50")}


@pytest.mark.django_db
def test_dont_know_is_a_declared_missing_code_and_weight_is_the_weight_variable(survey, answered_wave):
    root = etree.fromstring(codebook_xml(survey, answered_wave))
    web = _var(root, "SAT_WEB")
    assert [i.get("VALUE") for i in web.iterfind("d:invalrng/d:item", NS)] == ["nsp"]
    dont_know = web.find("d:catgry[@missing='Y']", NS)
    assert dont_know.findtext("d:catValu", namespaces=NS) == "nsp"
    assert _freqs(web)["nsp"] == (7, "10.50")
    assert web.findtext("d:sumStat[@type='vald']", namespaces=NS) == "0"
    weight = _var(root, "weight")
    assert (weight.get("wgt"), weight.get("intrvl"), weight.get("wgt-var")) == ("wgt", "contin", None)
    assert root.findtext(".//d:stdyDscr/d:citation/d:titlStmt/d:IDNo", namespaces=NS) == "test-survey-2026"
    assert [u.get(LANG) for u in root.iterfind(".//d:universe", NS)] == ["fr", "en"]


@pytest.mark.django_db
def test_demo_codebook_from_the_command_validates_against_the_schema(demo_survey, tmp_path):
    call_command("generate_responses", "--survey", "satisfaction-usagers", "--n", "40", "--seed", "3")
    path = tmp_path / "codebook.xml"
    call_command("export_ddi", "satisfaction-usagers", "-o", str(path))
    xml = path.read_bytes()
    assert validate_codebook(xml) == []
    root = etree.fromstring(xml)
    names = [v.get("name") for v in root.iterfind(".//d:var", NS)]
    assert names[:3] == ["category", "channel", "weight"]
    assert {"SAT_OVERALL", "CHANNELS_USED__website", "SAT_OVERALL_WHY"} <= set(names)
    counted = sum(int(s.text) for s in _var(root, "category").iterfind("d:catgry/d:catStat[@wgtd='not-wgtd']", NS))
    assert 0 < counted <= 40


def test_validation_reports_an_invalid_codebook_offline():
    errors = validate_codebook(b'<codeBook xmlns="ddi:codebook:2_5" version="2.5"><dataDscr><var/></dataDscr>'
                               b"</codeBook>")
    assert errors == ["line 1: Element '{ddi:codebook:2_5}dataDscr': This element is not expected. Expected is one "
                      "of ( {ddi:codebook:2_5}docDscr, {ddi:codebook:2_5}stdyDscr )."]
    assert (SCHEMA_DIR / "codebook.xsd").exists()
