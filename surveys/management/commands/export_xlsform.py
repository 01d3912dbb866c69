"""``manage.py export_xlsform SLUG -o FILE.xlsx``: write a survey as an XLSForm workbook.

The workbook converts to an XForm with pyxform and imports back (``import_xlsform``) as the same
questionnaire; the ``ecoute_*`` columns and the ``ecoute`` sheet carry what XLSForm has no column for.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from surveys.models import Survey
from surveys.services.xlsform_export import survey_to_xlsform


class Command(BaseCommand):
    help = "Export a questionnaire as an XLSForm workbook (.xlsx)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug", help="the survey's slug")
        parser.add_argument("-o", "--output", required=True, help="the .xlsx file to write")

    def handle(self, *args, slug: str, output: str, **options) -> None:
        survey = Survey.objects.filter(slug=slug).first()
        if survey is None:
            raise CommandError(f'no survey "{slug}"')
        data = survey_to_xlsform(survey)
        try:
            Path(output).write_bytes(data)
        except OSError as exc:
            raise CommandError(f"{output}: cannot write the file ({exc.strerror or exc})") from exc
        self.stdout.write(self.style.SUCCESS(f'Wrote survey "{slug}" to {output} ({len(data)} bytes).'))
