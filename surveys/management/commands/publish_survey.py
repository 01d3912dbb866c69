"""``manage.py publish_survey SLUG``: publish a survey after its checklist (``--close`` closes it).

Exit status 0 when published (or closed), 2 when the checklist refuses (each problem on stderr),
1 for an unknown slug.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from surveys.models import Survey
from surveys.services.publishing import PublishRefused, survey_close, survey_publish


class Command(BaseCommand):
    help = "Publish a survey (draft or closed) once its checklist passes; --close closes it."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--close", action="store_true", help="close the survey instead (answering stops)")

    def handle(self, *args, **options) -> None:
        survey = Survey.objects.filter(slug=options["slug"]).first()
        if survey is None:
            raise CommandError(f'no survey "{options["slug"]}"')
        if options["close"]:
            survey_close(survey, "manage.py publish_survey")
            self.stdout.write(f'Survey "{survey.slug}" closed.')
            return
        try:
            survey_publish(survey, "manage.py publish_survey")
        except PublishRefused as exc:
            for problem in exc.problems:
                self.stderr.write(f"- {problem}")
            raise CommandError(f'survey "{survey.slug}" not published: {len(exc.problems)} problem(s)',
                               returncode=2) from exc
        self.stdout.write(self.style.SUCCESS(f'Survey "{survey.slug}" published.'))
