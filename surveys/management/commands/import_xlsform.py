"""``manage.py import_xlsform FILE.xlsx [--lenient] [--slug SLUG] [--replace]``: a survey from an XLSForm.

The workbook is read with pyxform and imported through the same validation and writer as a JSON
document. Anything the questionnaire model cannot represent is refused whole (exit status 2, nothing
written, one line per problem naming sheet, row and column); with ``--lenient`` it is left out and
listed as a warning instead.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from surveys.services.xlsform_import import XLSFormError, xlsform_import


class Command(BaseCommand):
    help = "Import a questionnaire from an XLSForm workbook (.xlsx)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="the XLSForm workbook (.xlsx)")
        parser.add_argument("--lenient", action="store_true",
                            help="leave out what cannot be represented (listed as warnings) instead of refusing")
        parser.add_argument("--slug", help="the survey's slug (default: the form_id of the settings sheet)")
        parser.add_argument("--replace", action="store_true",
                            help="rebuild the survey with the same slug (refused if it already has responses)")

    def handle(self, *args, file: str, lenient: bool = False, slug: str | None = None, replace: bool = False,
               **options) -> None:
        try:
            survey, result = xlsform_import(file, lenient=lenient, slug=slug, replace=replace,
                                            actor="manage.py import_xlsform")
        except OSError as exc:
            raise CommandError(f"{file}: cannot read the file ({exc.strerror or exc})", returncode=2) from exc
        except XLSFormError as exc:
            raise CommandError(f"{file}: not imported\n" + "\n".join(exc.errors), returncode=2) from exc
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning} (left out)")
        for note in result.notes:
            self.stdout.write(f"note: {note}")
        self.stdout.write(self.style.SUCCESS(
            f'Imported survey "{survey.slug}": {survey.sections.count()} sections, {survey.questions.count()} '
            f"questions ({len(result.warnings)} warning{'s' if len(result.warnings) != 1 else ''})."
        ))
