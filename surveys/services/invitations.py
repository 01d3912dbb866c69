"""Invited participants: importing the list, sending invitations and reminders, opting out.

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

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import PurePath

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.template.loader import select_template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from ..models import (
    Channel, Participant, ResponseStatus, UserCategory, Wave, audit, tr,
)

INVITATION = "invitation"
REMINDER = "reminder"
KINDS = (INVITATION, REMINDER)
LANGUAGES = ("fr", "en")

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
MAX_XLSX_UNCOMPRESSED = 50 * 1024 * 1024

# Header names accepted for each column (case and accents as typed by a French team).
COLUMNS = {
    "email": {"email", "e-mail", "courriel", "mail", "adresse"},
    "category": {"category", "categorie", "catégorie", "category_code"},
    "channel": {"channel", "canal", "channel_code"},
    "language": {"language", "langue", "lang"},
}
REQUIRED_COLUMNS = ("email", "category")

OPT_OUT_SALT = "ecoute.invitations.opt-out"


# --- Import ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RowProblem:
    """One bad or skipped row: its line in the file, the column, and a message in French."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"ligne {self.line}, {self.field} : {self.message}"


@dataclass
class ImportReport:
    """What an import did. `errors`: problems of refused rows; `duplicates`: rows skipped (already there)."""

    filename: str
    rows: int = 0
    rejected: int = 0  # rows refused (a row may have several errors)
    created: int = 0
    errors: list[RowProblem] = field(default_factory=list)
    duplicates: list[RowProblem] = field(default_factory=list)
    file_error: str = ""
    ignored_columns: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def valid(self) -> int:
        """Rows that were (or, in a dry run, would be) imported."""
        return self.rows - self.rejected - len(self.duplicates)

    @property
    def ok(self) -> bool:
        return not self.file_error and not self.errors


class ImportFileError(Exception):
    """The file as a whole cannot be read (format, encoding, size, header)."""


def _norm_header(value: object) -> str:
    return str(value or "").strip().lower().replace(" ", "_")


def _read_csv(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for each record of a UTF-8 CSV (BOM optional), `,` or `;` separated."""
    if b"\x00" in data:
        raise ImportFileError("le fichier contient des caractères nuls : ce n'est pas un fichier CSV texte.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ImportFileError(
            f"le fichier n'est pas encodé en UTF-8 (ligne {line}) : "
            "enregistrez-le au format « CSV UTF-8 »."
        ) from exc
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    for cells in reader:
        yield start, cells
        start = reader.line_num + 1


def _read_xlsx(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of the first sheet. The archive is checked before openpyxl opens it."""
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > 1000 or sum(i.file_size for i in infos) > MAX_XLSX_UNCOMPRESSED:
                raise ImportFileError("le classeur est trop volumineux une fois décompressé.")
    except zipfile.BadZipFile as exc:
        raise ImportFileError("le fichier n'est pas un classeur XLSX valide.") from exc
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of errors on a damaged file
        raise ImportFileError("le classeur XLSX n'a pas pu être lu (fichier endommagé ?).") from exc
    try:
        sheet = workbook.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, ["" if v is None else str(v) for v in row]
    finally:
        workbook.close()


def _records(data: bytes, filename: str) -> Iterator[tuple[int, list[str]]]:
    suffix = PurePath(filename or "").suffix.lower()
    if suffix == ".xlsx":
        if not data.startswith(b"PK\x03\x04"):
            raise ImportFileError("le fichier porte l'extension .xlsx mais n'est pas un classeur XLSX.")
        return _read_xlsx(data)
    if suffix in (".csv", ".txt"):
        if data.startswith(b"PK\x03\x04"):
            raise ImportFileError("le fichier porte l'extension .csv mais c'est un classeur : "
                                  "renommez-le en .xlsx ou enregistrez-le au format CSV.")
        return _read_csv(data)
    raise ImportFileError("format non pris en charge : envoyez un fichier .csv (UTF-8) ou .xlsx.")


def participants_import(wave: Wave, file, filename: str, *, actor: object = None,
                        dry_run: bool = False) -> ImportReport:
    """Import invited participants into `wave` from a CSV or XLSX file.

    Columns (first row): ``email``, ``category`` (a category code), optional ``channel`` (a channel
    code) and ``language`` (``fr`` or ``en``; French when empty); French header names (courriel,
    catégorie, canal, langue) are accepted too. Every bad row is reported with its line number, its
    column and why (``ligne 4, email : adresse invalide « foo@ »``); rows repeated in the file, already
    in the wave, or of someone who opted out of the survey in an earlier wave are skipped and
    reported (`duplicates`). Addresses are stored in lower case. The good rows are imported in one
    transaction (none of them in a dry run). The audit log gets the counts, never an address.
    """
    report = ImportReport(filename=PurePath(filename or "").name[:200], dry_run=dry_run)
    data = file.read(MAX_FILE_BYTES + 1) if hasattr(file, "read") else bytes(file)
    if len(data) > MAX_FILE_BYTES:
        report.file_error = f"le fichier dépasse {MAX_FILE_BYTES // (1024 * 1024)} Mo."
        return report
    try:
        rows = _parse(wave, _records(data, filename), report)
    except ImportFileError as exc:
        report.file_error = str(exc)
        report.errors.clear()
        report.duplicates.clear()
        report.rows = report.rejected = 0
        return report
    if rows and not dry_run:
        with transaction.atomic():
            before = Participant.objects.filter(wave=wave).count()
            participants = []
            for email, category, channel, language in rows:
                p = Participant(survey_id=wave.survey_id, wave=wave, email=email, category=category,
                                channel=channel, language=language)
                p.issue_token()  # never shown: the invitation issues the token it sends
                participants.append(p)
            Participant.objects.bulk_create(participants, batch_size=1000, ignore_conflicts=True)
            report.created = Participant.objects.filter(wave=wave).count() - before
    if not dry_run:
        audit(actor, "participants_import", wave.survey.slug, wave=wave.code, rows=report.rows,
              created=report.created, errors=report.rejected, duplicates=len(report.duplicates))
    return report


def _parse(wave: Wave, records: Iterable[tuple[int, list[str]]], report: ImportReport
           ) -> list[tuple[str, UserCategory, Channel | None, str]]:
    """Check every row; return the good ones, record the others in `report`."""
    records = iter(records)
    header_line, header = next(((n, cells) for n, cells in records if any(c.strip() for c in cells)), (0, None))
    if header is None:
        raise ImportFileError("le fichier est vide.")
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        key = next((k for k, aliases in COLUMNS.items() if _norm_header(name) in aliases), None)
        if key is None:
            if str(name).strip():
                report.ignored_columns.append(str(name).strip()[:60])
        elif key not in positions:
            positions[key] = index
    missing = [c for c in REQUIRED_COLUMNS if c not in positions]
    if missing:
        raise ImportFileError(
            f"ligne {header_line} : colonne{'s' if len(missing) > 1 else ''} obligatoire"
            f"{'s' if len(missing) > 1 else ''} absente{'s' if len(missing) > 1 else ''} : "
            f"{', '.join(missing)} (colonnes attendues : email, category, channel, language)."
        )

    offered = {c.code: c for c in wave.survey.categories.all()}
    categories = offered or {c.code: c for c in UserCategory.objects.all()}
    known_categories = set(UserCategory.objects.values_list("code", flat=True))
    channels = {c.code: c for c in Channel.objects.all()}
    existing = {e.lower() for e in Participant.objects.filter(wave=wave).values_list("email", flat=True)}
    opted_out = {e.lower() for e in Participant.objects.filter(
        survey_id=wave.survey_id, opted_out_at__isnull=False).exclude(wave=wave).values_list("email", flat=True)}
    seen: dict[str, int] = {}
    good = []

    def cell(cells: list[str], key: str) -> str:
        index = positions.get(key)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    for line, cells in records:
        if not any(c.strip() for c in cells):
            continue
        report.rows += 1
        if report.rows > MAX_ROWS:
            raise ImportFileError(f"le fichier dépasse {MAX_ROWS} lignes : découpez-le.")
        problems = []
        email = cell(cells, "email")
        if not email:
            problems.append(RowProblem(line, "email", "adresse manquante"))
        else:
            try:
                validate_email(email)
                if len(email) > 254:
                    raise ValidationError("too long")
            except ValidationError:
                problems.append(RowProblem(line, "email", f"adresse invalide « {email[:100]} »"))
        category_code = cell(cells, "category")
        category = categories.get(category_code)
        if not category_code:
            problems.append(RowProblem(line, "category", "catégorie manquante"))
        elif category is None:
            reason = ("catégorie non proposée par l'enquête" if category_code in known_categories
                      else "catégorie inconnue")
            problems.append(RowProblem(line, "category", f"{reason} « {category_code[:60]} »"))
        channel_code = cell(cells, "channel")
        channel = channels.get(channel_code) if channel_code else None
        if channel_code and channel is None:
            problems.append(RowProblem(line, "channel", f"canal inconnu « {channel_code[:60]} »"))
        language = cell(cells, "language").lower() or "fr"
        if language not in LANGUAGES:
            problems.append(RowProblem(line, "language",
                                       f"langue non prise en charge « {language[:20]} » (fr ou en)"))
        if problems:
            report.errors.extend(problems)
            report.rejected += 1
            continue
        key = email.lower()
        if key in seen:
            report.duplicates.append(RowProblem(line, "email", f"doublon de la ligne {seen[key]} « {email} »"))
            continue
        seen[key] = line
        if key in existing:
            report.duplicates.append(RowProblem(line, "email", f"déjà présent dans la vague « {email} »"))
            continue
        if key in opted_out:
            report.duplicates.append(RowProblem(
                line, "email", f"désinscrit(e) de cette enquête lors d'une vague précédente « {email} »"))
            continue
        good.append((key, category, channel, language))
    return good


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
