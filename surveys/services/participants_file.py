"""Importing invited participants from a CSV or XLSX file, in named steps: read the records, find
the columns, check each row against what the wave knows, skip duplicates, write the good rows in
one transaction (:func:`participants_import`, re-exported by :mod:`surveys.services.invitations`).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from ..models import Channel, Participant, UserCategory, Wave, audit

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


@dataclass
class _Known:
    """What a row is checked against: the wave's categories and channels, the addresses already in
    the wave, those who opted out of the survey in an earlier wave, and the rows seen so far."""

    categories: dict[str, UserCategory]
    known_categories: set[str]
    channels: dict[str, Channel]
    existing: set[str]
    opted_out: set[str]
    seen: dict[str, int] = field(default_factory=dict)


def _columns(records: Iterator[tuple[int, list[str]]], report: ImportReport) -> dict[str, int]:
    """Read the header (the first non-empty record): the position of each known column; unknown
    columns are reported as ignored; a missing required column refuses the file."""
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
    return positions


def _known(wave: Wave) -> _Known:
    offered = {c.code: c for c in wave.survey.categories.all()}
    return _Known(
        categories=offered or {c.code: c for c in UserCategory.objects.all()},
        known_categories=set(UserCategory.objects.values_list("code", flat=True)),
        channels={c.code: c for c in Channel.objects.all()},
        existing={e.lower() for e in Participant.objects.filter(wave=wave).values_list("email", flat=True)},
        opted_out={e.lower() for e in Participant.objects.filter(
            survey_id=wave.survey_id, opted_out_at__isnull=False).exclude(wave=wave).values_list("email", flat=True)},
    )


def _email_problem(line: int, email: str) -> RowProblem | None:
    if not email:
        return RowProblem(line, "email", "adresse manquante")
    try:
        validate_email(email)
        if len(email) > 254:
            raise ValidationError("too long")
    except ValidationError:
        return RowProblem(line, "email", f"adresse invalide « {email[:100]} »")
    return None


def _check_row(line: int, values: dict[str, str], known: _Known
               ) -> tuple[list[RowProblem], tuple[str, UserCategory, Channel | None, str] | None]:
    """A row's problems (each column checked), or the participant it describes."""
    problems = []
    email = values["email"]
    if (problem := _email_problem(line, email)) is not None:
        problems.append(problem)
    category_code = values["category"]
    category = known.categories.get(category_code)
    if not category_code:
        problems.append(RowProblem(line, "category", "catégorie manquante"))
    elif category is None:
        reason = ("catégorie non proposée par l'enquête" if category_code in known.known_categories
                  else "catégorie inconnue")
        problems.append(RowProblem(line, "category", f"{reason} « {category_code[:60]} »"))
    channel_code = values["channel"]
    channel = known.channels.get(channel_code) if channel_code else None
    if channel_code and channel is None:
        problems.append(RowProblem(line, "channel", f"canal inconnu « {channel_code[:60]} »"))
    language = values["language"].lower() or "fr"
    if language not in LANGUAGES:
        problems.append(RowProblem(line, "language", f"langue non prise en charge « {language[:20]} » (fr ou en)"))
    return problems, (None if problems else (email.lower(), category, channel, language))


def _duplicate(line: int, email: str, known: _Known) -> RowProblem | None:
    """Why a valid row is skipped (repeated in the file, already in the wave, opted out), if it is."""
    key = email.lower()
    if key in known.seen:
        return RowProblem(line, "email", f"doublon de la ligne {known.seen[key]} « {email} »")
    known.seen[key] = line
    if key in known.existing:
        return RowProblem(line, "email", f"déjà présent dans la vague « {email} »")
    if key in known.opted_out:
        return RowProblem(line, "email", f"désinscrit(e) de cette enquête lors d'une vague précédente « {email} »")
    return None


def _parse(wave: Wave, records: Iterable[tuple[int, list[str]]], report: ImportReport
           ) -> list[tuple[str, UserCategory, Channel | None, str]]:
    """Check every row; return the good ones, record the others in `report`."""
    records = iter(records)
    positions = _columns(records, report)
    known = _known(wave)
    good = []
    for line, cells in records:
        if not any(c.strip() for c in cells):
            continue
        report.rows += 1
        if report.rows > MAX_ROWS:
            raise ImportFileError(f"le fichier dépasse {MAX_ROWS} lignes : découpez-le.")
        values = {key: (cells[positions[key]].strip() if key in positions and positions[key] < len(cells) else "")
                  for key in COLUMNS}
        problems, row = _check_row(line, values, known)
        if problems:
            report.errors.extend(problems)
            report.rejected += 1
            continue
        if (duplicate := _duplicate(line, values["email"], known)) is not None:
            report.duplicates.append(duplicate)
            continue
        good.append(row)
    return good
