"""``manage.py diff_versions SLUG WAVE_A WAVE_B``: what changed in the questionnaire between two waves.

One line per change (``CODE: kind: before → after``, rewordings as a word diff ``[-old-]{+new+}``
in FR and EN), then ``not comparable`` for the questions whose scale, type or choices changed or
that a designer ruled a break. Exit status 0 either way: this is a report.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from surveys.models import BreakDecision, Survey
from surveys.services.versions import compare_waves


class Command(BaseCommand):
    help = "Print the questionnaire changes between two waves of a survey (added, removed, reworded, rescaled…)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("wave_a", help="code of the earlier wave")
        parser.add_argument("wave_b", help="code of the later wave")

    def handle(self, *args, **options) -> None:
        survey = Survey.objects.filter(slug=options["slug"]).first()
        if survey is None:
            raise CommandError(f"no survey with slug {options['slug']!r}")
        waves = {w.code: w for w in survey.waves.select_related("version")}
        for key in ("wave_a", "wave_b"):
            if options[key] not in waves:
                raise CommandError(f"unknown wave {options[key]!r} for survey {survey.slug!r} "
                                   f"(waves: {', '.join(waves)})")
        wa, wb = waves[options["wave_a"]], waves[options["wave_b"]]
        changes = compare_waves(wa, wb)
        name = lambda w: f"{w.code} (v{w.version.number})" if w.version_id else f"{w.code} (current)"  # noqa: E731
        self.stdout.write(f"{survey.slug}: {name(wa)} -> {name(wb)}: {len(changes)} change(s)")
        for change in changes:
            self.stdout.write(f"  {change.summary()}")
        rulings = {}
        if wa.version_id and wb.version_id:
            rulings = {r.question: r for r in BreakDecision.objects.filter(version_a=wa.version, version_b=wb.version)}
        broken = sorted({c.question for c in changes if c.breaking}
                        | {q for q, r in rulings.items() if r.decision == BreakDecision.BREAK})
        for code in broken:
            why = rulings[code].reason if code in rulings and rulings[code].decision == BreakDecision.BREAK else \
                "; ".join(c.kind for c in changes if c.question == code and c.breaking)
            self.stdout.write(f"  not comparable: {code} ({why})")
