"""The workbench's services: condition rows <-> JSON, guarded moves and removals, duplication."""

from __future__ import annotations

import pytest

from surveys.logic import condition_met
from surveys.models import Question, Section, Survey, SurveyStatus
from surveys.services.condition_builder import (
    Row, RowError, Rows, condition_to_rows, describe, rows_to_condition,
)
from surveys.services.duplicate import survey_duplicate
from surveys.services.import_export import SurveyImportError, survey_export
from surveys.services.outline import DOWN, UP, OutlineRefused, delete_question, move_question, move_section
from tests import factories

# -- rows <-> condition (pure) -----------------------------------------------------------------


def test_no_row_with_a_question_means_no_condition():
    assert rows_to_condition(Rows([Row("", "in", ""), Row("", ">=", " ")])) is None
    assert condition_to_rows(None) == Rows()


def test_one_row_in_becomes_a_bare_leaf_with_trimmed_codes():
    assert rows_to_condition(Rows([Row("USED", "in", " web , contact;")])) == {
        "question": "USED", "in": ["web", "contact"]}


def test_not_in_row_is_stored_as_not_of_in_and_evaluates_as_not():
    condition = rows_to_condition(Rows([Row("USED", "not_in", "web")]))
    assert condition == {"not": {"question": "USED", "in": ["web"]}}
    assert condition_met(condition, {"USED": ["contact"]}) is True
    assert condition_met(condition, {"USED": ["web"]}) is False


def test_a_comparison_takes_a_number_with_a_decimal_comma():
    assert rows_to_condition(Rows([Row("SAT", "<=", "2")])) == {"question": "SAT", "op": "<=", "value": 2}
    assert rows_to_condition(Rows([Row("N", ">", "2,5")])) == {"question": "N", "op": ">", "value": 2.5}


def test_a_comparison_without_a_number_names_its_row():
    with pytest.raises(RowError) as exc:
        rows_to_condition(Rows([Row("A", "in", "x"), Row("", "in", ""), Row("SAT", ">=", "beaucoup")]))
    assert exc.value.index == 2


def test_a_value_without_its_question_is_refused_on_the_question():
    with pytest.raises(RowError) as exc:
        rows_to_condition(Rows([Row("", "in", "web")]))
    assert (exc.value.index, exc.value.field) == (0, "question")


def test_in_without_values_is_refused():
    with pytest.raises(RowError):
        rows_to_condition(Rows([Row("USED", "in", " , ")]))


def test_several_rows_any_negated_build_not_any_and_evaluate_by_hand():
    rows = Rows([Row("SAT", "<=", "2"), Row("USED", "in", "web")], mode="any", negate=True)
    condition = rows_to_condition(rows)
    assert condition == {"not": {"any": [{"question": "SAT", "op": "<=", "value": 2},
                                         {"question": "USED", "in": ["web"]}]}}
    # not (SAT <= 2 or web used): true only when satisfied and web not used
    assert condition_met(condition, {"SAT": 4, "USED": ["contact"]}) is True
    assert condition_met(condition, {"SAT": 1, "USED": ["contact"]}) is False
    assert condition_met(condition, {"SAT": 4, "USED": ["web"]}) is False


@pytest.mark.parametrize("condition", [
    {"question": "USED", "in": ["web", "contact"]},
    {"question": "SAT", "op": ">=", "value": 4},
    {"not": {"question": "USED", "in": ["web"]}},
    {"all": [{"question": "SAT", "op": "<", "value": 3}, {"not": {"question": "USED", "in": ["web"]}}]},
    {"not": {"any": [{"question": "A", "in": ["1"]}, {"question": "B", "op": "!=", "value": 2.5}]}},
])
def test_stored_shapes_the_rows_can_show_read_back_identically(condition):
    rows = condition_to_rows(condition)
    assert rows is not None
    assert rows_to_condition(rows) == condition


@pytest.mark.parametrize("condition", [
    {"all": [{"any": [{"question": "A", "in": ["1"]}]}, {"question": "B", "in": ["2"]}]},
    {"not": {"not": {"question": "A", "in": ["1"]}}},
    {"question": "A", "in": ["1"], "extra": 1},
])
def test_nested_or_unknown_shapes_are_not_shown_as_rows(condition):
    assert condition_to_rows(condition) is None


def test_describe_reads_a_condition_in_words():
    text = describe({"all": [{"question": "SAT", "op": "<=", "value": 2}, {"question": "U", "in": ["web"]}]})
    assert text == "(SAT est inférieur ou égal à 2 et U est parmi web)"


# -- outline moves (database) ------------------------------------------------------------------


def _section_codes(survey: Survey) -> list[str]:
    return list(survey.sections.order_by("order", "id").values_list("code", flat=True))


@pytest.mark.django_db
def test_moving_a_section_down_swaps_it_with_the_next_one(survey):
    research = survey.sections.get(code="research")
    move_section(research, DOWN)
    assert _section_codes(survey) == ["core", "web", "press", "research", "end"]


@pytest.mark.django_db
def test_moving_the_first_section_up_changes_nothing(survey):
    move_section(survey.sections.get(code="core"), UP)
    assert _section_codes(survey) == ["core", "web", "research", "press", "end"]


@pytest.mark.django_db
def test_a_move_that_puts_a_condition_before_its_question_is_refused_and_rolled_back(survey):
    # "web" is shown when USED (in "core") says web: moving "web" above "core" would look ahead
    with pytest.raises(OutlineRefused) as exc:
        move_section(survey.sections.get(code="web"), UP)
    assert any("USED" in p for p in exc.value.problems)
    assert _section_codes(survey) == ["core", "web", "research", "press", "end"]


@pytest.mark.django_db
def test_moves_renumber_equal_orders_and_bump_the_structure_cache_key(survey):
    Section.objects.filter(survey=survey).update(order=0)
    before = Survey.objects.get(pk=survey.pk).updated_at
    ids = list(survey.sections.order_by("order", "id").values_list("pk", flat=True))
    move_section(Section.objects.get(pk=ids[2]), UP)
    assert list(survey.sections.order_by("order", "id").values_list("pk", flat=True)) == [
        ids[0], ids[2], ids[1], ids[3], ids[4]]
    assert sorted(survey.sections.values_list("order", flat=True)) == [1, 2, 3, 4, 5]
    assert Survey.objects.get(pk=survey.pk).updated_at > before


@pytest.mark.django_db
def test_moving_a_question_up_within_its_section(survey):
    move_question(Question.objects.get(survey=survey, code="USED"), UP)
    core = survey.sections.get(code="core")
    assert list(core.questions.order_by("order", "id").values_list("code", flat=True)) == [
        "SAT_OVERALL", "USED", "NPS"]


@pytest.mark.django_db
def test_a_question_another_condition_names_cannot_be_deleted(survey):
    Survey.objects.filter(pk=survey.pk).update(status=SurveyStatus.DRAFT)
    with pytest.raises(OutlineRefused):
        delete_question(Question.objects.get(survey=survey, code="USED"))
    assert Question.objects.filter(survey=survey, code="USED").exists()
    delete_question(Question.objects.get(survey=survey, code="NPS"))
    assert not Question.objects.filter(survey=survey, code="NPS").exists()


# -- duplicate ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_duplicate_is_a_draft_copy_without_waves_owned_by_its_copier(survey):
    user = factories.staff_user("copier", "designers", surveys=[survey])
    copy = survey_duplicate(survey, "copie", actor=user)
    assert copy.status == SurveyStatus.DRAFT and copy.pk != survey.pk
    assert copy.title_fr == f"{survey.title_fr} (copie)"
    assert not copy.waves.exists()
    assert list(copy.owners.all()) == [user]
    original, copied = survey_export(survey), survey_export(copy)
    assert copied["sections"] == original["sections"]
    assert Question.objects.filter(survey=copy).count() == Question.objects.filter(survey=survey).count() == 11


@pytest.mark.django_db
def test_a_duplicate_under_a_taken_slug_is_refused(survey):
    with pytest.raises(SurveyImportError):
        survey_duplicate(survey, survey.slug)
