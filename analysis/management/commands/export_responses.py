"""``manage.py export_responses --survey SLUG [--wave CODE ...] --format csv [-o FILE]``

Writes a survey's complete responses as the CSV that ``python -m analysis indicators`` reads (see
``analysis/cli.py`` and ``methodology.md``, "Command line"): one row per response, columns
``response_id, wave, category, channel, weight``, then one column per question code — exactly the
columns of :func:`analysis.frames.load`: a multiple-choice question gives one 0/1 column per
choice (``CODE__choice``), a matrix one column per item (``CODE__item``); whole numbers are
written without a decimal point (a score 4, not 4.0). An empty cell is a missing answer
(skipped or not shown); "don't know" is written as its reserved code (``analysis.dont_know``):
``99`` in a score or matrix-item column, ``nsp`` in a single-choice column. ``python -m analysis
indicators`` reads ``99`` in a score column as don't-know (excluded from the denominator).

Text cells that a spreadsheet would run as a formula (starting with ``= + - @``, tab or carriage
return) are prefixed with ``'`` — in text columns only: numbers, negative ones included, are
written as numbers. Rows are sorted by wave (in the order given, else by opening date), then
response id. UTF-8, ``\\n`` line ends, no BOM (the CLI accepts one if a spreadsheet adds it).

These are microdata for authorised analysts (not confidentiality-protected): each export is
recorded in the audit log.
"""

from __future__ import annotations

import pandas as pd
from django.core.management.base import BaseCommand, CommandError

from analysis import frames
from analysis.dont_know import apply_dont_know
from surveys.models import Survey, audit
from surveys.services.dont_know import dont_know_cells
from surveys.services.spreadsheets import csv_text


def _integral(s: pd.Series) -> bool:
    values = s.to_numpy(dtype="float64", na_value=float("nan"))
    present = values[~pd.isna(values)]
    return bool((present == present.round()).all()) and (present.size == 0 or abs(present).max() < 2**53)


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The loader's frame as CSV cells: booleans as 0/1, whole numbers without ".0", rows sorted
    (text is neutralised by the one CSV writer)."""
    out = {}
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_bool_dtype(s.dtype):
            out[col] = s.astype("Int8")
        elif col != "weight" and pd.api.types.is_float_dtype(s.dtype) and _integral(s):
            out[col] = s.astype("Int64")  # scores as 4, not 4.0
        elif isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(s.dtype):
            out[col] = s.astype("str")  # neutralised by the writer (surveys.services.spreadsheets)
        else:
            out[col] = s
    result = pd.DataFrame(out)
    if len(result):
        order = pd.DataFrame({"wave": frame["wave"].cat.codes, "id": frame["response_id"]})
        result = result.iloc[order.sort_values(["wave", "id"]).index].reset_index(drop=True)
    return result


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # a data command, as export_microdata
    help = "Export a survey's complete responses as the CSV read by `python -m analysis indicators`."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--survey", required=True, help="survey slug")
        parser.add_argument("--wave", dest="waves", action="append", default=[], metavar="CODE",
                            help="a wave code (repeat for several; default: every wave of the survey)")
        parser.add_argument("--format", choices=["csv"], default="csv")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")
        parser.add_argument("--include-partial", action="store_true", help="also export partial responses")

    def handle(self, *args, **options) -> None:
        survey = Survey.objects.filter(slug=options["survey"]).first()
        if survey is None:
            raise CommandError(f"no survey with slug {options['survey']!r}")
        waves = sorted(survey.waves.all(), key=lambda w: w.opens_at)
        if options["waves"]:
            by_code = {w.code: w for w in waves}
            unknown = [c for c in options["waves"] if c not in by_code]
            if unknown:
                raise CommandError(f"unknown wave(s) {', '.join(unknown)} for survey {survey.slug!r}; "
                                   f"known: {', '.join(by_code) or 'none'}")
            waves = [by_code[c] for c in dict.fromkeys(options["waves"])]
        if not waves:
            raise CommandError(f"survey {survey.slug!r} has no wave")
        frame = frames.load(waves, include_partial=options["include_partial"])
        frame = apply_dont_know(frame, dont_know_cells([w.pk for w in waves],
                                                       include_partial=options["include_partial"]))
        table = csv_frame(frame)
        text = csv_text(table, bom=False, lineterminator="\n")
        path = options["output"]
        if path:
            try:
                with open(path, "w", encoding="utf-8", newline="") as fh:
                    fh.write(text)
            except OSError as exc:
                raise CommandError(f"cannot write {path!r}: {exc.strerror}") from exc
        else:
            self.stdout.write(text, ending="")
        audit("manage.py export_responses", "export_responses", survey.slug,
              waves=[w.code for w in waves], rows=len(table), partial=options["include_partial"],
              output=path or "stdout")
        if path:
            self.stderr.write(f"{len(table)} responses written to {path}")
