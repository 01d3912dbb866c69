"""``manage.py export_survey SLUG [-o FILE]``: write a survey as a JSON document (schema ecoute.survey).

UTF-8, pretty-printed, accents kept (ensure_ascii=False), keys in the schema's fixed order, so two
exports of the same survey are byte-identical and diff well under version control.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from surveys.models import Survey
from surveys.services.import_export import document_dumps, survey_export


class Command(BaseCommand):
    help = "Export a questionnaire as a JSON document (schema ecoute.survey, version 1)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug", help="the survey's slug")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args, slug: str, output: str | None = None, **options) -> None:
        survey = Survey.objects.filter(slug=slug).first()
        if survey is None:
            raise CommandError(f'no survey with slug "{slug}"')
        text = document_dumps(survey_export(survey))
        if output in (None, "-"):
            self.stdout.write(text, ending="")
            return
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"{output}: cannot write the file ({exc.strerror or exc})") from exc
        self.stdout.write(f'Exported survey "{slug}" to {output}.')
