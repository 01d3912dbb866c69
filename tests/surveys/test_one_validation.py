"""One validation: what the JSON importer refuses, the admin forms refuse too, as a form error."""

from __future__ import annotations

import copy
import html
import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from surveys.models import Choice, Question, Section
from surveys.services.import_export import survey_export, validate_document
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def designer(survey):
    user = factories.staff_user("dora", "designers", surveys=[survey])
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="surveys"))
    client = Client()
    client.force_login(user)
    return client


def _question_data(q: Question, **changes) -> dict:
    choices = list(q.choices.all())
    data = {"section": q.section_id, "code": q.code, "type": q.type, "text_fr": q.text_fr, "text_en": q.text_en,
            "help_fr": "", "help_en": "", "order": q.order, "condition": "null", "min_value": "", "max_value": "",
            "max_length": "", "threshold": "", "channel": "",
            "choices-TOTAL_FORMS": str(len(choices)), "choices-INITIAL_FORMS": str(len(choices)),
            "choices-MIN_NUM_FORMS": "0", "choices-MAX_NUM_FORMS": "1000"}
    for i, c in enumerate(choices):
        data.update({f"choices-{i}-id": c.pk, f"choices-{i}-question": q.pk, f"choices-{i}-code": c.code,
                     f"choices-{i}-label_fr": c.label_fr, f"choices-{i}-label_en": c.label_en,
                     f"choices-{i}-order": c.order})
    data.update(changes)
    return data


def _errors(resp) -> str:
    return html.unescape(" ".join(re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', resp.content.decode(), re.S)))


def _in_document(survey, section_code: str, question_code: str, **changes) -> list[str]:
    """The importer's verdict on the survey's own document with one question changed."""
    document = copy.deepcopy(survey_export(survey))
    section = next(s for s in document["sections"] if s["code"] == section_code)
    question = next(q for q in section["questions"] if q["code"] == question_code)
    question.update(changes)
    return validate_document(document)


CASES = [
    # (question, admin changes, document changes, expected words in both)
    ("SUGG", {"condition": '{"question": "NOPE", "in": ["x"]}'}, {"condition": {"question": "NOPE", "in": ["x"]}},
     "unknown or later question"),
    ("NPS", {"condition": '{"question": "VISITS", "op": ">", "value": 1}'},
     {"condition": {"question": "VISITS", "op": ">", "value": 1}}, "unknown or later question"),
    ("SUGG", {"code": "1BAD"}, {"code": "1BAD"}, "invalid question code"),
    ("SUGG", {"code": "A__B"}, {"code": "A__B"}, "reserved"),
    ("SUGG", {"min_value": "3"}, {"min_value": 3}, "only number questions have bounds"),
    ("WHY", {"condition": '{"question": "USED", "op": ">", "value": 1}'},
     {"condition": {"question": "USED", "op": ">", "value": 1}}, "comparing needs a numeric question"),
]


@pytest.mark.parametrize(("code", "admin_changes", "doc_changes", "words"), CASES)
def test_the_admin_refuses_what_the_importer_refuses_with_the_same_message(designer, survey, code, admin_changes,
                                                                           doc_changes, words):
    question = survey.questions.get(code=code)
    assert any(words in e for e in _in_document(survey, question.section.code, code, **doc_changes))
    before = Question.objects.values().get(pk=question.pk)
    resp = designer.post(reverse("admin:surveys_question_change", args=[question.pk]),
                         _question_data(question, **admin_changes))
    assert resp.status_code == 200
    assert words in _errors(resp)
    assert Question.objects.values().get(pk=question.pk) == before


def test_a_valid_change_still_saves(designer, survey):
    question = survey.questions.get(code="SUGG")
    resp = designer.post(reverse("admin:surveys_question_change", args=[question.pk]),
                         _question_data(question, condition='{"question": "SAT_OVERALL", "op": ">=", "value": 4}'))
    assert resp.status_code == 302, _errors(resp)
    question.refresh_from_db()
    assert question.condition == {"question": "SAT_OVERALL", "op": ">=", "value": 4}


def test_a_duplicate_question_code_is_a_form_error_not_a_500(designer, survey):
    section = survey.sections.get(code="end")
    data = {"section": section.pk, "code": "SAT_OVERALL", "type": "text", "text_fr": "Doublon", "order": 9,
            "condition": "null", "choices-TOTAL_FORMS": "0", "choices-INITIAL_FORMS": "0",
            "choices-MIN_NUM_FORMS": "0", "choices-MAX_NUM_FORMS": "1000"}
    before = Question.objects.count()
    resp = designer.post(reverse("admin:surveys_question_add"), data)
    assert resp.status_code == 200 and 'duplicate question code' in _errors(resp)
    assert Question.objects.count() == before


def test_two_new_rows_with_one_code_on_the_section_page_are_a_form_error(designer, survey):
    section = survey.sections.get(code="end")
    existing = list(section.questions.all())
    data = {"survey": survey.pk, "code": "end", "title_fr": "Pour finir", "order": section.order,
            "condition": "null", "questions-INITIAL_FORMS": str(len(existing)),
            "questions-TOTAL_FORMS": str(len(existing) + 2), "questions-MIN_NUM_FORMS": "0",
            "questions-MAX_NUM_FORMS": "1000"}
    for i, q in enumerate(existing):
        data.update({f"questions-{i}-id": q.pk, f"questions-{i}-section": section.pk, f"questions-{i}-order": q.order,
                     f"questions-{i}-code": q.code, f"questions-{i}-type": q.type,
                     f"questions-{i}-text_fr": q.text_fr, f"questions-{i}-condition": "null"})
    for i in (len(existing), len(existing) + 1):
        data.update({f"questions-{i}-section": section.pk, f"questions-{i}-order": 9, f"questions-{i}-code": "NEW",
                     f"questions-{i}-type": "text", f"questions-{i}-text_fr": "Nouvelle",
                     f"questions-{i}-condition": "null"})
    before = Question.objects.count()
    resp = designer.post(reverse("admin:surveys_section_change", args=[section.pk]), data)
    assert resp.status_code == 200 and 'duplicate question code "NEW"' in _errors(resp)
    assert Question.objects.count() == before


def test_a_single_choice_question_without_choices_is_refused_on_both_pages(designer, survey):
    question = survey.questions.get(code="MICRO")
    data = _question_data(question)
    for i in range(question.choices.count()):
        data[f"choices-{i}-DELETE"] = "on"
    resp = designer.post(reverse("admin:surveys_question_change", args=[question.pk]), data)
    assert resp.status_code == 200 and "a single question needs choices" in resp.content.decode()
    assert question.choices.count() == 2
    section = survey.sections.get(code="end")
    resp = designer.post(reverse("admin:surveys_question_add"), {
        "section": section.pk, "code": "PICK", "type": "single", "text_fr": "Choisir", "order": 9,
        "condition": "null", "choices-TOTAL_FORMS": "0", "choices-INITIAL_FORMS": "0",
        "choices-MIN_NUM_FORMS": "0", "choices-MAX_NUM_FORMS": "1000"})
    assert resp.status_code == 200 and "a single question needs choices" in resp.content.decode()
    assert not Question.objects.filter(code="PICK").exists()
    document = survey_export(survey)
    document["sections"][-1]["questions"][0]["choices"] = []
    document["sections"][-1]["questions"][0]["type"] = "single"
    assert any("a single question needs choices" in e for e in validate_document(document))


def test_a_reserved_or_malformed_choice_code_is_a_form_error(designer, survey):
    question = survey.questions.get(code="MICRO")
    for bad in ("nsp", "-x"):
        data = _question_data(question, **{"choices-0-code": bad})
        resp = designer.post(reverse("admin:surveys_question_change", args=[question.pk]), data)
        assert resp.status_code == 200 and ("reserved" in _errors(resp) or "invalid choice code" in _errors(resp))
    assert sorted(Choice.objects.filter(question=question).values_list("code", flat=True)) == ["no", "yes"]


def test_a_section_condition_on_its_own_or_an_unknown_question_is_refused(designer, survey):
    section = survey.sections.get(code="end")
    url = reverse("admin:surveys_section_change", args=[section.pk])
    base = {"survey": survey.pk, "code": "end", "title_fr": "Pour finir", "order": section.order,
            "questions-INITIAL_FORMS": "0", "questions-TOTAL_FORMS": "0", "questions-MIN_NUM_FORMS": "0",
            "questions-MAX_NUM_FORMS": "1000"}
    for target in ("VISITS", "NOPE"):
        resp = designer.post(url, {**base, "condition": f'{{"question": "{target}", "op": ">", "value": 1}}'})
        assert resp.status_code == 200 and "unknown or later question" in _errors(resp), target
    assert Section.objects.get(pk=section.pk).condition is None
    resp = designer.post(url, {**base, "condition": '{"question": "SAT_OVERALL", "op": ">", "value": 1}'})
    assert resp.status_code == 302, _errors(resp)
