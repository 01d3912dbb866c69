"""Draft → published → closed: public URLs, the publish checklist, the designer page, the command."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from surveys.models import AuditLog, Participant, Question, Response, Section, Survey, SurveyStatus
from surveys.services.import_export import survey_export, survey_import
from surveys.services.publishing import PublishRefused, survey_publish, survey_publish_problems
from tests import factories

pytestmark = pytest.mark.django_db

DEMO_FILE = Path(__file__).resolve().parents[2] / "surveys" / "demo" / "survey.json"


@pytest.fixture
def draft(survey):
    Survey.objects.filter(pk=survey.pk).update(status=SurveyStatus.DRAFT)
    survey.refresh_from_db()
    return survey


@pytest.fixture
def participant(survey):
    person = Participant(survey=survey, wave=survey.waves.get(), email="a@example.org",
                         category=survey.categories.get(code="researchers"))
    token = person.issue_token()
    person.save()
    return token


def public_urls(survey, token: str) -> list[str]:
    return [
        reverse("surveys:start", args=[survey.slug]),
        reverse("surveys:start", args=[survey.slug]) + "?canal=website",
        reverse("surveys:step", args=[survey.slug, "core"]),
        reverse("surveys:token", args=[token]),
        reverse("surveys:thanks", args=[survey.slug]),
        reverse("widget:form", args=[survey.slug]),
        reverse("widget:embed", args=[survey.slug]),
    ]


def test_a_draft_is_not_found_at_every_public_url_for_an_anonymous_visitor(client, draft, participant):
    for url in public_urls(draft, participant) + [reverse("surveys:notice", args=[draft.slug])]:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("widget:submit", args=[draft.slug]), {"score": "5"}).status_code == 404
    assert not Response.objects.exists()


def test_a_draft_is_not_found_for_a_designer_of_another_survey(client, draft, participant):
    other = factories.SurveyFactory(slug="autre")
    client.force_login(factories.staff_user("other", "designers", surveys=[other]))
    for url in public_urls(draft, participant):
        assert client.get(url).status_code == 404, url


def test_the_drafts_own_designer_is_sent_to_the_preview_and_sees_the_notice(client, draft, participant):
    client.force_login(factories.staff_user("owner", "designers", surveys=[draft]))
    for url in (reverse("surveys:start", args=[draft.slug]), reverse("surveys:step", args=[draft.slug, "core"]),
                reverse("surveys:token", args=[participant])):
        resp = client.get(url)
        assert resp.status_code == 302, url
        assert resp["Location"] == reverse("surveys:preview", args=[draft.slug, "researchers"])
    assert client.get(reverse("surveys:preview", args=[draft.slug, "researchers"])).status_code == 200
    assert client.get(reverse("surveys:notice", args=[draft.slug])).status_code == 200
    assert client.post(reverse("widget:submit", args=[draft.slug]), {"score": "5"}).status_code == 404
    assert not Response.objects.exists()


def test_a_closed_survey_answers_410_with_a_closed_page_and_keeps_its_results(client, survey, participant):
    response = Response.objects.create(survey=survey, wave=survey.waves.get(),
                                       category=survey.categories.get(code="researchers"))
    Survey.objects.filter(pk=survey.pk).update(status=SurveyStatus.CLOSED)
    closing = [u for u in public_urls(survey, participant)
               if u not in (reverse("surveys:thanks", args=[survey.slug]), reverse("widget:embed", args=[survey.slug]))]
    assert len(closing) == 5
    for url in closing:
        resp = client.get(url)
        assert resp.status_code == 410, url
        assert "close" in resp.content.decode(), url
    assert client.get(reverse("surveys:notice", args=[survey.slug])).status_code == 200
    assert Response.objects.filter(pk=response.pk).exists()


def test_a_published_survey_still_opens_for_everyone(client, survey):
    resp = client.get(reverse("surveys:start", args=[survey.slug]))
    assert resp.status_code == 302 and "/q/" in resp["Location"]


def test_the_home_page_lists_published_surveys_only(client, survey):
    assert survey.title in client.get(reverse("home")).content.decode()
    Survey.objects.filter(pk=survey.pk).update(status=SurveyStatus.DRAFT)
    assert survey.title not in client.get(reverse("home")).content.decode()


# -- the checklist -------------------------------------------------------------------------------

def test_a_complete_survey_has_nothing_on_its_checklist(survey):
    assert survey_publish_problems(survey) == []


def test_the_checklist_names_each_missing_notice_element(survey):
    for key in ("controller", "dpo_contact", "purpose", "retention"):
        setattr(survey, f"notice_{key}_fr", "  ")
    survey.save()
    problems = survey_publish_problems(survey)
    assert len(problems) == 4
    for label in ("Responsable du traitement", "Délégué à la protection des données", "Finalité",
                  "Durée de conservation"):
        assert any(label in p for p in problems), (label, problems)


def test_the_checklist_wants_a_wave_open_or_scheduled(survey):
    survey.waves.update(opens_at=timezone.now() - timezone.timedelta(days=30),
                        closes_at=timezone.now() - timezone.timedelta(days=1))
    assert any("vague" in p for p in survey_publish_problems(survey))
    survey.waves.update(opens_at=timezone.now() + timezone.timedelta(days=3),
                        closes_at=timezone.now() + timezone.timedelta(days=30))
    assert survey_publish_problems(survey) == []


def test_the_checklist_finds_a_choice_question_without_choices(survey):
    survey.questions.get(code="MICRO").choices.all().delete()
    problems = survey_publish_problems(survey)
    assert len(problems) == 1 and "MICRO" in problems[0] and "choices" in problems[0]


@pytest.mark.parametrize("target", ["NOPE", "VISITS"])
def test_the_checklist_finds_a_condition_on_an_unknown_or_later_question(survey, target):
    Question.objects.filter(survey=survey, code="SAT_WEB").update(condition={"question": target, "op": ">", "value": 1})
    problems = survey_publish_problems(survey)
    assert len(problems) == 1 and "SAT_WEB" in problems[0] and target in problems[0]
    Section.objects.filter(survey=survey, code="web").update(condition={"question": target, "in": ["1"]})
    assert any(p.startswith("Section web") for p in survey_publish_problems(survey))


def test_publishing_is_refused_with_the_problems_and_changes_nothing(draft):
    draft.waves.all().delete()
    with pytest.raises(PublishRefused) as refused:
        survey_publish(draft, "tester")
    assert refused.value.problems == survey_publish_problems(draft) != []
    draft.refresh_from_db()
    assert draft.status == SurveyStatus.DRAFT
    assert not AuditLog.objects.filter(action="survey_publish").exists()


def test_an_imported_survey_starts_as_a_draft_and_publishes(survey):
    data = survey_export(survey)
    data["survey"]["slug"] = "copie"
    copy = survey_import(data)
    assert copy.status == SurveyStatus.DRAFT
    survey_publish(copy, "tester")
    assert Survey.objects.get(slug="copie").status == SurveyStatus.PUBLISHED
    assert AuditLog.objects.filter(action="survey_publish", target="copie").exists()


def test_surveys_that_existed_before_statuses_become_published():
    module = __import__("surveys.migrations.0004_issue14_survey_status", fromlist=["publish_existing"])
    factories.SurveyFactory(slug="ancienne", status=SurveyStatus.DRAFT)
    module.publish_existing(apps, None)
    assert Survey.objects.get(slug="ancienne").status == SurveyStatus.PUBLISHED


def test_the_demo_loader_publishes_the_demo_survey():
    call_command("load_demo", "--no-responses", "--password", "demo-local-only", stdout=StringIO())
    assert Survey.objects.get(slug="satisfaction-usagers").status == SurveyStatus.PUBLISHED


# -- the designer page, the admin action, the command ---------------------------------------------

def test_the_designer_publishes_from_the_publication_page_after_the_checklist(client, draft):
    client.force_login(factories.staff_user("owner", "designers", surveys=[draft]))
    url = reverse("staff:publication", args=[draft.slug])
    draft.notice_controller_fr = ""
    draft.save()
    page = client.get(url)
    assert page.status_code == 200 and "Responsable du traitement" in page.content.decode()
    refused = client.post(url, {"action": "publish"})
    assert refused.status_code == 400 and "Publication refusée" in refused.content.decode()
    assert Survey.objects.get(pk=draft.pk).status == SurveyStatus.DRAFT
    draft.notice_controller_fr = "Insee"
    draft.save()
    assert client.post(url, {"action": "publish"}).status_code == 302
    assert Survey.objects.get(pk=draft.pk).status == SurveyStatus.PUBLISHED
    assert client.post(url, {"action": "close"}).status_code == 302
    assert Survey.objects.get(pk=draft.pk).status == SurveyStatus.CLOSED


def test_the_publication_page_is_not_found_for_another_surveys_designer(client, draft):
    client.force_login(factories.staff_user("other", "designers", surveys=[factories.SurveyFactory(slug="b")]))
    assert client.post(reverse("staff:publication", args=[draft.slug]), {"action": "publish"}).status_code == 404
    assert Survey.objects.get(pk=draft.pk).status == SurveyStatus.DRAFT


def test_the_admin_publish_action_runs_the_checklist(client, draft):
    admin_user = factories.staff_user("root", superuser=True)
    client.force_login(admin_user)
    changelist = reverse("admin:surveys_survey_changelist")
    draft.waves.all().delete()
    client.post(changelist, {"action": "publish", "_selected_action": [draft.pk]})
    assert Survey.objects.get(pk=draft.pk).status == SurveyStatus.DRAFT
    factories.WaveFactory(survey=draft, code="2027")
    client.post(changelist, {"action": "publish", "_selected_action": [draft.pk]})
    assert Survey.objects.get(pk=draft.pk).status == SurveyStatus.PUBLISHED


def _run_publish_command(*argv: str) -> tuple[int, str]:
    """The exit status `manage.py` gives (run_from_argv exits with CommandError.returncode) and stderr."""
    err = StringIO()
    try:
        call_command("publish_survey", *argv, stdout=StringIO(), stderr=err)
    except CommandError as exc:
        return exc.returncode, err.getvalue()
    return 0, err.getvalue()


def test_publish_survey_command_exits_2_with_the_problems_then_publishes(draft):
    draft.notice_purpose_fr = ""
    draft.save()
    code, err = _run_publish_command(draft.slug)
    assert code == 2 and "Finalité" in err
    assert Survey.objects.get(pk=draft.pk).status == SurveyStatus.DRAFT
    draft.notice_purpose_fr = "Mesurer la satisfaction"
    draft.save()
    call_command("publish_survey", draft.slug, stdout=StringIO())
    assert Survey.objects.get(pk=draft.pk).status == SurveyStatus.PUBLISHED


def test_the_demo_file_is_publishable_once_imported():
    survey = survey_import(json.loads(DEMO_FILE.read_text(encoding="utf-8")))
    assert survey.status == SurveyStatus.DRAFT
    assert survey_publish_problems(survey) == []
