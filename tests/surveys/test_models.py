"""Database constraints guard the data even when application code is bypassed."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from surveys.models import Answer, Question, Response, Survey, UserCategory, Wave, hash_secret
from tests import factories

pytestmark = pytest.mark.django_db


def test_question_codes_are_unique_within_a_survey(survey):
    section = survey.sections.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Question.objects.create(section=section, code="SAT_OVERALL", type="nps", text_fr="Doublon")


def test_the_same_question_code_may_exist_in_two_surveys(survey):
    other = factories.SurveyFactory(slug="other")
    from surveys.models import Section

    section = Section.objects.create(survey=other, code="core", title_fr="x")
    Question.objects.create(section=section, code="SAT_OVERALL", type="nps", text_fr="ok")
    assert Question.objects.filter(code="SAT_OVERALL").count() == 2


def test_wave_must_close_after_it_opens(survey):
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        Wave.objects.create(survey=survey, code="bad", opens_at=now, closes_at=now - timedelta(days=1))


def test_wave_codes_are_unique_per_survey(survey):
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        Wave.objects.create(survey=survey, code="2026", opens_at=now, closes_at=now + timedelta(days=1))


def test_one_answer_per_response_and_question(survey):
    wave = survey.waves.get()
    response = Response.objects.create(survey=survey, wave=wave, category=UserCategory.objects.get(code="researchers"))
    q = survey.questions.get(code="NPS")
    Answer.objects.create(response=response, question=q, value=9)
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.create(response=response, question=q, value=3)


def test_a_complete_response_needs_a_submission_time(survey):
    wave = survey.waves.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.create(survey=survey, wave=wave, category=UserCategory.objects.first(), status="complete")


def test_an_invited_participant_has_at_most_one_response(survey):
    wave = survey.waves.get()
    cat = UserCategory.objects.first()
    from surveys.models import Participant

    p = Participant(survey=survey, wave=wave, email="a@example.org", category=cat)
    raw = p.issue_token()
    p.save()
    assert p.token_hash == hash_secret(raw) and raw not in p.token_hash
    assert len(raw) >= 43  # 32 random bytes, URL-safe base64: 256 bits
    Response.objects.create(survey=survey, wave=wave, category=cat, participant=p)
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.create(survey=survey, wave=wave, category=cat, participant=p)


def test_notice_version_increases_when_the_notice_text_changes(survey):
    assert survey.notice_version == 1
    survey.title_fr = "Nouveau titre"
    survey.save()
    assert Survey.objects.get(pk=survey.pk).notice_version == 1
    survey.notice_retention_fr = "Cinq ans."
    survey.save()
    assert Survey.objects.get(pk=survey.pk).notice_version == 2


def test_a_wave_cannot_open_while_the_notice_is_incomplete(survey):
    survey.notice_dpo_contact_fr = ""
    survey.save()
    now = timezone.now()
    wave = Wave(survey=survey, code="new", opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=1))
    with pytest.raises(ValidationError, match="dpo_contact"):
        wave.full_clean()


def test_response_tables_hold_no_direct_identifier():
    """Minimisation: no IP address, user agent, email or name next to answers."""
    forbidden = {"ip", "ip_address", "user_agent", "email", "name", "first_name", "last_name"}
    for model in (Response, Answer):
        names = {f.name for f in model._meta.get_fields()} | {getattr(f, "column", "") for f in model._meta.get_fields()}
        assert not names & forbidden, model
