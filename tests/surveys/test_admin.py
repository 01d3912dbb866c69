"""The quality team's admin: inline editing, preview per category, protection once answers exist."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from surveys.models import AuditLog, Question, Response, UserCategory
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def designer(survey):
    user = factories.staff_user("dora", "designers", surveys=[survey])
    from django.contrib.auth.models import Permission

    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="surveys"))
    c = Client()
    c.force_login(user)
    return c


def _respond(survey):
    Response.objects.create(survey=survey, wave=survey.waves.get(), category=UserCategory.objects.first(),
                            status="complete", submitted_at=timezone.now())


def test_preview_shows_exactly_the_steps_of_each_category(designer, survey):
    html = designer.get(reverse("surveys:preview", args=[survey.slug, "researchers"])).content.decode()
    assert "Recherche" in html and "Presse" not in html
    assert 'name="research-MICRO"' in html and 'name="press-EMBARGO"' not in html
    html = designer.get(reverse("surveys:preview", args=[survey.slug, "journalists"])).content.decode()
    assert "Presse" in html and "Recherche" not in html
    html = designer.get(reverse("surveys:preview", args=[survey.slug, "general_public"])).content.decode()
    assert "Presse" not in html and "Recherche" not in html and "Le site internet" in html
    assert "Condition d" in html  # conditions are shown to the designer


def test_preview_of_a_survey_not_granted_is_404(survey):
    other = factories.staff_user("olga", "designers")
    c = Client()
    c.force_login(other)
    assert c.get(reverse("surveys:preview", args=[survey.slug, "researchers"])).status_code == 404


def test_survey_admin_lists_sections_inline_and_preview_links(designer, survey):
    html = designer.get(reverse("admin:surveys_survey_change", args=[survey.pk])).content.decode()
    assert "Votre avis général" in html
    assert reverse("surveys:preview", args=[survey.slug, "journalists"]) in html


def _question_post(designer, q, **changes):
    url = reverse("admin:surveys_question_change", args=[q.pk])
    data = {"section": q.section_id, "code": q.code, "type": q.type, "text_fr": q.text_fr, "text_en": q.text_en,
            "help_fr": "", "help_en": "", "order": q.order, "condition": "null", "min_value": "", "max_value": "",
            "max_length": "", "threshold": "", "channel": "",
            "choices-TOTAL_FORMS": "0", "choices-INITIAL_FORMS": "0", "choices-MIN_NUM_FORMS": "0",
            "choices-MAX_NUM_FORMS": "1000"}
    data.update(changes)
    return designer.post(url, data)


def test_question_code_and_type_are_locked_once_the_survey_has_responses(designer, survey):
    q = survey.questions.get(code="NPS")
    _respond(survey)
    resp = _question_post(designer, q, code="NPS2")
    assert resp.status_code == 200 and "déjà des réponses" in resp.content.decode()
    resp = _question_post(designer, q, type="scale")
    assert "déjà des réponses" in resp.content.decode()
    q.refresh_from_db()
    assert (q.code, q.type) == ("NPS", "nps")
    resp = _question_post(designer, q, text_fr="Recommanderiez-vous notre service ?")
    assert resp.status_code == 302
    q.refresh_from_db()
    assert q.text_fr == "Recommanderiez-vous notre service ?"


def test_questions_cannot_be_deleted_once_the_survey_has_responses(designer, survey):
    q = survey.questions.get(code="NPS")
    assert designer.get(reverse("admin:surveys_question_delete", args=[q.pk])).status_code == 200
    _respond(survey)
    assert designer.get(reverse("admin:surveys_question_delete", args=[q.pk])).status_code == 403
    designer.post(reverse("admin:surveys_question_changelist"),
                  {"action": "delete_selected", "_selected_action": [q.pk], "post": "yes"})
    assert Question.objects.filter(pk=q.pk).exists()


def test_a_malformed_condition_is_refused_with_its_path(designer, survey):
    q = survey.questions.get(code="WHY")
    resp = _question_post(designer, q, condition='{"question": "SAT_OVERALL", "op": "~", "value": 2}')
    assert 'condition.op: unknown operator' in resp.content.decode()


def test_granting_a_survey_is_audited(survey):
    user = factories.staff_user("gina", "analysts")
    survey.owners.add(user)
    assert AuditLog.objects.filter(action="survey_grant_change").exists()
    assert AuditLog.objects.filter(action="permission_change").exists()


def test_the_full_page_preview_shows_conditions_in_words_not_json(designer, survey):
    html = designer.get(reverse("surveys:preview", args=[survey.slug, "general_public"])).content.decode()
    assert "Condition d'affichage : USED est parmi web" in html  # the section's, as the workbench words it
    assert "Condition d'affichage : SAT_OVERALL est inférieur ou égal à 2" in html  # a question's
    assert "<code>" not in html and "&#x27;question&#x27;" not in html and '{"question"' not in html
