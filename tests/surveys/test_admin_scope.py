"""Per-survey rights in every admin page: a designer of survey A never sees, chooses nor writes B's objects."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from surveys.models import (
    AuditLog, Participant, Question, Section, Survey, UserCategory, Wave, audit,
)
from surveys.services.responses import participant_by_token
from tests import factories

pytestmark = pytest.mark.django_db

SECRET_TITLE = "Enquête B confidentielle"


@pytest.fixture
def two_surveys(survey):
    other = factories.build_survey("enquete-b")
    Survey.objects.filter(pk=other.pk).update(title_fr=SECRET_TITLE)
    Section.objects.filter(survey=other).update(title_fr="Section secrète de B")
    other.refresh_from_db()
    return survey, other


@pytest.fixture
def designer(two_surveys):
    mine, _other = two_surveys
    user = factories.staff_user("dora", "designers", surveys=[mine])
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="surveys"))
    client = Client()
    client.force_login(user)
    return client


def _survey_objects(survey: Survey) -> dict[type, object]:
    """One object of each survey-bound model, the ids a forged POST would name."""
    return {Survey: survey, Section: survey.sections.first(), Wave: survey.waves.first(),
            Question: survey.questions.first()}


def _form_data(context, ids: dict[type, object]) -> tuple[dict[str, object], bool]:
    """Values for every required field of the add form (survey-bound choices taken from `ids`).

    Returns the data and whether the form names a survey-bound object at all.
    """
    form = context["adminform"].form
    data: dict[str, object] = {}
    bound = False
    later = timezone.localtime() + timezone.timedelta(days=30)
    sooner = timezone.localtime() + timezone.timedelta(days=1)
    for name, field in form.fields.items():
        if isinstance(field, forms.ModelChoiceField):
            model = field.queryset.model
            if model in ids:
                bound = True
                value = ids[model].pk
            elif field.required:
                value = model._default_manager.order_by("pk").first().pk
            else:
                continue
            data[name] = [value] if isinstance(field, forms.ModelMultipleChoiceField) else value
            continue
        if not field.required:
            continue
        if isinstance(field, forms.SplitDateTimeField):
            moment = later if "close" in name else sooner
            data[f"{name}_0"], data[f"{name}_1"] = moment.strftime("%Y-%m-%d"), moment.strftime("%H:%M:%S")
        elif isinstance(field, forms.ChoiceField):
            data[name] = next(value for value, _label in field.choices if value)
        elif isinstance(field, (forms.IntegerField, forms.FloatField)):
            data[name] = "1"
        elif isinstance(field, forms.EmailField):
            data[name] = "walk@example.org"
        elif isinstance(field, forms.JSONField):
            data[name] = "null"
        else:
            data[name] = "walk1"
    for inline in context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0",
                     f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"})
    return data, bound


def _add_urls() -> list[tuple[type, str]]:
    return [(model, reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add"))
            for model in admin.site._registry if model._meta.app_label == "surveys"]


def test_every_admin_add_form_refuses_another_surveys_ids_and_accepts_its_own(designer, two_surveys):
    mine, other = two_surveys
    walked = 0
    for model, url in _add_urls():
        page = designer.get(url)
        if page.status_code == 403:  # no add permission (responses, audit log)
            continue
        assert page.status_code == 200, url
        walked += 1
        html = page.content.decode()
        assert SECRET_TITLE not in html and "Section secrète de B" not in html, url
        for field in page.context["adminform"].form.fields.values():
            if isinstance(field, forms.ModelChoiceField) and field.queryset.model in (Survey, Section, Wave, Question):
                assert not field.queryset.filter(pk=_survey_objects(other)[field.queryset.model].pk).exists(), url
        data, bound = _form_data(page.context, _survey_objects(other))
        if bound:
            before = model.objects.count()
            forged = designer.post(url, data)
            assert forged.status_code < 500, url
            assert forged.status_code != 302, (url, "a forged POST was saved")
            assert model.objects.count() == before, url
        data, _bound = _form_data(page.context, _survey_objects(mine))
        before = model.objects.count()
        honest = designer.post(url, data)
        assert honest.status_code == 302, (url, re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>',
                                                           honest.content.decode(), re.S))
        assert model.objects.count() == before + 1, url
    assert walked >= 6  # survey, section, question, wave, participant, category, channel


def test_a_designer_who_adds_a_survey_is_on_its_team(designer, two_surveys):
    page = designer.get(reverse("admin:surveys_survey_add"))
    data, _bound = _form_data(page.context, {})
    data["slug"] = "ma-nouvelle"
    assert designer.post(reverse("admin:surveys_survey_add"), data).status_code == 302
    new = Survey.objects.get(slug="ma-nouvelle")
    assert new.owners.filter(username="dora").exists()
    assert new.status == "draft"


def test_moving_a_question_to_another_surveys_section_is_refused(designer, two_surveys):
    mine, other = two_surveys
    question = mine.questions.get(code="SUGG")
    url = reverse("admin:surveys_question_change", args=[question.pk])
    page = designer.get(url)
    data, _bound = _form_data(page.context, _survey_objects(mine))
    data.update({"section": other.sections.first().pk, "code": "SUGG", "type": "text", "text_fr": "Suggestions"})
    resp = designer.post(url, data)
    assert resp.status_code == 200 and "errorlist" in resp.content.decode()
    question.refresh_from_db()
    assert question.section.survey_id == mine.pk


def test_another_surveys_objects_cannot_be_opened_changed_or_deleted(designer, two_surveys):
    _mine, other = two_surveys
    section = other.sections.first()
    for name in ("change", "delete", "history"):
        resp = designer.get(reverse(f"admin:surveys_section_{name}", args=[section.pk]))
        assert resp.status_code in (302, 404), name
    designer.post(reverse("admin:surveys_section_delete", args=[section.pk]), {"post": "yes"})
    designer.post(reverse("admin:surveys_section_changelist"),
                  {"action": "delete_selected", "_selected_action": [section.pk], "post": "yes"})
    assert Section.objects.filter(pk=section.pk).exists()


def test_inline_rows_naming_another_surveys_question_change_nothing(designer, two_surveys):
    mine, other = two_surveys
    section = mine.sections.get(code="end")
    foreign = other.questions.get(code="SUGG")
    url = reverse("admin:surveys_section_change", args=[section.pk])
    data = {"survey": mine.pk, "code": "end", "title_fr": "Pour finir", "order": 5, "condition": "null",
            "questions-TOTAL_FORMS": "1", "questions-INITIAL_FORMS": "1", "questions-MIN_NUM_FORMS": "0",
            "questions-MAX_NUM_FORMS": "1000", "questions-0-id": foreign.pk, "questions-0-section": section.pk,
            "questions-0-order": 1, "questions-0-code": "HACKED", "questions-0-type": "text",
            "questions-0-text_fr": "piraté", "questions-0-condition": "null"}
    resp = designer.post(url, data)
    assert resp.status_code < 500
    foreign.refresh_from_db()
    assert foreign.code == "SUGG" and foreign.section.survey_id == other.pk


def test_change_lists_filters_popups_and_autocomplete_show_only_the_designers_surveys(designer, two_surveys):
    mine, other = two_surveys
    for model in ("section", "question", "wave", "participant", "response", "survey"):
        html = designer.get(reverse(f"admin:surveys_{model}_changelist")).content.decode()
        assert SECRET_TITLE not in html and "enquete-b" not in html, model
    popup = designer.get(reverse("admin:surveys_wave_changelist"), {"_popup": "1", "_to_field": "id"})
    assert popup.status_code == 200 and "enquete-b" not in popup.content.decode()
    found = designer.get(reverse("admin:autocomplete"), {
        "app_label": "surveys", "model_name": "section", "field_name": "survey", "term": ""}).json()
    assert [r["id"] for r in found["results"]] == [str(mine.pk)]


def test_the_audit_log_shows_a_designer_the_entries_of_their_surveys_only(designer, two_surveys):
    mine, other = two_surveys
    audit("x", "survey_publish", mine.slug)
    audit("x", "export", f"survey:{mine.slug}")
    audit("x", "survey_publish", other.slug)
    audit("x", "export", f"survey:{other.slug}")
    html = designer.get(reverse("admin:surveys_auditlog_changelist")).content.decode()
    assert html.count("survey_publish") >= 1 and other.slug not in html
    assert AuditLog.objects.count() >= 4
    entry = AuditLog.objects.get(target=other.slug)
    assert designer.get(reverse("admin:surveys_auditlog_change", args=[entry.pk])).status_code in (302, 404)


def test_adding_a_participant_gives_a_fresh_token_and_shows_its_link_once(designer, two_surveys):
    mine, _other = two_surveys
    url = reverse("admin:surveys_participant_add")
    links = []
    for email in ("p1@example.org", "p2@example.org"):
        resp = designer.post(url, {"survey": mine.pk, "wave": mine.waves.get().pk, "email": email,
                                   "category": UserCategory.objects.get(code="researchers").pk, "language": "fr"},
                             follow=True)
        assert resp.status_code == 200
        links += re.findall(r'href="https?://[^"]*/t/([^/"]+)/"', resp.content.decode())
    assert len(links) == 2 and links[0] != links[1]
    assert participant_by_token(links[0]).email == "p1@example.org"
    assert Participant.objects.filter(token_hash="").count() == 0
    later = designer.get(reverse("admin:surveys_participant_change",
                                 args=[Participant.objects.get(email="p1@example.org").pk]))
    assert links[0] not in later.content.decode()


def test_a_participant_with_another_surveys_wave_is_a_form_error(designer, two_surveys):
    mine, other = two_surveys
    resp = designer.post(reverse("admin:surveys_participant_add"), {
        "survey": mine.pk, "wave": other.waves.get().pk, "email": "x@example.org",
        "category": UserCategory.objects.first().pk, "language": "fr"})
    assert resp.status_code == 200 and "errorlist" in resp.content.decode()
    assert not Participant.objects.exists()
