"""The questionnaire as JSON: round trip, whole-document validation, replace rules, the two commands."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

import surveys
from surveys import wizard
from surveys.management.commands.import_survey import Command as ImportSurveyCommand
from surveys.models import (
    AuditLog, Channel, Choice, Participant, Question, Response, Section, Survey, UserCategory, Wave,
)
from surveys.services.import_export import (
    RESERVED_SECTION_CODES, SurveyImportError, document_dumps, survey_export, survey_import, validate_document,
)

DEMO_FILE = Path(surveys.__file__).parent / "demo" / "survey.json"
DEMO_TEXT = DEMO_FILE.read_text(encoding="utf-8")
SLUG = "satisfaction-usagers"
MODELS = (Survey, Section, Question, Choice, Wave, UserCategory, Channel)


def demo_doc() -> dict:
    """A fresh, mutable copy of the demo document."""
    return json.loads(DEMO_TEXT)


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def question(doc: dict, code: str) -> dict:
    return next(q for s in doc["sections"] for q in s["questions"] if q["code"] == code)


# -- the demo document and the round trip --------------------------------------------------------

def test_demo_document_is_valid():
    assert validate_document(demo_doc()) == []


@pytest.mark.django_db
def test_demo_file_is_in_canonical_form():
    """Importing the shipped file and exporting it gives back the file, byte for byte."""
    survey = survey_import(demo_doc())
    assert document_dumps(survey_export(survey)) == DEMO_TEXT


@pytest.mark.django_db
def test_export_import_export_is_identical_after_deletion():
    first = survey_export(survey_import(demo_doc()))
    Survey.objects.get(slug=SLUG).delete()
    UserCategory.objects.all().delete()
    Channel.objects.all().delete()

    second = survey_export(survey_import(copy.deepcopy(first)))

    assert second == first
    assert json.dumps(second, ensure_ascii=False) == json.dumps(first, ensure_ascii=False)  # key order too


@pytest.mark.django_db
def test_export_import_export_under_another_slug():
    first = survey_export(survey_import(demo_doc()))
    doc = copy.deepcopy(first)
    doc["survey"]["slug"] = "satisfaction-usagers-copie"

    second = survey_export(survey_import(doc))

    assert second["survey"].pop("slug") == "satisfaction-usagers-copie"
    first["survey"].pop("slug")
    assert second == first
    assert Survey.objects.count() == 2


@pytest.mark.django_db
def test_import_writes_order_targeting_channels_and_waves():
    survey = survey_import(demo_doc())
    assert [s.code for s in survey.sections.order_by("order")][:2] == ["core", "website"]
    sat_web = Question.objects.get(survey=survey, code="SAT_WEB")
    assert sat_web.channel.code == "website" and sat_web.section.code == "website"
    assert list(Section.objects.get(survey=survey, code="researchers").categories.values_list("code", flat=True)) == [
        "researchers"]
    assert list(Question.objects.get(code="PUBS_READ").choices.values_list("code", flat=True)) == [
        "key_figures", "in_depth", "quick_releases"]
    wave = survey.waves.get(code="2026")
    assert timezone.localtime(wave.opens_at).isoformat() == "2026-09-01T00:00:00+02:00"
    assert AuditLog.objects.filter(action="survey_import", target=SLUG).exists()


# -- malformed documents: exact message, nothing written -----------------------------------------

def _set(path_value):
    """A mutation setting doc[...][...] = value, the path given as a list of keys/indexes."""
    *path, value = path_value

    def mutate(doc):
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return mutate


def _delete(*path):
    def mutate(doc):
        target = doc
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return mutate


def _open_wave_with_incomplete_notice(doc):
    now = timezone.now()
    doc["waves"][1]["opens_at"] = (now - timedelta(days=1)).isoformat()
    doc["waves"][1]["closes_at"] = (now + timedelta(days=30)).isoformat()
    doc["survey"]["notice"]["dpo_contact"]["fr"] = "  "


MALFORMED = {
    "unknown question type": (
        _set(["sections", 2, "questions", 0, "type", "likert7"]),
        'sections[2].questions[0].type: unknown type "likert7" '
        "(expected one of: satisfaction, scale, nps, single, multiple, text, number, matrix)",
    ),
    "duplicate question code": (
        _set(["sections", 1, "questions", 1, "code", "SAT_OVERALL"]),
        'sections[1].questions[1].code: duplicate question code "SAT_OVERALL" (already sections[0].questions[0])',
    ),
    "duplicate section code": (
        _set(["sections", 3, "code", "website"]),
        'sections[3].code: duplicate section code "website" (already sections[1])',
    ),
    "duplicate choice code": (
        _set(["sections", 0, "questions", 3, "choices", 1, "code", "website"]),
        'sections[0].questions[3].choices[1].code: duplicate choice code "website"',
    ),
    "single question without choices": (
        _set(["sections", 2, "questions", 1, "choices", []]),
        "sections[2].questions[1].choices: a single question needs choices",
    ),
    "matrix without items": (
        _delete("sections", 1, "questions", 2, "choices"),
        "sections[1].questions[2].choices: a matrix question needs items (rows)",
    ),
    "section condition on a later question": (
        _set(["sections", 1, "condition", {"question": "SAT_PUBS", "op": ">=", "value": 3}]),
        'sections[1].condition.question: unknown or later question "SAT_PUBS"',
    ),
    "question condition on the same section": (
        _set(["sections", 0, "questions", 1, "condition", {"question": "SAT_OVERALL", "op": "<=", "value": 2}]),
        'sections[0].questions[1].condition.question: unknown or later question "SAT_OVERALL"',
    ),
    "condition without in/op": (
        _set(["sections", 1, "condition", {"question": "CHANNELS_USED"}]),
        'sections[1].condition: needs "in" or "op"',
    ),
    "condition on a code the question does not have": (
        _set(["sections", 1, "condition", {"any": [{"question": "CHANNELS_USED", "in": ["web"]}]}]),
        'sections[1].condition.any[0].in[0]: "web" is not a choice of CHANNELS_USED',
    ),
    "unknown category": (
        _set(["sections", 7, "categories", ["chercheurs"]]),
        'sections[7].categories[0]: unknown category "chercheurs"',
    ),
    "unknown channel": (
        _set(["sections", 1, "questions", 0, "channel", "site_web"]),
        'sections[1].questions[0].channel: unknown channel "site_web"',
    ),
    "wave closing before it opens": (
        _set(["waves", 0, "closes_at", "2025-01-01T00:00:00+01:00"]),
        "waves[0].closes_at: must be after opens_at",
    ),
    "overlapping waves": (
        _set(["waves", 1, "opens_at", "2025-03-01T00:00:00+01:00"]),
        "waves[1].opens_at: must not be before the previous wave closes (waves[0].closes_at)",
    ),
    "date not ISO 8601": (
        _set(["waves", 1, "opens_at", "1er septembre 2026"]),
        "waves[1].opens_at: must be an ISO 8601 date-time (e.g. 2026-09-01T00:00:00+02:00)",
    ),
    "bad slug": (
        _set(["survey", "slug", "satisfaction usagers!"]),
        'survey.slug: invalid slug "satisfaction usagers!" (letters, digits, "-" and "_" only, at most 60 characters)',
    ),
    "min above max": (
        _set(["sections", 12, "questions", 1, "min_value", 150]),
        "sections[12].questions[1].max_value: must be at least min_value (150)",
    ),
    "bounds on a non-number question": (
        _set(["sections", 0, "questions", 0, "max_value", 7]),
        "sections[0].questions[0].max_value: only number questions have bounds",
    ),
    "wrong schema": (
        _set(["schema", "ecoute.form"]),
        'schema: expected "ecoute.survey", got "ecoute.form"',
    ),
    "future version": (
        _set(["version", 2]),
        "version: unsupported version 2 (this application reads version 1)",
    ),
    "missing required key": (
        _delete("sections", 0, "questions", 0, "text"),
        "sections[0].questions[0].text: required",
    ),
    "wrong value type": (
        _set(["sections", 0, "questions", 0, "required", "yes"]),
        "sections[0].questions[0].required: must be true or false",
    ),
    "unknown key (typo)": (
        _set(["sections", 0, "questions", 0, "requried", True]),
        'sections[0].questions[0]: unknown key "requried"',
    ),
    "empty French text": (
        _set(["sections", 4, "title", {"fr": " ", "en": "Data access"}]),
        "sections[4].title.fr: must not be empty",
    ),
    "text too long": (
        _set(["survey", "title", {"fr": "É" * 201}]),
        "survey.title.fr: too long (201 characters, at most 200)",
    ),
    "NUL character": (
        _set(["sections", 0, "questions", 0, "text", {"fr": "Satisfait\x00 ?", "en": ""}]),
        "sections[0].questions[0].text.fr: contains a NUL character",
    ),
    "threshold outside the scale": (
        _set(["sections", 0, "questions", 0, "threshold", 6]),
        "sections[0].questions[0].threshold: must be between 1 and 5",
    ),
    "reserved section code": (
        _set(["sections", 12, "code", "recapitulatif"]),
        'sections[12].code: "recapitulatif" is reserved by the questionnaire wizard',
    ),
    "condition on a score outside the scale": (
        _set(["sections", 12, "questions", 0, "condition", {"question": "SAT_OVERALL", "in": [1, "website"]}]),
        'sections[12].questions[0].condition.in[1]: "website" is not a score of SAT_OVERALL (1 to 5)',
    ),
    "condition with a list as operator": (
        _set(["sections", 12, "questions", 0, "condition", {"question": "SAT_OVERALL", "op": ["<="], "value": 2}]),
        "sections[12].questions[0].condition.op: must be an operator (a string)",
    ),
    "choices not a list": (
        _set(["sections", 0, "questions", 0, "choices", {}]),
        "sections[0].questions[0].choices: must be a list",
    ),
    "open wave with an incomplete notice": (
        _open_wave_with_incomplete_notice,
        "waves[1]: this wave is open now, so the information notice must be complete (missing in French: dpo_contact)",
    ),
    "module targeting a category the survey does not offer": (
        _set(["survey", "categories", ["general_public", "journalists"]]),
        'sections[7].categories[0]: category "researchers" is not among the survey\'s categories (survey.categories)',
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("mutate,message", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_document_is_refused_with_its_path_and_writes_nothing(mutate, message):
    doc = demo_doc()
    mutate(doc)
    before = row_counts()

    with pytest.raises(SurveyImportError) as exc_info:
        survey_import(doc)

    assert str(exc_info.value) == message
    assert row_counts() == before
    assert not AuditLog.objects.filter(action="survey_import").exists()


def _paths(node, prefix=()):
    yield prefix
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in children:
        yield from _paths(child, (*prefix, key))


def test_validation_never_crashes_on_junk_values():
    """Whatever value stands anywhere in a section, the survey block or a wave: messages, not exceptions."""
    doc = demo_doc()
    small = {**doc, "sections": [doc["sections"][0], doc["sections"][1], doc["sections"][12]]}
    for path in _paths({k: small[k] for k in ("survey", "waves", "sections")}):
        if not path or path[0] == "survey" and len(path) > 1 and path[1] == "notice":
            continue
        for junk in (None, [], {}, True, "x", 1.5):
            mutated = copy.deepcopy(small)
            target = mutated
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = junk
            assert isinstance(validate_document(mutated), list)


def test_document_that_is_not_an_object():
    assert validate_document(["schema", "ecoute.survey"]) == ["document: must be a JSON object"]


def test_validation_reports_every_error_in_document_order():
    doc = demo_doc()
    doc["survey"]["min_cell"] = 0
    doc["sections"][2]["questions"][0]["type"] = "likert7"
    doc["sections"][12]["questions"][2]["max_length"] = 0

    assert validate_document(doc) == [
        "survey.min_cell: must be between 1 and 1000",
        'sections[2].questions[0].type: unknown type "likert7" '
        "(expected one of: satisfaction, scale, nps, single, multiple, text, number, matrix)",
        "sections[12].questions[2].max_length: must be between 1 and 10000",
    ]


def test_html_in_texts_is_accepted_as_plain_text():
    """Texts are plain text, escaped when rendered: markup is not a reason to refuse a file."""
    doc = demo_doc()
    question(doc, "SAT_OVERALL")["text"]["fr"] = "Êtes-vous <b>satisfait</b> ? <script>alert(1)</script>"
    assert validate_document(doc) == []


def test_wizard_step_names_are_reserved():
    assert {wizard.CATEGORY_STEP, wizard.REVIEW_STEP} <= RESERVED_SECTION_CODES


def test_minimal_document_uses_model_defaults():
    doc = {"schema": "ecoute.survey", "version": 1, "survey": {"slug": "mini", "title": {"fr": "Mini"}},
           "sections": [{"code": "s", "title": {"fr": "S"}, "questions": [
               {"code": "Q1", "type": "satisfaction", "text": {"fr": "Satisfait ?"}}]}]}
    assert validate_document(doc) == []


@pytest.mark.django_db
def test_minimal_document_imports_with_defaults():
    doc = {"schema": "ecoute.survey", "version": 1, "survey": {"slug": "mini", "title": {"fr": "Mini"}},
           "sections": [{"code": "s", "title": {"fr": "S"}, "questions": [
               {"code": "Q1", "type": "satisfaction", "text": {"fr": "Satisfait ?"}}]}]}
    survey = survey_import(doc)
    assert (survey.min_cell, survey.retention_drafts_days, survey.allow_erasure) == (5, 90, True)
    exported = survey_export(survey)
    assert exported["sections"][0]["questions"][0]["required"] is False
    assert validate_document(exported) == []


# -- existing slug, replace ------------------------------------------------------------------------

@pytest.mark.django_db
def test_existing_slug_is_refused_without_replace():
    survey_import(demo_doc())
    before = row_counts()

    with pytest.raises(SurveyImportError) as exc_info:
        survey_import(demo_doc())

    assert str(exc_info.value) == (
        'survey.slug: a survey "satisfaction-usagers" already exists (import with replace to rebuild it)')
    assert row_counts() == before


@pytest.mark.django_db
def test_replace_rebuilds_the_survey_in_place_and_keeps_its_owners(django_user_model):
    original = survey_import(demo_doc())
    owner = django_user_model.objects.create_user("qualite")
    original.owners.add(owner)
    doc = demo_doc()
    doc["survey"]["title"]["fr"] = "Enquête de satisfaction 2026"
    del doc["sections"][11]  # drop the journalists module

    replaced = survey_import(doc, replace=True)

    assert replaced.pk == original.pk
    assert list(replaced.owners.all()) == [owner]
    assert replaced.title_fr == "Enquête de satisfaction 2026"
    assert not Question.objects.filter(code__startswith="JOU_").exists()
    assert survey_export(replaced) == doc
    assert replaced.notice_version == original.notice_version  # same notice text: same version


@pytest.mark.django_db
def test_replace_with_a_changed_notice_bumps_its_version():
    original = survey_import(demo_doc())
    doc = demo_doc()
    doc["survey"]["notice"]["retention"]["fr"] += " Les verbatims sont relus avant exploitation."

    assert survey_import(doc, replace=True).notice_version == original.notice_version + 1


@pytest.mark.django_db
def test_replace_is_refused_when_the_survey_has_responses():
    survey = survey_import(demo_doc())
    Response.objects.create(survey=survey, wave=survey.waves.get(code="2026"),
                            category=UserCategory.objects.get(code="researchers"))
    doc = demo_doc()
    doc["survey"]["title"]["fr"] = "Nouveau titre"
    before = row_counts()

    with pytest.raises(SurveyImportError) as exc_info:
        survey_import(doc, replace=True)

    assert str(exc_info.value) == (
        'survey.slug: cannot replace survey "satisfaction-usagers": it already has 1 response(s), whose answers '
        "refer to its questions and waves; import the new version under another slug")
    assert row_counts() == before
    assert Survey.objects.get(slug=SLUG).title_fr == "Enquête de satisfaction des utilisateurs"


@pytest.mark.django_db
def test_replace_is_refused_when_participants_are_invited():
    survey = survey_import(demo_doc())
    participant = Participant(survey=survey, wave=survey.waves.get(code="2026"), email="a@example.org",
                              category=UserCategory.objects.get(code="journalists"))
    participant.issue_token()
    participant.save()

    with pytest.raises(SurveyImportError, match=r"already has 1 invited participant\(s\)"):
        survey_import(demo_doc(), replace=True)
    assert Participant.objects.count() == 1


# -- commands ----------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_import_then_export_commands_round_trip(tmp_path):
    out = StringIO()
    call_command("import_survey", str(DEMO_FILE), stdout=out)
    assert 'Imported survey "satisfaction-usagers": 13 sections' in out.getvalue()

    target = tmp_path / "export.json"
    call_command("export_survey", SLUG, "-o", str(target), stdout=StringIO())
    text = target.read_text(encoding="utf-8")
    assert text == DEMO_TEXT
    assert "Enquête de satisfaction" in text  # UTF-8, not \u escapes

    stdout = StringIO()
    call_command("export_survey", SLUG, stdout=stdout)
    assert stdout.getvalue() == DEMO_TEXT


@pytest.mark.django_db
def test_import_command_replace_option():
    call_command("import_survey", str(DEMO_FILE), stdout=StringIO())
    with pytest.raises(CommandError, match="already exists"):
        call_command("import_survey", str(DEMO_FILE), stdout=StringIO())
    out = StringIO()
    call_command("import_survey", str(DEMO_FILE), "--replace", stdout=out)
    assert "Replaced" in out.getvalue()
    assert Survey.objects.count() == 1


@pytest.mark.django_db
def test_import_command_reports_every_error_and_writes_nothing(tmp_path):
    doc = demo_doc()
    doc["sections"][2]["questions"][0]["type"] = "likert7"
    doc["waves"][0]["closes_at"] = "2025-01-01T00:00:00+01:00"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")

    with pytest.raises(CommandError) as exc_info:
        call_command("import_survey", str(bad), stdout=StringIO())

    assert str(exc_info.value) == (
        "waves[0].closes_at: must be after opens_at\n(1 more error)\n"
        'sections[2].questions[0].type: unknown type "likert7" '
        "(expected one of: satisfaction, scale, nps, single, multiple, text, number, matrix)")
    assert Survey.objects.count() == 0


def test_import_command_exits_non_zero_with_the_path_on_stderr_and_no_traceback(tmp_path, capsys):
    """As run from a shell: status 1, the message on stderr, no traceback (validation reads no database)."""
    doc = demo_doc()
    doc["sections"][2]["questions"][0]["type"] = "likert7"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")

    with pytest.raises(SystemExit) as exc_info:
        ImportSurveyCommand().run_from_argv(["manage.py", "import_survey", "--skip-checks", str(bad)])

    assert exc_info.value.code == 1
    err = capsys.readouterr().err
    assert 'CommandError: sections[2].questions[0].type: unknown type "likert7"' in err
    assert "Traceback" not in err


def test_import_command_invalid_json(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "ecoute.survey",', encoding="utf-8")
    with pytest.raises(CommandError) as exc_info:
        call_command("import_survey", str(bad))
    assert str(exc_info.value) == (
        f"{bad}: invalid JSON at line 1, column 28: Expecting property name enclosed in double quotes")


def test_import_command_missing_file(tmp_path):
    with pytest.raises(CommandError, match=r"nope\.json: cannot read the file \(No such file or directory\)"):
        call_command("import_survey", str(tmp_path / "nope.json"))


@pytest.mark.django_db
def test_export_command_unknown_slug():
    with pytest.raises(CommandError, match='no survey with slug "inconnue"'):
        call_command("export_survey", "inconnue")
