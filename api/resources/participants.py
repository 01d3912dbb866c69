"""Bulk import of invited participants into a wave (``participants:write``).

The rows go through the invitations page's own import (``surveys.services.invitations.
participants_import``: same columns, same checks, same duplicate and opt-out rules, same audit).
Unlike the page, the API writes all or nothing: the rows are checked first (a dry run) and, when
one is refused, nothing is written and every problem is returned with its row and field.
"""

import pandas as pd
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from surveys.services.invitations import participants_import
from surveys.services.spreadsheets import csv_text

from ..auth import survey_for
from ..errors import ApiError
from ..idempotency import idempotent
from ..models import Scope
from .common import ERRORS, json_response

router = Router(tags=["participants"])
MAX_ROWS = 50_000


class ParticipantIn(Schema):
    email: str
    category: str
    channel: str = ""
    language: str = ""


class ParticipantsIn(Schema):
    participants: list[ParticipantIn]
    dry_run: bool = False


class Problem(Schema):
    row: int
    field: str
    message: str


class ImportOut(Schema):
    rows: int
    created: int
    duplicates: list[Problem]
    errors: list[Problem]
    dry_run: bool


def _csv_bytes(rows: list[ParticipantIn]) -> bytes:
    """The payload as the CSV the participants' importer reads (not for a spreadsheet: not neutralised)."""
    table = pd.DataFrame([[p.email, p.category, p.channel, p.language] for p in rows],
                         columns=["email", "category", "channel", "language"], dtype=object)
    return csv_text(table, bom=False, neutral=False).encode()


def _problems(items) -> list[dict]:
    # line 1 of the file is the header: row i (from 0) of the body is line i + 2
    return [{"row": p.line - 2, "field": p.field, "message": p.message} for p in items]


@router.post("{slug}/waves/{wave}/participants/", response={200: ImportOut, 409: dict, 422: dict, **ERRORS},
             summary="Import participants (participants:write)")
@idempotent
def participants_add(request: HttpRequest, slug: str, wave: str, payload: ParticipantsIn) -> HttpResponse:
    """Add invited participants to a wave; all or nothing; ``dry_run`` only checks."""
    survey = survey_for(request, slug, Scope.PARTICIPANTS_WRITE)
    target = survey.waves.filter(code=wave).first()
    if target is None:
        raise ApiError(404, "not_found", f"Vague inconnue « {wave[:40]} ».", "wave")
    if not payload.participants:
        raise ApiError(400, "invalid", "La liste des participants est vide.", "participants")
    if len(payload.participants) > MAX_ROWS:
        raise ApiError(413, "too_large", f"Au plus {MAX_ROWS} participants par appel.", "participants")
    data = _csv_bytes(payload.participants)
    check = participants_import(target, data, "api.csv", actor=request.auth.user, dry_run=True)
    if check.file_error:
        raise ApiError(400, "invalid", check.file_error, "participants")
    if check.errors:
        first = check.errors[0]
        body = {"code": "invalid_rows", "message": f"{len(check.errors)} problème(s), rien n'est importé ; "
                f"ligne {first.line - 2} : {first.message}", "field": f"participants.{first.line - 2}.{first.field}",
                "errors": _problems(check.errors)}
        return json_response(body, status=400)
    report = check if payload.dry_run else participants_import(target, data, "api.csv", actor=request.auth.user)
    return json_response({"rows": report.rows, "created": report.created, "duplicates": _problems(report.duplicates),
                          "errors": [], "dry_run": payload.dry_run})
