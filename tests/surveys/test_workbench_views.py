"""The designer workbench's pages: building a questionnaire without JSON, and who may touch which survey."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from surveys.models import Choice, Question, Section, Survey, SurveyStatus, UserCategory
from surveys.services.publishing import survey_publish_problems
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def designer(client, survey):
    user = factories.staff_user("designer", "designers", surveys=[survey])
    client.force_login(user)
    return user


def _rows(*rows: tuple[str, str, str], mode: str = "all", negate: bool = False, total: int = 3) -> dict:
    data = {"cond-mode": mode, "condrow-TOTAL_FORMS": str(total), "condrow-INITIAL_FORMS": "0"}
    if negate:
        data["cond-negate"] = "on"
    for i in range(total):
        question, op, value = rows[i] if i < len(rows) else ("", "in", "")
        data.update({f"condrow-{i}-question": question, f"condrow-{i}-op": op, f"condrow-{i}-value": value})
    return data


def _choices(*choices: tuple[str, str]) -> dict:
    data = {"choices-TOTAL_FORMS": str(max(3, len(choices))), "choices-INITIAL_FORMS": "0"}
    for i, (code, label) in enumerate(choices):
        data.update({f"choices-{i}-code": code, f"choices-{i}-label_fr": label})
    return data


def test_the_outline_lists_sections_and_questions_in_order_with_the_preview(client, designer, survey):
    resp = client.get(reverse("workbench:outline", args=[survey.slug]))
    assert resp.status_code == 200
    html = resp.content.decode()
    positions = [html.index(f"<strong>{code}</strong>") for code in ("SAT_OVERALL", "NPS", "USED", "SAT_WEB", "MICRO")]
    assert positions == sorted(positions)
    assert 'id="preview-title"' in html
    assert "USED est parmi web" in html  # the section condition in words, not JSON
    assert '{"question"' not in html


def test_the_outline_for_a_category_marks_what_it_does_not_get(client, designer, survey):
    html = client.get(reverse("workbench:outline", args=[survey.slug]) + "?categorie=journalists").content.decode()
    research = survey.sections.get(code="research")
    start = html.index(f'id="section-{research.pk}"')
    assert "wb-hidden" in html[start - 60:start + 200]
    assert client.get(reverse("workbench:outline", args=[survey.slug]) + "?categorie=nope").status_code == 404


def test_a_section_with_a_condition_built_from_rows_is_stored_as_json(client, designer, survey):
    resp = client.post(reverse("workbench:section_create", args=[survey.slug]), {
        "code": "extra", "title_fr": "En plus", **_rows(("SAT_OVERALL", "<=", "2"), ("USED", "in", "contact"),
                                                        mode="any")})
    assert resp.status_code == 302, resp.content.decode()[:3000]
    section = Section.objects.get(survey=survey, code="extra")
    assert section.condition == {"any": [{"question": "SAT_OVERALL", "op": "<=", "value": 2},
                                         {"question": "USED", "in": ["contact"]}]}
    assert section.order == 6


def test_a_condition_on_an_unknown_choice_is_an_error_shown_in_the_summary(client, designer, survey):
    resp = client.post(reverse("workbench:section_create", args=[survey.slug]), {
        "code": "extra", "title_fr": "En plus", **_rows(("USED", "in", "fax"))})
    assert resp.status_code == 400
    html = resp.content.decode()
    assert 'id="error-summary"' in html and "fax" in html and 'href="#condition"' in html
    assert not Section.objects.filter(code="extra").exists()


def test_a_comparison_typed_with_words_points_to_its_row(client, designer, survey):
    resp = client.post(reverse("workbench:section_create", args=[survey.slug]), {
        "code": "extra", "title_fr": "En plus", **_rows(("SAT_OVERALL", ">=", "beaucoup"))})
    assert resp.status_code == 400
    assert 'href="#id_condrow-0-value"' in resp.content.decode()


def test_a_single_choice_question_with_choices_and_a_not_condition(client, designer, survey):
    end = survey.sections.get(code="end")
    resp = client.post(reverse("workbench:question_create", args=[survey.slug, end.pk]), {
        "code": "FORMAT", "type": "single", "text_fr": "Quel format ?", "help_fr": "Un seul.",
        "required": "on", "categories": [UserCategory.objects.get(code="researchers").pk],
        **_choices(("csv", "CSV"), ("xlsx", "Tableur")), **_rows(("MICRO", "not_in", "no"))})
    assert resp.status_code == 302, resp.content.decode()[:3000]
    q = Question.objects.get(survey=survey, code="FORMAT")
    assert q.section == end and q.required and q.help_fr == "Un seul."
    assert list(q.choices.order_by("order").values_list("code", "label_fr")) == [("csv", "CSV"), ("xlsx", "Tableur")]
    assert q.condition == {"not": {"question": "MICRO", "in": ["no"]}}
    assert list(q.categories.values_list("code", flat=True)) == ["researchers"]
    assert survey_publish_problems(survey) == []


def test_a_choice_question_without_choices_is_refused(client, designer, survey):
    end = survey.sections.get(code="end")
    resp = client.post(reverse("workbench:question_create", args=[survey.slug, end.pk]), {
        "code": "FORMAT", "type": "multiple", "text_fr": "Quel format ?", **_choices(), **_rows()})
    assert resp.status_code == 400
    assert not Question.objects.filter(code="FORMAT").exists()


def test_number_bounds_are_checked_by_the_importers_rules(client, designer, survey):
    end = survey.sections.get(code="end")
    url = reverse("workbench:question_create", args=[survey.slug, end.pk])
    base = {"code": "AGE", "text_fr": "Âge ?", **_choices(), **_rows()}
    assert client.post(url, {**base, "type": "satisfaction", "min_value": "1"}).status_code == 400
    assert client.post(url, {**base, "type": "number", "min_value": "10", "max_value": "2"}).status_code == 400
    assert client.post(url, {**base, "type": "number", "min_value": "0", "max_value": "120"}).status_code == 302
    q = Question.objects.get(survey=survey, code="AGE")
    assert (q.min_value, q.max_value) == (0, 120)


def test_editing_a_question_shows_its_condition_as_rows_and_keeps_it(client, designer, survey):
    why = Question.objects.get(survey=survey, code="WHY")
    url = reverse("workbench:question_edit", args=[survey.slug, why.pk])
    html = client.get(url).content.decode()
    assert 'name="condrow-0-question"' in html and 'value="2"' in html
    assert '<option value="SAT_OVERALL" selected>' in html
    resp = client.post(url, {"code": "WHY", "type": "text", "text_fr": "Pourquoi ?", **_choices(),
                             **_rows(("SAT_OVERALL", "<=", "2"))})
    assert resp.status_code == 302
    why.refresh_from_db()
    assert why.condition == {"question": "SAT_OVERALL", "op": "<=", "value": 2} and why.text_fr == "Pourquoi ?"


def test_changing_a_type_to_one_without_choices_drops_the_choices(client, designer, survey):
    micro = Question.objects.get(survey=survey, code="MICRO")
    resp = client.post(reverse("workbench:question_edit", args=[survey.slug, micro.pk]), {
        "code": "MICRO", "type": "satisfaction", "text_fr": "Note", **_choices(), **_rows()})
    assert resp.status_code == 302
    assert not Choice.objects.filter(question=micro).exists()


def test_move_buttons_reorder_and_return_to_the_moved_item(client, designer, survey):
    nps = Question.objects.get(survey=survey, code="NPS")
    resp = client.post(reverse("workbench:question_move", args=[survey.slug, nps.pk]), {"direction": "up"})
    assert resp.status_code == 302 and resp["Location"].endswith(f"#question-{nps.pk}")
    core = survey.sections.get(code="core")
    assert list(core.questions.order_by("order").values_list("code", flat=True))[:2] == ["NPS", "SAT_OVERALL"]
    web = survey.sections.get(code="web")
    client.post(reverse("workbench:section_move", args=[survey.slug, web.pk]), {"direction": "up"})
    assert list(survey.sections.order_by("order").values_list("code", flat=True))[0] == "core"  # refused


def test_create_a_survey_then_settings_and_a_wave_make_it_publishable(client, designer, survey):
    resp = client.post(reverse("workbench:create"), {"slug": "neuve", "title_fr": "Neuve",
                                                     "categories": [UserCategory.objects.get(code="researchers").pk]})
    assert resp.status_code == 302
    new = Survey.objects.get(slug="neuve")
    assert new.status == SurveyStatus.DRAFT and designer in new.owners.all()
    settings = {"title_fr": "Neuve", "min_cell": "5", "categories": [UserCategory.objects.get(code="researchers").pk],
                **{f"notice_{k}_fr": "Texte" for k in ("controller", "purpose", "retention", "dpo_contact")}}
    assert client.post(reverse("workbench:settings", args=["neuve"]), settings).status_code == 302
    resp = client.post(reverse("workbench:waves", args=["neuve"]), {
        "code": "2027", "label": "Vague 2027", "opens_at": "2027-01-01T00:00", "closes_at": "2027-03-01T00:00"})
    assert resp.status_code == 302
    assert new.waves.get().code == "2027"
    new.refresh_from_db()
    problems = survey_publish_problems(new)
    assert problems == ["Le questionnaire n'a aucune section."]


def test_duplicate_button_makes_a_copy_the_designer_owns(client, designer, survey):
    resp = client.post(reverse("workbench:duplicate", args=[survey.slug]), {"slug": "copie"})
    assert resp.status_code == 302 and resp["Location"] == reverse("workbench:outline", args=["copie"])
    assert designer in Survey.objects.get(slug="copie").owners.all()


def test_a_designer_cannot_see_or_edit_another_designers_survey(client, survey):
    other = factories.SurveyFactory(slug="autre")
    client.force_login(factories.staff_user("other", "designers", surveys=[other]))
    section = survey.sections.first()
    question = section.questions.first()
    gets = [reverse("workbench:outline", args=[survey.slug]), reverse("workbench:settings", args=[survey.slug]),
            reverse("workbench:waves", args=[survey.slug]),
            reverse("workbench:section_edit", args=[survey.slug, section.pk]),
            reverse("workbench:question_edit", args=[survey.slug, question.pk]),
            reverse("workbench:question_create", args=[survey.slug, section.pk])]
    for url in gets:
        assert client.get(url).status_code == 404, url
    posts = [reverse("workbench:section_move", args=[survey.slug, section.pk]),
             reverse("workbench:question_delete", args=[survey.slug, question.pk]),
             reverse("workbench:duplicate", args=[survey.slug])]
    for url in posts:
        assert client.post(url, {"direction": "down", "slug": "vol"}).status_code == 404, url
    # nor reach its objects through their own survey's URLs
    assert client.get(reverse("workbench:question_edit", args=["autre", question.pk])).status_code == 404
    assert Question.objects.filter(pk=question.pk).exists() and not Survey.objects.filter(slug="vol").exists()


def test_an_analyst_gets_403_and_an_anonymous_visitor_the_login_page(client, survey):
    url = reverse("workbench:outline", args=[survey.slug])
    assert client.get(url).status_code == 302
    client.force_login(factories.staff_user("analyst", "analysts", surveys=[survey]))
    assert client.get(url).status_code == 403
    assert client.get(reverse("workbench:create")).status_code == 403


def test_a_post_without_the_csrf_token_is_refused(survey):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(factories.staff_user("designer", "designers", surveys=[survey]))
    nps = Question.objects.get(survey=survey, code="NPS")
    assert csrf_client.post(reverse("workbench:question_move", args=[survey.slug, nps.pk]),
                            {"direction": "up"}).status_code == 403
    assert nps.order == Question.objects.get(pk=nps.pk).order


def test_the_workbench_speaks_english_with_english_typography(client, designer, survey):
    from django.utils import translation

    with translation.override("en"):
        client.cookies["django_language"] = "en"
        html = client.get(reverse("workbench:outline", args=[survey.slug]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Questionnaire workbench" in html and "Move down" in html
    assert "USED is one of web" in html
    assert "Shown if:" in html and "Affichée si" not in html


def test_once_answered_a_questions_code_and_type_are_locked_and_it_cannot_be_deleted(client, designer, survey):
    from surveys.models import Response

    Response.objects.create(survey=survey, wave=survey.waves.get(), category=survey.categories.first())
    nps = Question.objects.get(survey=survey, code="NPS")
    url = reverse("workbench:question_edit", args=[survey.slug, nps.pk])
    text = "Recommanderiez-vous ?"
    resp = client.post(url, {"code": "NPS2", "type": "nps", "text_fr": text, **_choices(), **_rows()})
    assert resp.status_code == 400 and "déjà des réponses" in resp.content.decode()
    resp = client.post(url, {"code": "NPS", "type": "nps", "text_fr": "Recommanderiez-vous ?", **_choices(), **_rows()})
    assert resp.status_code == 302
    nps.refresh_from_db()
    assert nps.code == "NPS" and nps.text_fr == "Recommanderiez-vous ?"
    client.post(reverse("workbench:question_delete", args=[survey.slug, nps.pk]))
    assert Question.objects.filter(pk=nps.pk).exists()


def test_a_matrix_with_rows_and_a_scale_with_threshold_and_dont_know(client, designer, survey):
    end = survey.sections.get(code="end")
    url = reverse("workbench:question_create", args=[survey.slug, end.pk])
    resp = client.post(url, {"code": "GRID", "type": "matrix", "text_fr": "Notez", "allow_dont_know": "on",
                             **_choices(("delai", "Délai"), ("qualite", "Qualité")), **_rows()})
    assert resp.status_code == 302
    grid = Question.objects.get(survey=survey, code="GRID")
    assert grid.allow_dont_know and list(grid.choices.values_list("code", flat=True)) == ["delai", "qualite"]
    resp = client.post(url, {"code": "NOTE", "type": "scale", "text_fr": "Note", "threshold": "7",
                             "allow_dont_know": "on", **_choices(), **_rows()})
    assert resp.status_code == 302
    assert Question.objects.get(survey=survey, code="NOTE").threshold == 7
    resp = client.post(url, {"code": "NOTE2", "type": "scale", "text_fr": "Note", "threshold": "11",
                             **_choices(), **_rows()})
    assert resp.status_code == 400  # 0 to 10 only, the importer's rule
    assert survey_publish_problems(survey) == []


def test_a_move_keeps_the_category_the_outline_was_showing(client, designer, survey):
    nps = Question.objects.get(survey=survey, code="NPS")
    resp = client.post(reverse("workbench:question_move", args=[survey.slug, nps.pk]),
                       {"direction": "down", "categorie": "journalists"})
    outline = reverse("workbench:outline", args=[survey.slug])
    assert resp["Location"] == f"{outline}?categorie=journalists#question-{nps.pk}"
