"""A designer builds a questionnaire from scratch in the workbench, publishes it, and it is answered.

Only the workbench's pages are used (no admin, no file, no JSON typed): a survey offered to three
categories, two sections, the second shown on a condition built from rows, a question moved with
the keyboard, the publish checklist; then a respondent answers it in a fresh browser. axe-core and
our RGAA form checks run on the workbench pages on the way.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.browser.checks import form_problems, run_axe

pytestmark = pytest.mark.browser

CATEGORIES = ["researchers", "general_public", "journalists"]
SLUG = "atelier-navigateur"


def _check(page, where: str, expect_error: bool = False) -> None:
    problems = run_axe(page).problems() + form_problems(page, expect_error=expect_error)
    assert not problems, f"{where}:\n" + "\n".join(problems)


def _save(page, button: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()
    errors = page.locator("#error-summary").all_inner_texts()
    assert not errors, errors


def _add_question(page, code: str, qtype: str, text: str, choices: tuple[tuple[str, str], ...] = ()) -> None:
    page.fill("#id_code", code)
    page.select_option("#id_type", qtype)
    page.fill("#id_text_fr", text)
    for i, (choice_code, label) in enumerate(choices):
        page.fill(f"#id_choices-{i}-code", choice_code)
        page.fill(f"#id_choices-{i}-label_fr", label)
    _save(page, "Enregistrer la question")


def test_a_designer_builds_publishes_and_a_respondent_answers(site):
    from django.utils import timezone

    from surveys.models import NOTICE_ELEMENTS, Question, Response, ResponseStatus, Section, Survey, UserCategory

    page = site.page
    site.login("designer")

    # a new survey offered to three categories
    site.goto("/equipe/atelier/nouvelle/")
    page.fill("#id_slug", SLUG)
    page.fill("#id_title_fr", "Enquête construite dans l'atelier")
    for code in CATEGORIES:
        page.check(f"input[name=categories][value='{UserCategory.objects.get(code=code).pk}']")
    _save(page, "Créer l'enquête (brouillon)")
    survey = Survey.objects.get(slug=SLUG)
    assert survey.status == "draft"
    _check(page, "outline of an empty survey")

    # the notice and a wave, from the workbench
    page.get_by_role("link", name="Réglages et notice").click()
    for key, _label in NOTICE_ELEMENTS:  # an open wave needs the whole notice
        page.fill(f"#id_notice_{key}_fr", "Le service statistique ministériel")
    _save(page, "Enregistrer les réglages")
    page.get_by_role("link", name="Vagues", exact=True).click()
    now = timezone.localtime()
    page.fill("#id_code", "v1")
    page.fill("#id_opens_at", (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_closes_at", (now + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"))
    _save(page, "Ajouter la vague")

    # section 1: a satisfaction and a multiple choice
    site.goto(f"/equipe/atelier/{SLUG}/")
    page.get_by_role("link", name="Ajouter une section").click()
    _check(page, "new section form")
    page.fill("#id_code", "avis")
    page.fill("#id_title_fr", "Votre avis")
    _save(page, "Enregistrer la section")
    first = Section.objects.get(survey=survey, code="avis")
    page.get_by_role("link", name="Ajouter une question à la section avis").click()
    _check(page, "new question form")
    _add_question(page, "SAT", "satisfaction", "Êtes-vous satisfait du service ?")
    page.get_by_role("link", name="Ajouter une question à la section avis").click()
    _add_question(page, "USED", "multiple", "Qu'avez-vous utilisé ?", (("web", "Le site"), ("tel", "Le téléphone")))

    # reorder by keyboard: focus "Descendre" for SAT and press Enter
    button = page.get_by_role("button", name="Descendre la question SAT")
    button.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert list(first.questions.order_by("order").values_list("code", flat=True)) == ["USED", "SAT"]
    moved = Question.objects.get(survey=survey, code="SAT")
    assert page.evaluate("document.activeElement.id") == f"question-{moved.pk}"  # the focus follows the item

    # section 2, shown when the site was used (a condition built from rows), one question for researchers
    page.get_by_role("link", name="Ajouter une section").click()
    page.fill("#id_code", "site")
    page.fill("#id_title_fr", "Le site internet")
    page.select_option("#id_condrow-0-question", "USED")
    page.select_option("#id_condrow-0-op", "in")
    page.fill("#id_condrow-0-value", "web")
    _save(page, "Enregistrer la section")
    second = Section.objects.get(survey=survey, code="site")
    assert second.condition == {"question": "USED", "in": ["web"]}
    page.get_by_role("link", name="Ajouter une question à la section site").click()
    _add_question(page, "SAT_WEB", "scale", "Quelle note donnez-vous au site ?")
    page.get_by_role("link", name="Ajouter une question à la section site").click()
    page.check(f"input[name=categories][value='{UserCategory.objects.get(code='researchers').pk}']")
    _add_question(page, "DATA", "text", "Quelles données cherchiez-vous ?")
    assert list(Question.objects.get(code="DATA", survey=survey).categories.values_list("code", flat=True)) == [
        "researchers"]
    assert "USED est parmi web" in page.content()
    _check(page, "outline with two sections and the preview")

    # a builder error is summarised and linked to its field
    page.get_by_role("link", name="Modifier la section site").click()
    page.select_option("#id_condrow-0-op", ">=")
    page.fill("#id_condrow-0-value", "beaucoup")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer la section").click()
    assert page.locator("#error-summary a[href='#id_condrow-0-value']").count() == 1
    _check(page, "section form with an error", expect_error=True)

    # publish through the checklist
    site.goto(f"/equipe/atelier/{SLUG}/")
    page.get_by_role("link", name="Publier (liste de contrôle)").click()
    assert page.locator(".message-success").count() == 1, page.locator(".message-error").all_inner_texts()
    with page.expect_navigation():
        page.get_by_role("button", name="Publier l'enquête").click()
    survey.refresh_from_db()
    assert survey.status == "published"

    # a respondent (a fresh browser) answers it as a researcher: both sections come
    site.new_context()
    site.survey = survey
    steps = list(site.walk("researchers"))
    assert steps == ["avis", "site", "recapitulatif"]
    site.submit()
    response = Response.objects.get(survey=survey)
    assert response.status == ResponseStatus.COMPLETE
    assert set(response.answers.values_list("question__code", flat=True)) == {"USED", "SAT", "SAT_WEB", "DATA"}
