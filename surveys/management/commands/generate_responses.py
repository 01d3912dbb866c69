"""``manage.py generate_responses --survey SLUG --n N [--waves 2025,2026] [--seed 42] [--demo/--no-demo]``

Fills a survey with N realistic, COMPLETE responses (marked ``is_demo`` unless ``--no-demo``), for
demonstrations, screenshots and manual testing of the dashboards: what "realistic" means, and how
the rows are written, is :mod:`surveys.services.demo_responses`.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from surveys.models import Survey
from surveys.services.demo_responses import generate


class Command(BaseCommand):
    help = "Create N realistic complete responses for a survey (demo data, is_demo=True by default)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--survey", required=True, help="survey slug")
        parser.add_argument("--n", type=int, default=2000, help="number of responses (default 2000)")
        parser.add_argument("--waves", default="", help="comma-separated wave codes (default: every wave)")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--demo", action="store_true", default=True,
                            help="mark the responses as demo data (default)")
        parser.add_argument("--no-demo", dest="demo", action="store_false",
                            help="do not mark the responses as demo data")
        parser.add_argument("--batch-size", type=int, default=2000, help="responses per bulk insert")

    def handle(self, *args, **options) -> None:
        n = options["n"]
        if n < 0:
            raise CommandError("--n must be 0 or more")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        survey = Survey.objects.filter(slug=options["survey"]).first()
        if survey is None:
            raise CommandError(f"no survey with slug {options['survey']!r}")
        waves = list(survey.waves.all())
        if options["waves"]:
            codes = [c.strip() for c in options["waves"].split(",") if c.strip()]
            by_code = {w.code: w for w in waves}
            unknown = [c for c in codes if c not in by_code]
            if unknown:
                raise CommandError(f"unknown wave(s) {', '.join(unknown)} for survey {survey.slug!r}; "
                                   f"known: {', '.join(by_code) or 'none'}")
            waves = [by_code[c] for c in dict.fromkeys(codes)]
        if not waves:
            raise CommandError(f"survey {survey.slug!r} has no wave: create one first")
        created, answers = generate(survey, waves, n, seed=options["seed"], demo=options["demo"],
                                    batch_size=options["batch_size"])
        self.stdout.write(self.style.SUCCESS(
            f"{created} complete responses ({answers} answers) created for {survey.slug} "
            f"in wave(s) {', '.join(w.code for w in waves)}{' (demo)' if options['demo'] else ''}."))
