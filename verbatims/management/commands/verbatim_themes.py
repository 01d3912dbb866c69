"""``manage.py verbatim_themes --survey SLUG [--wave CODE ...] [--themes K] [--format json|text]``.

Computes (and stores) the themes of a survey's verbatims and prints them: with ``--format json``
a JSON list of objects ``{label, terms, size, quotes}`` (terms best first, quotes masked, never
from a cell below the survey's minimum).
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from surveys.models import Survey
from verbatims.services import RunError, run_create, run_execute, visible_themes


class Command(BaseCommand):
    help = "Themes of a survey's verbatims (TF-IDF + NMF), stored as a run and printed."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--survey", required=True, help="survey slug")
        parser.add_argument("--wave", action="append", default=[], help="wave code (repeat; default: every wave)")
        parser.add_argument("--themes", type=int, default=None, help="number of themes (default: the most stable)")
        parser.add_argument("--question", default="", help="code of one free-text question (default: all)")
        parser.add_argument("--stop-word", action="append", default=[], help="extra stop word (repeat)")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--format", choices=("json", "text"), default="text")

    def handle(self, *args, **options) -> None:
        survey = Survey.objects.filter(slug=options["survey"]).first()
        if survey is None:
            raise CommandError(f"--survey: no survey {options['survey']!r}")
        waves = options["wave"] or list(survey.waves.order_by("pk").values_list("code", flat=True))
        try:
            run = run_create(survey, waves, options["themes"], options["question"], options["stop_word"],
                             options["seed"])
        except RunError as exc:
            raise CommandError(str(exc)) from exc
        run = run_execute(run.pk)
        themes = [{k: t[k] for k in ("label", "terms", "size", "quotes")} for t in visible_themes(run)]
        if options["format"] == "json":
            self.stdout.write(json.dumps(themes, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"{run.n_verbatims} verbatims, {len(themes)} themes (run {run.pk})")
        for t in themes:
            self.stdout.write(f"- {t['label']} ({t['size']}): {', '.join(t['terms'][:8])}")
