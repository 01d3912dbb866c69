"""Invited participants: importing the list (:mod:`surveys.services.participants_file`), sending
invitations and reminders, opting out.

Tokens exist only at send time
------------------------------
A participant's token is stored as a hash only (`Participant.issue_token`), so the secret exists
only while the message that carries it is being written. Every message therefore carries a *fresh*
token: the import gives each participant a token nobody ever sees (the column is required and
unique), the invitation replaces it, and each reminder replaces it again. **The link of an earlier
message then stops working** ("lien invalide"); the reminder says that its link replaces the
previous one. Nothing already answered is lost: a draft belongs to the participant, not to the
token, so the new link continues it. We chose this over keeping the tokens encrypted: no key to
manage or rotate, nothing in the database that opens a questionnaire, and an old email that leaks
stops being a key as soon as a reminder is sent.

The opt-out link must keep working in *every* message, so it does not use the token: it carries
the participant's id signed with the SECRET_KEY (`opt_out_code`). It works until the participant's
identity is purged (then there is nothing left to unsubscribe).

Sending
-------
`surveys.services.sending` sends the messages: one transaction per message, so a killed worker
resumes where it stopped and nobody gets two copies; refusals are recorded, retries are bounded.

Reminders go to participants invited at least `reminder_interval()` ago (default two days), not
reminded in that interval, without a complete response, not opted out and not undeliverable. The
interval is also what makes a reminder round resumable: a retry of a crashed round skips those the
round already reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.template.loader import select_template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from ..models import (
    Participant, ResponseStatus, Wave, audit, tr,
)
from .participants_file import (  # noqa: F401 (re-exported: the import of the participants' file)
    COLUMNS, LANGUAGES, MAX_FILE_BYTES, MAX_ROWS, MAX_XLSX_UNCOMPRESSED, REQUIRED_COLUMNS, ImportFileError,
    ImportReport, RowProblem, participants_import,
)

INVITATION = "invitation"
REMINDER = "reminder"
KINDS = (INVITATION, REMINDER)

OPT_OUT_SALT = "ecoute.invitations.opt-out"


# --- Links -----------------------------------------------------------------------------------------

def opt_out_code(participant: Participant) -> str:
    """A stable, signed reference to a participant for the opt-out link (does not open the survey)."""
    return signing.Signer(salt=OPT_OUT_SALT).sign(str(participant.pk))


def participant_by_opt_out_code(code: str) -> Participant | None:
    if not code or len(code) > 200:
        return None
    try:
        pk = int(signing.Signer(salt=OPT_OUT_SALT).unsign(code))
    except (signing.BadSignature, ValueError):
        return None
    return Participant.objects.select_related("survey", "wave").filter(pk=pk).first()


def participant_opt_out(participant: Participant) -> bool:
    """Record that the participant wants no more messages. Returns False if already recorded."""
    changed = Participant.objects.filter(pk=participant.pk, opted_out_at__isnull=True).update(
        opted_out_at=timezone.now())
    if changed:
        audit("respondent", "participant_opt_out", participant.survey.slug, wave=participant.wave.code)
    return bool(changed)


def participant_set_undeliverable(participant: Participant, undeliverable: bool, actor: object) -> None:
    """Mark an address as bouncing (no more messages; counted as UO in response rates), or undo it."""
    Participant.objects.filter(pk=participant.pk).update(undeliverable=undeliverable)
    audit(actor, "participant_undeliverable" if undeliverable else "participant_deliverable",
          participant.survey.slug, wave=participant.wave.code, participant=participant.pk)


def participants_mark_undeliverable(wave: Wave, text: str, actor: object) -> tuple[int, list[str]]:
    """Mark the addresses of a bounce report (one per line, or separated by , ; or spaces).

    Returns (how many participants were marked, the addresses not found in the wave).
    """
    addresses = {a.strip().lower() for a in text.replace(",", " ").replace(";", " ").split() if "@" in a}
    addresses = {a for a in addresses if len(a) <= 254}
    matching = Participant.objects.filter(wave=wave).annotate(address=Lower("email")).filter(address__in=addresses)
    found = set(matching.values_list("address", flat=True))
    marked = Participant.objects.filter(pk__in=matching.filter(undeliverable=False).values("pk")).update(
        undeliverable=True)
    audit(actor, "participants_undeliverable", wave.survey.slug, wave=wave.code, marked=marked,
          unknown=len(addresses - found))
    return marked, sorted(addresses - found)


def _absolute(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path


# --- Sending ---------------------------------------------------------------------------------------

def reminder_interval() -> timedelta:
    """Least time between an invitation and a reminder, and between two reminders."""
    return timedelta(days=float(getattr(settings, "INVITATION_REMINDER_MIN_DAYS", 2)))


def eligible(wave: Wave, kind: str, now=None) -> QuerySet[Participant]:
    """Participants of `wave` a message of `kind` would go to now."""
    base = Participant.objects.filter(wave=wave, opted_out_at__isnull=True, undeliverable=False)
    if kind == INVITATION:
        return base.filter(invited_at__isnull=True)
    if kind == REMINDER:
        cutoff = (now or timezone.now()) - reminder_interval()
        return base.filter(invited_at__isnull=False, invited_at__lte=cutoff).filter(
            Q(reminded_at__isnull=True) | Q(reminded_at__lte=cutoff)
        ).exclude(response__status=ResponseStatus.COMPLETE)
    raise ValueError(f"unknown kind {kind!r}")


def _render(kind: str, part: str, language: str, slug: str, context: dict) -> str:
    """A survey may override a text with `surveys/email/<slug>/<kind>_<part>_<lang>.txt`."""
    return select_template([
        f"surveys/email/{slug}/{kind}_{part}_{language}.txt",
        f"surveys/email/{kind}_{part}_{language}.txt",
    ]).render(context)


def opt_out_path(participant: Participant) -> str:
    """`/s/t/<signed id>/desinscription/` (the route is named `surveys:opt_out`)."""
    code = opt_out_code(participant)
    try:
        return reverse("surveys:opt_out", args=[code])
    except NoReverseMatch:  # route not declared in surveys/urls.py yet: same path, built by hand
        return reverse("surveys:token", args=[code]) + "desinscription/"


def build_message(participant: Participant, kind: str, raw_token: str, base_url: str) -> EmailMessage:
    """The invitation or reminder for `participant`, in their language, with their personal link."""
    language = participant.language if participant.language in LANGUAGES else "fr"
    survey = participant.survey
    opt_out = _absolute(base_url, opt_out_path(participant))
    with translation.override(language):
        context = {
            "survey_title": tr(survey, "title"),
            "survey_intro": tr(survey, "intro"),
            "link": _absolute(base_url, reverse("surveys:token", args=[raw_token])),
            "opt_out_link": opt_out,
            "notice_link": _absolute(base_url, reverse("surveys:notice", args=[survey.slug])),
            "closes_at": timezone.localtime(participant.wave.closes_at),
            "service_name": settings.SERVICE_NAME,
            "service_owner": settings.SERVICE_OWNER,
        }
        subject = _render(kind, "subject", language, survey.slug, context)
        body = _render(kind, "body", language, survey.slug, context)
    subject = " ".join(subject.split())
    return EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL,
                        to=[participant.email], headers={"List-Unsubscribe": f"<{opt_out}>"})


# --- Progress --------------------------------------------------------------------------------------

@dataclass
class Progress:
    participants: int
    invited: int
    reminded: int
    to_invite: int
    to_remind: int
    opted_out: int
    undeliverable: int


def invitations_progress(wave: Wave) -> Progress:
    """Counts read from the database (so they are right whichever worker sends)."""
    qs = Participant.objects.filter(wave=wave)
    return Progress(
        participants=qs.count(),
        invited=qs.filter(invited_at__isnull=False).count(),
        reminded=qs.filter(reminded_at__isnull=False).count(),
        to_invite=eligible(wave, INVITATION).count(),
        to_remind=eligible(wave, REMINDER).count(),
        opted_out=qs.filter(opted_out_at__isnull=False).count(),
        undeliverable=qs.filter(undeliverable=True).count(),
    )
