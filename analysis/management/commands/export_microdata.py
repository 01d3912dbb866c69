"""``manage.py export_microdata --survey SLUG --format FMT [-o FILE] [--wave CODE ...]``

Writes the survey's complete responses as microdata (allow-listed columns, see
``analysis.exports``) or its codebook, to FILE or standard output, and records the export in the
audit log (who ran it, which survey, format, row count — no data).
"""

from __future__ import annotations

import getpass
import sys

from django.core.management.base import BaseCommand, CommandError

from analysis import exports
from analysis.selectors import Dashboard
from analysis.microdata import microdata_for
from surveys.models import Survey, audit


class Command(BaseCommand):
    # a data command, like Django's dumpdata: the system checks import every view and read the
    # vendored assets: ≈ 130 MiB of a 100,000-response export's peak, for nothing the export uses
    requires_system_checks: list[str] = []
    help = "Export a survey's microdata (csv, xlsx, parquet, sav, dta) or its codebook (codebook-json, codebook-md)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--survey", required=True, help="survey slug")
        parser.add_argument("--format", required=True, choices=exports.MICRODATA_FORMATS)
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")
        parser.add_argument("--wave", action="append", default=[], help="wave code (repeat; default: every wave)")

    def handle(self, *args, **options) -> None:
        survey = Survey.objects.filter(slug=options["survey"]).first()
        if survey is None:
            raise CommandError(f"no survey with slug {options['survey']!r}")
        d = Dashboard(survey)
        codes = [w.code for w in d.waves]
        unknown = [w for w in options["wave"] if w not in codes]
        if unknown:
            raise CommandError(f"unknown wave(s) {', '.join(unknown)}; this survey has {', '.join(codes) or 'none'}")
        waves = tuple(options["wave"] or codes)
        md = microdata_for(d, waves)
        fmt = options["format"]
        try:
            content = exports.render_microdata(md, fmt)
        except exports.TooManyRows as exc:
            raise CommandError(str(exc)) from exc
        if options["output"]:
            with open(options["output"], "wb") as fh:
                fh.write(content)
        elif fmt in ("csv", "codebook-json", "codebook-md"):
            self.stdout.write(content.decode("utf-8"), ending="")
        else:  # binary formats
            sys.stdout.buffer.write(content)
            sys.stdout.buffer.flush()
        audit(f"cli:{_whoami()}", "export", f"survey:{survey.slug}", kind="microdata", format=fmt, rows=md.rows,
              waves=list(waves), via="manage.py export_microdata")
        if options["output"]:
            self.stderr.write(f"{md.rows} rows written to {options['output']} ({fmt}).")


def _whoami() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "unknown"
