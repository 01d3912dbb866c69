"""The open-wave rule (issue 18) on every designer form: the workbench's survey settings, section and
question editors (with their choices and built condition), its moves, and the admin's survey form."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from surveys.admin_forms import SurveyAdminForm
from surveys.models import AuditLog, Choice, Question, QuestionnaireVersion, Survey, Wave
from tests import factories
from tests.surveys.test_versions import _answer

pytestmark = pytest.mark.django_db

OPEN = "La vague « 2026 » est ouverte"


@pytest.fixture
def dora(survey) -> Client:
    c = Client()
    c.force_login(factories.staff_user("dora", "designers", [survey]))
    return c


@pytest.fixture
def answered(client, survey):
    """The open wave 2026 in use: one response froze its questionnaire (version 1)."""
    _answer(client, survey)
    return survey


def _version(survey) -> QuestionnaireVersion:
    return survey.waves.get(code="2026").version


def _snap_question(version, code):
    return next(q for s in version.snapshot["sections"] for q in s["questions"] if q["code"] == code)


def _no_rows() -> dict:
    data = {"cond-mode": "all", "condrow-TOTAL_FORMS": "3", "condrow-INITIAL_FORMS": "0"}
    for i in range(3):
        data.update({f"condrow-{i}-question": "", f"condrow-{i}-op": "in", f"condrow-{i}-value": ""})
    return data


def _question_post(question: Question, **changes) -> dict:
    """The workbench question form as the page shows it, then `changes`."""
    data = {name: "" if getattr(question, name) is None else getattr(question, name)
            for name in ("code", "type", "text_fr", "text_en", "help_fr", "help_en", "min_value", "max_value",
                         "max_length", "threshold")}
    data.update({name: "on" for name in ("required", "allow_dont_know") if getattr(question, name)})
    data["categories"] = [c.pk for c in question.categories.all()]
    data["channel"] = question.channel_id or ""
    choices = list(question.choices.order_by("order"))
    data.update({"choices-TOTAL_FORMS": str(len(choices)), "choices-INITIAL_FORMS": str(len(choices))})
    for i, c in enumerate(choices):
        data.update({f"choices-{i}-id": c.pk, f"choices-{i}-question": question.pk, f"choices-{i}-code": c.code,
                     f"choices-{i}-label_fr": c.label_fr, f"choices-{i}-label_en": c.label_en})
    data.update(_no_rows())
    data.update(changes)
    return data


def _edit_question(client, survey, code, **changes):
    q = survey.questions.get(code=code)
    return client.post(reverse("workbench:question_edit", args=[survey.slug, q.pk]), _question_post(q, **changes))


def _settings_post(survey: Survey, **changes) -> dict:
    from surveys.workbench.forms import SurveySettingsForm

    data = {k: v for k, v in model_to_dict(survey, fields=SurveySettingsForm.Meta.fields).items() if v is not None}
    data["categories"] = [c.pk for c in survey.categories.all()]
    for flag in ("review_page", "allow_erasure"):
        if data.pop(flag, False):
            data[flag] = "on"
    data.update(changes)
    return data


def test_the_workbench_refuses_rewording_a_question_of_an_open_wave_with_the_reason(answered, dora):
    resp = _edit_question(dora, answered, "NPS", text_fr="Recommanderiez-vous notre service ?")
    html = resp.content.decode()
    assert resp.status_code == 400 and OPEN in html and "correction mineure" in html
    assert answered.questions.get(code="NPS").text_fr == "Question NPS"


def test_a_workbench_minor_correction_of_a_question_and_its_choice_is_saved_logged_and_keeps_the_version(
        answered, dora):
    resp = _edit_question(dora, answered, "USED", text_fr="Question USED corrigée", minor_correction="on",
                          correction_reason="coquille", **{"choices-0-label_fr": "Choix web corrigé"})
    assert resp.status_code == 302, resp.content.decode()[:3000]
    version = _version(answered)
    assert QuestionnaireVersion.objects.count() == 1
    snap = _snap_question(version, "USED")
    assert snap["text"]["fr"] == "Question USED corrigée"
    assert [c["label"]["fr"] for c in snap["choices"]][0] == "Choix web corrigé"
    assert {e["reason"] for e in version.corrections} == {"coquille"}
    assert {e["actor"] for e in version.corrections} == {"dora"}
    assert AuditLog.objects.filter(action="minor_correction", details__reason="coquille").exists()


def test_a_workbench_choice_edit_of_an_open_wave_needs_the_question_minor_correction(answered, dora):
    resp = _edit_question(dora, answered, "USED", **{"choices-0-label_fr": "Site"})
    assert resp.status_code == 400 and OPEN in resp.content.decode()
    assert Choice.objects.get(question__survey=answered, code="web").label_fr == "Choix web"


def test_a_built_condition_is_no_minor_correction_while_the_wave_is_open(answered, dora):
    resp = _edit_question(dora, answered, "SUGG", minor_correction="on", correction_reason="x", **{
        "condrow-0-question": "SAT_OVERALL", "condrow-0-op": "<=", "condrow-0-value": "3"})
    html = resp.content.decode()
    assert resp.status_code == 400 and "ne change que des libellés : condition ne peut pas" in html
    assert answered.questions.get(code="SUGG").condition is None


def test_the_workbench_refuses_a_new_question_or_section_while_a_wave_is_open(answered, dora):
    core = answered.sections.get(code="core")
    resp = dora.post(reverse("workbench:question_create", args=[answered.slug, core.pk]), {
        "code": "NEW", "type": "text", "text_fr": "Nouvelle", "text_en": "New", "choices-TOTAL_FORMS": "0",
        "choices-INITIAL_FORMS": "0", **_no_rows()})
    assert resp.status_code == 400 and "on ne peut pas y ajouter" in resp.content.decode()
    resp = dora.post(reverse("workbench:section_create", args=[answered.slug]),
                     {"code": "extra", "title_fr": "En plus", **_no_rows()})
    assert resp.status_code == 400 and "on ne peut pas y ajouter" in resp.content.decode()
    assert not Question.objects.filter(code="NEW").exists() and not answered.sections.filter(code="extra").exists()


def test_a_workbench_section_title_fix_needs_the_minor_correction_and_its_reason(answered, dora):
    end = answered.sections.get(code="end")
    url = reverse("workbench:section_edit", args=[answered.slug, end.pk])
    post = {"code": "end", "title_fr": "Pour conclure", "title_en": "To finish", **_no_rows()}
    assert dora.post(url, post).status_code == 400
    assert "Donnez le motif" in dora.post(url, {**post, "minor_correction": "on"}).content.decode()
    assert dora.post(url, {**post, "minor_correction": "on", "correction_reason": "titre"}).status_code == 302
    version = _version(answered)
    assert next(s for s in version.snapshot["sections"] if s["code"] == "end")["title"]["fr"] == "Pour conclure"
    assert [e["reason"] for e in version.corrections] == ["titre"]


def test_the_survey_settings_guard_the_texts_respondents_read_not_the_notice(answered, dora):
    url = reverse("workbench:settings", args=[answered.slug])
    page = dora.get(url).content.decode()
    assert 'name="minor_correction"' in page  # offered only while a wave is in use
    resp = dora.post(url, _settings_post(answered, title_fr="Un autre titre"))
    assert resp.status_code == 400 and OPEN in resp.content.decode()
    assert Survey.objects.get(pk=answered.pk).title_fr != "Un autre titre"
    resp = dora.post(url, _settings_post(answered, thanks_fr="Merci beaucoup !", minor_correction="on",
                                         correction_reason="ponctuation"))
    assert resp.status_code == 302, resp.content.decode()[:3000]
    version = _version(answered)
    assert version.snapshot["survey"]["thanks"]["fr"] == "Merci beaucoup !"
    assert [e["reason"] for e in version.corrections] == ["ponctuation"] and version.number == 1
    resp = dora.post(url, _settings_post(Survey.objects.get(pk=answered.pk), notice_dpo_contact_fr="dpo@example.org"))
    assert resp.status_code == 302  # the notice is not the questionnaire: the law may need it changed at once


def test_the_settings_of_a_survey_without_an_open_wave_in_use_stay_editable(survey, dora):
    url = reverse("workbench:settings", args=[survey.slug])
    assert 'name="minor_correction"' not in dora.get(url).content.decode()
    assert dora.post(url, _settings_post(survey, title_fr="Un autre titre")).status_code == 302
    assert Survey.objects.get(pk=survey.pk).title_fr == "Un autre titre"


def test_editing_the_survey_title_first_freezes_a_closed_wave_on_the_old_title(survey, dora):
    now = timezone.now()
    old = survey.title_fr
    closed = Wave.objects.create(survey=survey, code="2025", opens_at=now - timedelta(days=90),
                                 closes_at=now - timedelta(days=30))
    assert dora.post(reverse("workbench:settings", args=[survey.slug]),
                     _settings_post(survey, title_fr="Nouveau titre")).status_code == 302
    closed.refresh_from_db()
    assert closed.version.snapshot["survey"]["title"]["fr"] == old


def test_moves_are_refused_while_a_wave_is_open(answered, dora):
    core = answered.sections.get(code="core")
    nps = answered.questions.get(code="NPS")
    dora.post(reverse("workbench:section_move", args=[answered.slug, core.pk]), {"direction": "down"})
    resp = dora.post(reverse("workbench:question_move", args=[answered.slug, nps.pk]), {"direction": "up"},
                     follow=True)
    assert "ouverte" in resp.content.decode()
    core.refresh_from_db()
    nps.refresh_from_db()
    assert core.order == 1 and nps.order == 2


def test_the_admin_survey_form_refuses_a_new_title_but_takes_a_logged_minor_correction(answered):
    data = model_to_dict(answered)
    data = {k: v for k, v in data.items() if v is not None}
    data["categories"] = [c.pk for c in answered.categories.all()]
    data["owners"] = [u.pk for u in answered.owners.all()]
    form = SurveyAdminForm({**data, "title_fr": "Autre titre"}, instance=answered)
    assert not form.is_valid() and OPEN in str(form.errors)
    form = SurveyAdminForm({**data, "intro_fr": "Intro corrigée", "minor_correction": "on",
                            "correction_reason": "accent"}, instance=Survey.objects.get(pk=answered.pk))
    assert form.is_valid(), form.errors
    form.save()
    version = _version(answered)
    assert version.snapshot["survey"]["intro"]["fr"] == "Intro corrigée"
    assert [e["reason"] for e in version.corrections] == ["accent"]
    form = SurveyAdminForm({**data, "intro_fr": "Intro corrigée", "min_cell": 7},
                           instance=Survey.objects.get(pk=answered.pk))
    assert form.is_valid(), form.errors  # a setting, not the questionnaire
