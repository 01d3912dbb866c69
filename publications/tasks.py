"""The release notice (Django's tasks framework): sent to the embargo list and the collection's
subscribers once the publication is public. Idempotent: run it twice, it sends once."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import Publication, Subscription


def _recipients(publication: Publication) -> dict[str, str]:
    """Address → language: the embargo list's accounts (French) and the collection's subscribers."""
    out: dict[str, str] = {}
    for email in publication.embargo.filter(is_active=True).exclude(email="").values_list("email", flat=True):
        out.setdefault(email.lower(), "fr")
    for email, language in Subscription.objects.filter(collection=publication.collection_id).values_list(
            "email", "language"):
        out.setdefault(email.lower(), language or "fr")
    return out


@task
def send_release_notice(publication_id: int, base_url: str = "") -> dict:
    """Tell the embargo list and the subscribers that the publication is out (one message each, no
    shared recipient list). Does nothing before the release moment (a deferred run of a moved
    release) or when the notice was already sent. If sending fails, a later request queues it again."""
    try:
        return _send(publication_id, base_url)
    except Exception:
        Publication.objects.filter(pk=publication_id, notice_sent_at__isnull=True).update(notice_queued_at=None)
        raise


def _send(publication_id: int, base_url: str) -> dict:
    with transaction.atomic():
        publication = (Publication.objects.select_for_update().select_related("collection")
                       .filter(pk=publication_id).first())
        if publication is None or publication.notice_sent_at is not None or not publication.is_released():
            return {"sent": 0}
        if not publication.versions.exists():
            return {"sent": 0}
        messages = []
        for email, language in _recipients(publication).items():
            with translation.override(language):
                context = {"publication": publication, "url": base_url.rstrip("/") + publication.get_absolute_url(),
                           "service_name": settings.SERVICE_NAME}
                subject = render_to_string("publications/email/notice_subject.txt", context).strip()
                body = render_to_string("publications/email/notice_body.txt", context)
            messages.append(EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [email]))
        if messages:
            mailers.default.send_messages(messages)
        publication.notice_sent_at = timezone.now()
        publication.save(update_fields=["notice_sent_at"])
    return {"sent": len(messages)}
