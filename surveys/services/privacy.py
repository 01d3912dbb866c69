"""Personal data in free text, retention and the respondent's rights (GDPR)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ..masking import mask_contacts
from ..models import Participant, Response, ResponseStatus, ResumeStart, Survey, audit



def mask_personal_data(text: str) -> str:
    """Replace e-mails, phone numbers, IBANs and NIRs in a verbatim so analysts never see them."""
    return mask_contacts(text)


def response_as_dict(response: Response) -> dict:
    """What a respondent may download about themselves (access and portability)."""
    return {
        "survey": response.survey.slug,
        "wave": response.wave.code,
        "category": response.category.code,
        "channel": response.channel.code if response.channel else None,
        "status": response.status,
        "started_at": response.started_at.isoformat(),
        "submitted_at": response.submitted_at.isoformat() if response.submitted_at else None,
        "answers": {
            a.question.code: {"value": a.value, "text": a.text, "codes": a.codes, "dont_know": a.dont_know}
            for a in response.answers.select_related("question").order_by("question__code")
        },
    }


def response_erase(response: Response, actor: str = "respondent") -> None:
    """Erase a response, its answers and the link to the invited person (right to erasure)."""
    with transaction.atomic():
        participant_id = response.participant_id
        survey_slug = response.survey.slug
        if response.resume_code_hash:
            ResumeStart.objects.filter(code_hash=response.resume_code_hash).delete()
        response.delete()
        if participant_id:
            Participant.objects.filter(pk=participant_id).delete()
        audit(actor, "respondent_erasure", survey_slug)


@dataclass
class PurgeReport:
    drafts: int = 0
    identities: int = 0
    responses: int = 0


def purge_expired(now=None, dry_run: bool = False) -> dict[str, PurgeReport]:
    """Delete what is past each survey's retention periods; idempotent; counts go to the audit log.

    - drafts (partial responses) older than `retention_drafts_days` since their last change;
    - identities (invited participants' emails) `retention_identities_days` after the wave closed:
      the participant row is deleted, the response stays, unlinked (SET NULL);
    - responses `retention_responses_days` after the wave closed (aggregates computed earlier,
      such as published tables, are not in these tables and survive).
    """
    now = now or timezone.now()
    reports: dict[str, PurgeReport] = {}
    for survey in Survey.objects.all():
        drafts = Response.objects.filter(
            survey=survey, status=ResponseStatus.PARTIAL,
            updated_at__lt=now - timedelta(days=survey.retention_drafts_days))
        identities = Participant.objects.filter(
            survey=survey, wave__closes_at__lt=now - timedelta(days=survey.retention_identities_days))
        responses = Response.objects.filter(
            survey=survey, wave__closes_at__lt=now - timedelta(days=survey.retention_responses_days))
        if not dry_run:  # resume codes handed out before any answer: as old as a draft may get
            ResumeStart.objects.filter(survey=survey, created_at__lt=now - timedelta(
                days=survey.retention_drafts_days)).delete()
        report = PurgeReport(drafts=drafts.count(), identities=identities.count(), responses=responses.count())
        if not dry_run and (report.drafts or report.identities or report.responses):
            with transaction.atomic():
                drafts.delete()
                identities.delete()
                responses.delete()
                audit("system", "purge", survey.slug, drafts=report.drafts, identities=report.identities,
                      responses=report.responses)
        reports[survey.slug] = report
    return reports


def erasure_deadline(response: Response):
    """Respondents may erase their answers until the wave closes (the notice says so)."""
    return response.wave.closes_at
