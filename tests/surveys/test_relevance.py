"""XLSForm relevant expressions <-> conditions, and the "not" condition."""

from __future__ import annotations

import pytest

from surveys.logic import ConditionError, condition_met, validate_condition
from surveys.services.import_export import validate_document
from surveys.services.relevance import RelevanceError, condition_to_relevant, relevant_to_condition

KINDS = {"A": "single", "M": "multiple", "N": "number", "S": "satisfaction"}


@pytest.mark.parametrize(("text", "condition"), [
    ("${A} = 'x'", {"question": "A", "in": ["x"]}),
    ("'x' = ${A}", {"question": "A", "in": ["x"]}),
    ("${A} != \"x\"", {"not": {"question": "A", "in": ["x"]}}),
    ("selected(${M}, 'a') or selected(${M}, 'b')", {"question": "M", "in": ["a", "b"]}),
    ("${N} >= 2.5", {"question": "N", "op": ">=", "value": 2.5}),
    ("3 < ${N}", {"question": "N", "op": ">", "value": 3}),
    ("${N}<=3", {"question": "N", "op": "<=", "value": 3}),
    ("${N} != 2", {"not": {"question": "N", "op": "==", "value": 2}}),
    ("${N} = 2", {"question": "N", "op": "==", "value": 2}),
    ("not(selected(${M}, 'a')) and (${N} >= 3 or ${S} <= 2)",
     {"all": [{"not": {"question": "M", "in": ["a"]}},
              {"any": [{"question": "N", "op": ">=", "value": 3}, {"question": "S", "op": "<=", "value": 2}]}]}),
])
def test_relevant_expressions_become_conditions(text, condition):
    assert relevant_to_condition(text, KINDS) == condition


@pytest.mark.parametrize(("text", "message"), [
    ("${M} = 'a'", "M is a select_multiple: write selected(${M}, 'a') rather than comparing it"),
    ("${A} = 'x' +", "expected the end of the expression: unexpected \"+\" at character 12 in \"${A} = 'x' +\""),
    ("${A} > 'x'", '">" compares numbers, not the code "x"'),
    ("(${A} = 'x'", "expected close_paren: unexpected the end in \"(${A} = 'x'\""),
    ("${Q} = 'x'", "unknown or later question \"Q\" in \"${Q} = 'x'\""),
])
def test_expressions_outside_the_model_are_refused_saying_where(text, message):
    with pytest.raises(RelevanceError) as refused:
        relevant_to_condition(text, KINDS)
    assert str(refused.value) == message


@pytest.mark.parametrize("condition", [
    {"question": "M", "in": ["a", "b"]},
    {"not": {"question": "A", "in": ["x", "y"]}},
    {"all": [{"question": "N", "op": "<", "value": 4}, {"any": [{"question": "S", "in": ["1"]},
                                                                {"not": {"question": "N", "op": "==", "value": 0}}]}]},
])
def test_written_relevant_reads_back_as_the_same_condition(condition):
    assert relevant_to_condition(condition_to_relevant(condition, KINDS), KINDS) == condition


def test_not_is_true_when_the_question_is_unanswered_and_validated_inside():
    condition = {"not": {"question": "A", "in": ["x"]}}
    assert condition_met(condition, {}) is True
    assert condition_met(condition, {"A": "x"}) is False
    assert condition_met(condition, {"A": "y"}) is True
    with pytest.raises(ConditionError, match=r"^condition.not.question: missing question code$"):
        validate_condition({"not": {"in": ["x"]}})


def test_the_document_validation_checks_the_codes_under_not():
    doc = {"schema": "ecoute.survey", "version": 1, "survey": {"slug": "s", "title": {"fr": "S"}}, "sections": [
        {"code": "a", "title": {"fr": "A"}, "questions": [
            {"code": "A", "type": "single", "text": {"fr": "A"}, "choices": [{"code": "x", "label": {"fr": "x"}}]}]},
        {"code": "b", "title": {"fr": "B"}, "condition": {"not": {"question": "A", "in": ["z"]}},
         "questions": [{"code": "B", "type": "text", "text": {"fr": "B"}}]}]}
    assert validate_document(doc) == ['sections[1].condition.not.in[0]: "z" is not a choice of A']
