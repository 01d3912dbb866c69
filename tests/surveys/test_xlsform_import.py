"""XLSForm import: pyxform's example files, every mapped type, and exact refusals naming sheet/row/column."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from surveys.logic import condition_met
from surveys.models import Question, Survey
from surveys.services.xlsform_import import XLSFormError, xlsform_import, xlsform_to_document

from .xlsform_books import DATA, EN, FR, write_book


def _questions(document):
    return [(q["code"], q["type"]) for s in document["sections"] for q in s["questions"]]


# -- pyxform's own example files ---------------------------------------------------------------

@pytest.mark.django_db
def test_text_and_integer_gives_a_text_and_a_number_question():
    survey, result = xlsform_import(DATA / "text_and_integer.xlsx")
    assert survey.slug == "text_and_integer"
    assert [(s.code, s.title_fr) for s in survey.sections.order_by("order")] == [("section-1", "text_and_integer")]
    assert [(q.code, q.type, q.text_fr, q.text_en) for q in survey.questions.order_by("order")] == [
        ("your_name", "text", "What is your name?", "What is your name?"),
        ("your_age", "number", "How many years old are you?", "How many years old are you?"),
    ]
    assert result.warnings == [] and result.notes == []


@pytest.mark.django_db
def test_yes_or_no_question_gives_a_single_choice_with_its_two_choices():
    survey, _ = xlsform_import(DATA / "yes_or_no_question.xlsx")
    question = survey.questions.get()
    assert (question.code, question.type, question.text_en) == ("good_day", "single", "have you had a good day today?")
    assert [(c.code, c.label_fr, c.label_en) for c in question.choices.order_by("order")] == [
        ("yes", "yes", "yes"), ("no", "no", "no")]


@pytest.mark.django_db
def test_specify_other_adds_the_other_choice_and_a_text_question_shown_on_the_next_page():
    survey, result = xlsform_import(DATA / "specify_other.xlsx")
    sections = list(survey.sections.order_by("order"))
    assert [s.code for s in sections] == ["section-1", "section-1-2"]
    sex = Question.objects.get(survey=survey, code="sex")
    assert sex.type == "single" and sex.section == sections[0]
    assert [(c.code, c.label_fr, c.label_en) for c in sex.choices.order_by("order")] == [
        ("male", "Male", "Male"), ("female", "Female", "Female"), ("other", "Autre", "Other")]
    other = Question.objects.get(survey=survey, code="sex_other")
    assert (other.type, other.section, other.condition) == ("text", sections[1], {"question": "sex", "in": ["other"]})
    assert (other.text_fr, other.text_en) == ("Autre, précisez :", "Other, please specify:")
    assert result.notes == ['section "section-1-2" continues "section-1" on a new page '
                            "(sex_other depends on a question of the same page)"]


@pytest.mark.django_db
def test_group_with_a_phone_number_is_refused_and_imported_without_it_when_lenient():
    with pytest.raises(XLSFormError) as refused:
        xlsform_import(DATA / "group.xlsx")
    assert refused.value.errors == ['survey sheet, row 4, column "type": type "phone number" has no equivalent in Écoute']
    assert not Survey.objects.exists()

    survey, result = xlsform_import(DATA / "group.xlsx", lenient=True)
    assert result.warnings == refused.value.errors
    assert [(s.code, s.title_fr, s.title_en) for s in survey.sections.order_by("order")] == [
        ("section-1", "group", ""), ("father", "Father", "Father")]
    assert [(q.section.code, q.code, q.type) for q in survey.questions.order_by("section__order", "order")] == [
        ("section-1", "family_name", "text"), ("father", "age", "number")]


# -- every mapped type, languages, conditions --------------------------------------------------

HEADERS = ["type", "name", FR, EN, "hint::Français (fr)", "hint::English (en)", "required", "relevant", "constraint",
           "ecoute_role", "ecoute_channel", "ecoute_categories", "ecoute_threshold"]


def _full_form(tmp_path):
    survey = [
        HEADERS,
        ["select_one sat", "SAT", "Satisfait ?", "Satisfied?", "Aide", "Help", "yes", "", "", "satisfaction",
         "website", "", "4"],
        ["select_one zero10", "NPS", "Recommanderiez-vous ?", "Recommend?", "", "", "", "", "", "nps", "", "", ""],
        ["select_multiple uses", "USES", "Usages", "Uses", "", "", "true()", "", "", "", "", "", ""],
        ["begin group", "details", "Détails", "Details", "", "", "", "${SAT} >= 4 and selected(${USES}, 'web')", "",
         "", "", "researchers", ""],
        ["note", "hello", "Bonjour", "Hello", "", "", "", "", "", "", "", "", ""],
        ["decimal", "HOURS", "Heures", "Hours", "", "", "", "not(${SAT} = '1')", ". >= 0 and . <= 24", "", "", "",
         ""],
        ["text", "WHY", "Pourquoi ?", "Why?", "", "", "", "${NPS} != 10 or (${SAT}='1' or ${SAT}='2')",
         "string-length(.) <= 500", "", "", "", ""],
        ["select_one yn", "AGAIN", "Encore ?", "Again?", "", "", "", "", "", "", "", "", ""],
        ["end group"],
    ]
    choices = [["list_name", "name", FR, EN]]
    choices += [["sat", str(i), f"note {i}", f"score {i}"] for i in range(1, 6)] + [["sat", "nsp", "NSP", "DK"]]
    choices += [["zero10", str(i), str(i), str(i)] for i in range(11)]
    choices += [["uses", "web", "Site", "Website"], ["uses", "pubs", "Publications", "Publications"]]
    choices += [["yn", "y", "Oui", "Yes"], ["yn", "n", "Non", "No"], ["yn", "nsp", "NSP", "DK"]]
    settings = [["form_title", "form_id"], ["Enquête test", "enquete-test"]]
    ecoute = [["kind", "code", FR, EN, "value"], ["channel", "website", "Site internet", "Website", "1"],
              ["category", "researchers", "Chercheurs", "Researchers", "1"]]
    return write_book(tmp_path / "full.xlsx", survey, choices, settings, extra={"ecoute": ecoute})


@pytest.mark.django_db
def test_every_mapped_type_condition_and_language_reaches_the_survey(tmp_path):
    survey, result = xlsform_import(_full_form(tmp_path))
    assert (survey.slug, survey.title_fr) == ("enquete-test", "Enquête test")
    assert result.warnings == []
    sections = list(survey.sections.order_by("order"))
    assert [(s.code, s.intro_fr, s.intro_en) for s in sections] == [
        ("section-1", "", ""), ("details", "Bonjour", "Hello")]
    assert [c.code for c in sections[1].categories.all()] == ["researchers"]
    assert sections[1].condition == {"all": [{"question": "SAT", "op": ">=", "value": 4},
                                             {"question": "USES", "in": ["web"]}]}
    q = {x.code: x for x in survey.questions.select_related("channel")}
    assert [(c, q[c].type) for c in ("SAT", "NPS", "USES", "HOURS", "WHY", "AGAIN")] == [
        ("SAT", "satisfaction"), ("NPS", "nps"), ("USES", "multiple"), ("HOURS", "number"), ("WHY", "text"),
        ("AGAIN", "single")]
    assert (q["SAT"].text_fr, q["SAT"].text_en, q["SAT"].help_fr, q["SAT"].help_en) == (
        "Satisfait ?", "Satisfied?", "Aide", "Help")
    assert (q["SAT"].required, q["SAT"].allow_dont_know, q["SAT"].channel.code, q["SAT"].threshold) == (
        True, True, "website", 4)
    assert (q["USES"].required, q["NPS"].required, q["NPS"].allow_dont_know) == (True, False, False)
    assert (q["HOURS"].min_value, q["HOURS"].max_value, q["WHY"].max_length) == (0, 24, 500)
    assert q["HOURS"].condition == {"not": {"question": "SAT", "in": ["1"]}}
    assert q["WHY"].condition == {"any": [{"not": {"question": "NPS", "in": ["10"]}},
                                          {"question": "SAT", "in": ["1", "2"]}]}
    assert [c.code for c in q["AGAIN"].choices.order_by("order")] == ["y", "n"] and q["AGAIN"].allow_dont_know
    assert q["SAT"].choices.count() == 0


@pytest.mark.django_db
def test_imported_conditions_read_as_xpath_does_when_unanswered(tmp_path):
    survey, _ = xlsform_import(_full_form(tmp_path))
    why = survey.questions.get(code="WHY").condition
    assert condition_met(why, {}) is True           # ${NPS} != 10 holds for an empty NPS in XPath
    assert condition_met(why, {"NPS": 10, "SAT": 4}) is False
    assert condition_met(why, {"NPS": 10, "SAT": 2}) is True


# -- refusals ------------------------------------------------------------------------------------

def _one_question(tmp_path, row: list, headers: list | None = None, choices: list | None = None):
    headers = headers or ["type", "name", FR, "relevant", "calculation", "choice_filter", "repeat_count"]
    rows = [headers, ["integer", "A", "A ?"], ["select_one yn", "B", "B ?"], row, ["integer", "U", "U ?"]]
    return write_book(tmp_path / "one.xlsx", rows,
                      choices or [["list_name", "name", FR, "filter"], ["yn", "y", "Oui", "x"], ["yn", "n", "Non", "x"]])


@pytest.mark.parametrize(("row", "message"), [
    (["calculate", "C", "", "", "${A} * 2"],
     'survey sheet, row 4, column "type": "calculate": a calculate cannot be represented (Écoute stores answers, not '
     "computed values)"),
    (["text", "T", "T ?", "string-length(${A}) > 2"],
     'survey sheet, row 4, column "relevant": cannot be represented as a condition: expected a quoted code or a '
     "number: unexpected \"string-length(\" at character 1 in 'string-length(${A}) > 2'"),
    (["text", "T", "T ?", "${A} = 1 and ${U} = 2"],
     'survey sheet, row 4, column "relevant": cannot be represented as a condition: unknown or later question "U" in '
     "'${A} = 1 and ${U} = 2'"),
    (["select_one yn", "F", "F ?", "", "", "filter=${B}"],
     'survey sheet, row 4, column "choice_filter": a choice_filter cannot be represented (every choice is shown)'),
    (["date", "D", "D ?"], 'survey sheet, row 4, column "type": type "date" has no equivalent in Écoute'),
    (["note", "N", "Note", "${A} > 2"],
     'survey sheet, row 4, column "relevant": a note is shown with its page: its own relevant cannot be represented'),
])
@pytest.mark.django_db
def test_what_cannot_be_represented_is_refused_with_sheet_row_and_column(tmp_path, row, message):
    with pytest.raises(XLSFormError) as refused:
        xlsform_to_document(_one_question(tmp_path, row))
    assert refused.value.errors == [message]


@pytest.mark.django_db
def test_a_repeat_is_refused_and_left_out_when_lenient(tmp_path):
    path = write_book(tmp_path / "r.xlsx", [["type", "name", FR], ["integer", "A", "A ?"], ["begin repeat", "R", "R"],
                                             ["text", "T", "T ?"], ["end repeat"]])
    message = ('survey sheet, row 3, column "type": "begin repeat": a repeat cannot be represented (Écoute asks each '
               "question once)")
    with pytest.raises(CommandError) as refused:
        call_command("import_xlsform", str(path))
    assert refused.value.returncode == 2
    assert str(refused.value) == f"{path}: not imported\n{message}"
    assert not Survey.objects.exists()
    result = xlsform_to_document(path, lenient=True)
    assert result.warnings == [message]
    assert _questions(result.document) == [("A", "number")]


@pytest.mark.django_db
def test_a_language_other_than_french_and_english_is_refused_naming_its_column(tmp_path):
    path = write_book(tmp_path / "l.xlsx", [["type", "name", FR, "label::Español (es)"], ["integer", "A", "A ?", "¿A?"]])
    with pytest.raises(XLSFormError) as refused:
        xlsform_to_document(path)
    assert refused.value.errors == [
        'survey sheet, row 1, column "label::Español (es)": language "Español (es)" is neither French nor English']
    assert xlsform_to_document(path, lenient=True).document["sections"][0]["questions"][0]["text"] == {
        "fr": "A ?", "en": ""}


@pytest.mark.django_db
def test_the_common_validation_errors_are_located_in_the_sheet(tmp_path):
    path = write_book(tmp_path / "v.xlsx", [["type", "name", FR, "ecoute_channel"], ["integer", "A", "A ?", "nowhere"]])
    with pytest.raises(XLSFormError) as refused:
        xlsform_to_document(path)
    assert refused.value.errors == ['survey sheet, row 2, column "ecoute_channel": channel: unknown channel "nowhere"']


@pytest.mark.django_db
def test_pyxform_refusals_are_reported_and_nothing_written(tmp_path):
    path = write_book(tmp_path / "p.xlsx", [["type", "name", FR], ["select_one missing", "A", "A ?"]])
    with pytest.raises(CommandError) as refused:
        call_command("import_xlsform", str(path))
    assert refused.value.returncode == 2
    assert str(refused.value).splitlines()[1].startswith("XLSForm refused by pyxform: There should be a choices sheet")
    assert not Survey.objects.exists()


@pytest.mark.django_db
def test_lenient_command_prints_each_warning(tmp_path, capsys):
    call_command("import_xlsform", str(DATA / "group.xlsx"), "--lenient", "--slug", "famille")
    err = capsys.readouterr().err
    assert err.strip() == ('warning: survey sheet, row 4, column "type": type "phone number" has no equivalent in '
                           "Écoute (left out)")
    assert Survey.objects.get().slug == "famille"


@pytest.mark.django_db
def test_a_closing_note_with_no_question_after_it_is_refused_not_dropped(tmp_path):
    path = write_book(tmp_path / "n.xlsx", [["type", "name", FR], ["integer", "A", "A ?"], ["note", "bye", "Merci !"]])
    message = ('survey sheet, row 3: a note with no question after it on its page cannot be represented (a note is the '
               "introduction of a page)")
    with pytest.raises(XLSFormError) as refused:
        xlsform_to_document(path)
    assert refused.value.errors == [message]
    result = xlsform_to_document(path, lenient=True)
    assert result.warnings == [message] and [s["code"] for s in result.document["sections"]] == ["section-1"]


@pytest.mark.django_db
def test_errors_after_a_dropped_empty_group_point_at_the_right_row(tmp_path):
    path = write_book(tmp_path / "e.xlsx", [["type", "name", FR], ["begin group", "empty", "Vide"], ["end group"],
                                            ["begin group", "g", "G"], ["integer", "a.b", "A ?"], ["end group"]])
    with pytest.raises(XLSFormError) as refused:
        xlsform_to_document(path)
    assert refused.value.errors[0].startswith('survey sheet, row 5, column "name": code: invalid question code "a.b"')
