"""Questionnaire versions per wave (issue 18): freezing, responses' versions, the diff, the command
and editing while a wave is open."""

from __future__ import annotations

import copy
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from surveys.models import AuditLog, BreakDecision, Question, QuestionnaireVersion, Response, Wave
from surveys.services.version_diff import diff_snapshots, word_diff, words_text
from surveys.services.versions import compare_waves, freeze_wave, questionnaire_snapshot
from tests import factories
from tests.surveys.test_wizard import FULL, MGMT, step_url, walk

pytestmark = pytest.mark.django_db


def _close(wave: Wave, days_ago: int = 1) -> None:
    now = timezone.now()
    Wave.objects.filter(pk=wave.pk).update(opens_at=now - timedelta(days=days_ago + 60),
                                           closes_at=now - timedelta(days=days_ago))


def _answer(client: Client, survey) -> Response:
    before = set(Response.objects.values_list("pk", flat=True))
    walk(client, survey, "researchers", FULL)
    client.post(step_url(survey, "recapitulatif"), {MGMT: "recapitulatif"}, follow=True)
    return Response.objects.exclude(pk__in=before).get()


def _text_of(version: QuestionnaireVersion, code: str) -> str:
    return next(q["text"]["fr"] for s in version.snapshot["sections"] for q in s["questions"] if q["code"] == code)


@pytest.fixture
def designer(survey) -> Client:
    c = Client()
    c.force_login(factories.staff_user("dora", "designers", [survey], superuser=True))
    return c


def _admin_post(client: Client, question: Question, **changes):
    """POST the admin change form of `question` with its current values, then `changes`."""
    data = {"section": question.section_id, "code": question.code, "type": question.type,
            "text_fr": question.text_fr, "text_en": question.text_en, "help_fr": question.help_fr,
            "help_en": question.help_en, "order": question.order, "condition": "null",
            "choices-TOTAL_FORMS": "0", "choices-INITIAL_FORMS": "0", "choices-MIN_NUM_FORMS": "0",
            "choices-MAX_NUM_FORMS": "1000"}
    for field in ("required", "allow_dont_know"):
        if getattr(question, field):
            data[field] = "on"
    data.update(changes)
    return client.post(reverse("admin:surveys_question_change", args=[question.pk]), data)


def test_rewording_a_scale_question_creates_a_new_version_for_the_next_wave_and_old_responses_keep_the_old_text(
        client, survey, designer):
    first = survey.waves.get(code="2026")
    old_response = _answer(client, survey)
    assert old_response.version is not None and old_response.version.number == 1
    _close(first)
    q = survey.questions.get(code="SAT_MICRO")  # a 0–10 scale question
    old_text = q.text_fr
    assert _admin_post(designer, q, text_fr="Sur une échelle de 0 à 10, que pensez-vous des microdonnées ?"
                       ).status_code == 302  # no open wave in use: the edit is free
    nxt = factories.WaveFactory(survey=survey, code="2027", opens_at=timezone.now() - timedelta(hours=1))
    new_response = _answer(Client(), survey)

    old_response.refresh_from_db()
    nxt.refresh_from_db()
    assert new_response.wave_id == nxt.pk and new_response.version.number == 2 == nxt.version.number
    assert old_response.version.number == 1 and Wave.objects.get(pk=first.pk).version.number == 1
    assert _text_of(old_response.version, "SAT_MICRO") == old_text
    assert _text_of(new_response.version, "SAT_MICRO").startswith("Sur une échelle de 0 à 10")
    assert [c.kind for c in compare_waves(Wave.objects.get(pk=first.pk), nxt)] == ["reworded"]


def test_an_unchanged_questionnaire_reuses_its_version_for_the_next_wave(survey):
    first = survey.waves.get(code="2026")
    v1 = freeze_wave(first)
    _close(first)
    nxt = factories.WaveFactory(survey=survey, code="2027")
    assert freeze_wave(nxt).pk == v1.pk and QuestionnaireVersion.objects.count() == 1


def test_an_edit_after_a_wave_closed_unanswered_keeps_that_wave_on_the_questionnaire_it_had(survey):
    first = survey.waves.get(code="2026")
    _close(first)
    q = survey.questions.get(code="NPS")
    q.text_fr = "Nouveau libellé"
    q.save()  # the signal freezes the closed wave first, with the text it was fielded with
    first.refresh_from_db()
    assert _text_of(first.version, "NPS") == "Question NPS"


def test_a_scale_change_is_reported_and_breaks_comparability(survey):
    before = questionnaire_snapshot(survey)
    Question.objects.filter(survey=survey, code="SAT_OVERALL").update(type="scale")
    changes = diff_snapshots(before, questionnaire_snapshot(survey))
    assert [(c.question, c.kind, c.before, c.after, c.breaking) for c in changes] == [
        ("SAT_OVERALL", "scale change", "satisfaction 1–5", "scale 0–10", True)]


def test_the_diff_lists_added_removed_recoded_conditions_and_targeting():
    a = {"sections": [{"code": "s", "categories": [], "condition": None, "questions": [
        {"code": "Q1", "type": "single", "text": {"fr": "Votre statut", "en": "Your status"}, "help": {},
         "choices": [{"code": "a", "label": {"fr": "A", "en": "A"}}, {"code": "b", "label": {"fr": "B", "en": "B"}}],
         "condition": None, "categories": [], "channel": None, "required": False, "allow_dont_know": False},
        {"code": "OLD", "type": "text", "text": {"fr": "Ancienne", "en": "Old"}, "help": {}, "choices": []}]}]}
    b = copy.deepcopy(a)
    q1 = b["sections"][0]["questions"][0]
    q1["choices"].append({"code": "c", "label": {"fr": "C", "en": "C"}})
    q1["condition"] = {"question": "X", "op": "=", "value": 1}
    q1["categories"] = ["researchers"]
    b["sections"][0]["questions"][1] = {"code": "NEW", "type": "nps", "text": {"fr": "Nouvelle"}, "help": {},
                                        "choices": []}
    lines = [c.summary() for c in diff_snapshots(a, b)]
    assert lines == [
        "Q1: recoded: a, b → a, b, c",
        'Q1: condition change: – → {"op": "=", "question": "X", "value": 1}',
        "Q1: targeting change: all → question: researchers",
        "NEW: added: – → nps 0–10",
        "OLD: removed: text → –",
    ]


def test_word_diff_marks_only_the_changed_words():
    parts = word_diff("Êtes-vous satisfait du site ?", "Êtes-vous très satisfait du nouveau site ?")
    assert words_text(parts) == "Êtes-vous {+très+} satisfait du {+nouveau+} site ?"
    assert words_text(word_diff("un deux trois", "un quatre trois")) == "un [-deux-] {+quatre+} trois"


def test_diff_versions_command_prints_the_expected_lines(survey):
    first = survey.waves.get(code="2026")
    freeze_wave(first)
    _close(first)
    Question.objects.filter(survey=survey, code="SAT_OVERALL").update(
        type="scale", text_fr="Dans l'ensemble, quelle note donnez-vous ?")
    Question.objects.filter(survey=survey, code="VISITS").update(max_value=50)
    freeze_wave(factories.WaveFactory(survey=survey, code="2027"))  # as its first response would
    out = StringIO()
    call_command("diff_versions", survey.slug, "2026", "2027", stdout=out)
    assert out.getvalue().splitlines() == [
        "test-survey: 2026 (v1) -> 2027 (v2): 3 change(s)",
        "  SAT_OVERALL: scale change: satisfaction 1–5 → scale 0–10",
        "  SAT_OVERALL: reworded [fr] [-Question SAT_OVERALL-] {+Dans l'ensemble, quelle note donnez-vous ?+}",
        "  VISITS: scale change: number 0–100 → number 0–50",
        "  not comparable: SAT_OVERALL (scale change)",
        "  not comparable: VISITS (scale change)",
    ]


# -- editing while a wave is open ----------------------------------------------------------------

@pytest.fixture
def answered(client, survey):
    """The open wave 2026 in use: one response froze its questionnaire."""
    _answer(client, survey)
    return survey


def test_editing_an_open_wave_in_use_is_refused_with_the_reason(answered, designer):
    q = answered.questions.get(code="NPS")
    resp = _admin_post(designer, q, text_fr="Recommanderiez-vous notre service ?")
    html = resp.content.decode()
    assert resp.status_code == 200 and "La vague « 2026 » est ouverte" in html and "correction mineure" in html
    q.refresh_from_db()
    assert q.text_fr == "Question NPS"


def test_a_minor_correction_with_its_reason_is_saved_logged_and_keeps_the_version(answered, designer):
    q = answered.questions.get(code="NPS")
    version = answered.waves.get(code="2026").version
    resp = _admin_post(designer, q, text_fr="Question NPS corrigée", minor_correction="on",
                       correction_reason="faute de frappe")
    assert resp.status_code == 302
    version.refresh_from_db()
    assert QuestionnaireVersion.objects.count() == 1 and _text_of(version, "NPS") == "Question NPS corrigée"
    [entry] = version.corrections
    assert entry["reason"] == "faute de frappe" and entry["actor"] == "dora"
    assert entry["changes"] == ["NPS: reworded [fr] Question NPS {+corrigée+}"]
    assert AuditLog.objects.filter(action="minor_correction", details__reason="faute de frappe").exists()


def test_a_minor_correction_needs_a_reason_and_may_not_change_the_scale(answered, designer):
    q = answered.questions.get(code="NPS")
    resp = _admin_post(designer, q, text_fr="Question NPS corrigée", minor_correction="on")
    assert resp.status_code == 200 and "Donnez le motif" in resp.content.decode()
    resp = _admin_post(designer, q, max_length="20", minor_correction="on", correction_reason="x")
    assert resp.status_code == 200 and "ne change que des libellés" in resp.content.decode()
    q.refresh_from_db()
    assert q.text_fr == "Question NPS" and q.max_length is None


def test_an_open_wave_nobody_answered_yet_stays_editable(survey, designer):
    q = survey.questions.get(code="NPS")
    assert _admin_post(designer, q, text_fr="Recommanderiez-vous notre service ?").status_code == 302
    assert not QuestionnaireVersion.objects.exists()


# -- the staff page ---------------------------------------------------------------------------------

def test_the_versions_page_shows_the_word_diff_and_records_a_ruling(survey, designer):
    first = survey.waves.get(code="2026")
    freeze_wave(first)
    _close(first)
    Question.objects.filter(survey=survey, code="NPS").update(text_fr="Question NPS révisée")
    nxt = factories.WaveFactory(survey=survey, code="2027")
    freeze_wave(nxt)
    url = reverse("staff:versions", args=[survey.slug])
    html = designer.get(url, {"a": "2026", "b": "2027"}).content.decode()
    assert "<ins><span class=\"sr-only\">ajouté : </span>révisée</ins>" in html and "libellé modifié" in html
    resp = designer.post(f"{url}?a=2026&b=2027", {"question": "NPS", "decision": "break",
                                                   "reason": "Le sens de la question a changé."})
    assert resp.status_code == 302
    ruling = BreakDecision.objects.get()
    assert (ruling.question, ruling.decision, ruling.decided_by) == ("NPS", "break", "dora")
    out = StringIO()
    call_command("diff_versions", survey.slug, "2026", "2027", stdout=out)
    assert "  not comparable: NPS (Le sens de la question a changé.)" in out.getvalue().splitlines()


def test_the_versions_page_is_for_designers_only(survey):
    c = Client()
    c.force_login(factories.staff_user("ana", "analysts", [survey]))
    assert c.get(reverse("staff:versions", args=[survey.slug])).status_code == 403


def test_a_version_in_use_cannot_be_deleted_alone_but_goes_with_its_survey(client, survey):
    from django.db.models import RestrictedError

    response = _answer(client, survey)
    with pytest.raises(RestrictedError):  # answered with it
        response.version.delete()
    other = factories.build_survey("autre-enquete")
    version = freeze_wave(other.waves.get())
    with pytest.raises(RestrictedError):  # a wave uses it
        version.delete()
    other.delete()  # a survey without responses may be deleted, its versions with it
    assert not QuestionnaireVersion.objects.filter(pk=version.pk).exists()
