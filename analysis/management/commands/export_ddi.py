"""``manage.py export_ddi SLUG [--wave CODE] -o FILE.xml``: the DDI-Codebook 2.5 of a survey wave.

Variables, labels and question text in French and English, categories with the wave's frequencies
(suppressed by the statistical-secrecy rule of the published tables), "don't know" as missing-value
code, the weight variable. Default wave: the latest one that has opened. The export is recorded in
the audit log (who, which survey and wave; no data).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from analysis.ddi import codebook_xml
from surveys.models import Survey, audit


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # a data command, as export_microdata
    help = "Export the DDI-Codebook 2.5 (XML) of a survey wave."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug", help="the survey's slug")
        parser.add_argument("--wave", help="wave code (default: the latest wave that has opened)")
        parser.add_argument("-o", "--output", required=True, help="the .xml file to write")

    def handle(self, *args, slug: str, wave: str | None = None, output: str, **options) -> None:
        survey = Survey.objects.filter(slug=slug).first()
        if survey is None:
            raise CommandError(f'no survey "{slug}"')
        waves = survey.waves.order_by("opens_at", "code")
        if wave:
            chosen = waves.filter(code=wave).first()
            if chosen is None:
                codes = ", ".join(waves.values_list("code", flat=True)) or "none"
                raise CommandError(f'unknown wave "{wave}"; this survey has {codes}')
        else:
            chosen = waves.filter(opens_at__lte=timezone.now()).last() or waves.first()
            if chosen is None:
                raise CommandError(f'survey "{slug}" has no wave')
        xml = codebook_xml(survey, chosen)
        try:
            Path(output).write_bytes(xml)
        except OSError as exc:
            raise CommandError(f"{output}: cannot write the file ({exc.strerror or exc})") from exc
        audit("manage.py export_ddi", "export", f"survey:{survey.slug}", kind="ddi", wave=chosen.code)
        self.stdout.write(self.style.SUCCESS(f'Wrote the DDI codebook of "{slug}", wave {chosen.code}, to {output}.'))
