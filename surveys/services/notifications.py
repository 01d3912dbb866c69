"""Emails sent to respondents. Called on commit only, so a rolled-back submit sends nothing."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from ..models import Participant, Response


def response_confirm(response: Response) -> None:
    """Thank an invited participant once their response is complete (open links have no address)."""
    participant = Participant.objects.filter(pk=response.participant_id).select_related("survey").first()
    if participant is None:
        return
    with translation.override(participant.language or "fr"):
        context = {"survey": participant.survey, "service_name": settings.SERVICE_NAME}
        subject = render_to_string("surveys/email/confirm_subject.txt", context).strip()
        body = render_to_string("surveys/email/confirm_body.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [participant.email])
