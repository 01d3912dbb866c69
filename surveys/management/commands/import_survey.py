"""``manage.py import_survey FILE [--replace]``: create a survey from a JSON document (schema ecoute.survey).

The document is validated as a whole before anything is written; on error the command exits with a
non-zero status and prints the path of each bad element on stderr (no traceback), and the database
is left untouched.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from surveys.services.import_export import SurveyImportError, survey_import

MAX_FILE_BYTES = 5 * 1024 * 1024  # a questionnaire is a few tens of kilobytes


def read_document(source: str) -> object:
    """Parse FILE (or "-" for standard input) as JSON; CommandError with a readable message otherwise."""
    try:
        if source == "-":
            raw = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        else:
            path = Path(source)
            if path.stat().st_size > MAX_FILE_BYTES:
                raise CommandError(f"{source}: file too large (at most {MAX_FILE_BYTES // (1024 * 1024)} MB)")
            raw = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"{source}: cannot read the file ({exc.strerror or exc})") from exc
    if len(raw) > MAX_FILE_BYTES:
        raise CommandError(f"{source}: too large (at most {MAX_FILE_BYTES // (1024 * 1024)} MB)")
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise CommandError(f"{source}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise CommandError(f"{source}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
    except RecursionError as exc:
        raise CommandError(f"{source}: JSON nested too deeply") from exc


class Command(BaseCommand):
    help = "Import a questionnaire from a JSON document (schema ecoute.survey, version 1)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help='the JSON document ("-" reads standard input)')
        parser.add_argument(
            "--replace", action="store_true",
            help="rebuild the survey with the same slug (refused if it already has responses or invitations)",
        )

    def handle(self, *args, file: str, replace: bool = False, **options) -> None:
        data = read_document(file)
        try:
            survey = survey_import(data, replace=replace, actor="manage.py import_survey")
        except SurveyImportError as exc:
            more = exc.errors[1:]
            message = str(exc)
            if more:
                message += f"\n({len(more)} more error{'s' if len(more) > 1 else ''})\n" + "\n".join(more)
            raise CommandError(message) from exc
        n_questions = survey.questions.count()
        self.stdout.write(self.style.SUCCESS(
            f'{"Replaced" if replace else "Imported"} survey "{survey.slug}": {survey.sections.count()} sections, '
            f"{n_questions} questions, {survey.waves.count()} waves."
        ))
