"""``manage.py load_demo``: a ready-to-try local installation (run by ``make run``); safe to run again.

- imports the demo survey (``surveys/demo/survey.json``, slug ``satisfaction-usagers``) and publishes
  it, unless a survey with that slug exists (it is then left as it is: the demo's responses stay valid);
- creates the groups ``designers`` and ``analysts`` with their admin permissions, and two staff
  accounts ``designer`` and ``analyst``, owners of the demo survey. Their password is printed: the
  one given with ``--password`` (or ``ECOUTE_DEMO_PASSWORD``), else a new random one at every run.
  These accounts are for local use only, so the command refuses to run unless DEBUG (or the test
  settings) is on, or ``--force`` is given;
- fills the demo survey with generated responses through ``manage.py generate_responses`` when
  that command is installed and the survey has no responses yet (see `_generate_responses`);
- lets every other installed app add its demo data and URLs (``<app>/demo.py``, see
  :mod:`surveys.services.demo`): surveys does not know the apps that build on it;
- prints the URLs to visit.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command, get_commands, load_command_class
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse

from surveys.models import Response, Survey, UserCategory
from surveys.demo_history import add_demo_wave, demo_history
from surveys.permissions import ANALYSTS, DESIGNERS
from surveys.services.demo import DemoRun, demo_run
from surveys.services.import_export import SurveyImportError, survey_import
from surveys.services.publishing import PublishRefused, survey_publish

DEMO_FILE = Path(__file__).resolve().parents[2] / "demo" / "survey.json"
DEMO_SLUG = "satisfaction-usagers"
DEMO_USERS = {"designer": DESIGNERS, "analyst": ANALYSTS}

# Admin permissions per group (app "surveys"): designers build questionnaires and invite,
# analysts read. Dashboards and exports check the groups themselves (surveys.permissions).
GROUP_PERMISSIONS = {
    DESIGNERS: {
        "add_change_delete_view": ["survey", "section", "question", "choice", "wave", "participant",
                                   "usercategory", "channel"],
        "view": ["response", "answer", "auditlog"],
    },
    ANALYSTS: {
        "add_change_delete_view": [],
        "view": ["survey", "section", "question", "choice", "wave", "usercategory", "channel", "response", "answer"],
    },
}


class Command(BaseCommand):
    help = "Load the demo survey, the designers/analysts groups and two demo staff accounts (local use only)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--password", help="password of the demo accounts (default: $ECOUTE_DEMO_PASSWORD, "
                                               "else a random one, printed)")
        parser.add_argument("--responses", type=int, default=None,
                            help="responses to generate when the demo survey has none (default: the generator's)")
        parser.add_argument("--no-responses", action="store_true", help="do not generate responses")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="prefix of the printed URLs")
        parser.add_argument("--force", action="store_true", help="run even though DEBUG is off")

    def handle(self, *args, **options) -> None:
        if not (settings.DEBUG or getattr(settings, "TESTING", False) or options["force"]):
            raise CommandError("load_demo creates staff accounts whose password is printed: it is meant for a local "
                               "installation. Run it with DEBUG=1, or pass --force.")
        password = options["password"] or os.environ.get("ECOUTE_DEMO_PASSWORD") or secrets.token_urlsafe(12)
        with transaction.atomic():
            survey, created = self._survey()
            groups = self._groups()
            for username, group_name in DEMO_USERS.items():
                self._user(username, groups[group_name], password, survey)
        if created:
            waves = ", ".join(survey.waves.values_list("code", flat=True))
            self.stdout.write(self.style.SUCCESS(
                f'Demo survey "{survey.slug}" imported: {survey.sections.count()} sections, '
                f"{survey.questions.count()} questions, waves {waves}."))
        else:
            self.stdout.write(f'Demo survey "{survey.slug}" already present: left unchanged.')
        if not options["no_responses"]:
            self._generate_responses(survey, options["responses"])
        demo_history(survey)  # versions 1 (2024, 2025) and 2 (2026), a scale change on SAT_TRUST (issue 18)
        base = options["base_url"].rstrip("/")
        demo = DemoRun(stdout=self.stdout, base_url=base, with_responses=not options["no_responses"])
        demo_run("load", survey, demo)  # each app's demo data (<app>/demo.py, INSTALLED_APPS order)
        self._print_access(survey, password, base)
        demo_run("announce", survey, demo)

    # -- steps --------------------------------------------------------------------------------
    def _survey(self) -> tuple[Survey, bool]:
        survey = Survey.objects.filter(slug=DEMO_SLUG).first()
        if survey is not None:
            return survey, False
        try:
            data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
            survey = survey_import(data, actor="manage.py load_demo")
            add_demo_wave(survey)  # issue 18: a third, earlier wave
            return survey_publish(survey, "manage.py load_demo"), True  # imported as a draft; the demo is answerable
        except (SurveyImportError, PublishRefused) as exc:  # the shipped file is tested; this guards local edits
            raise CommandError(f"{DEMO_FILE}: {exc}") from exc

    def _groups(self) -> dict[str, Group]:
        groups = {}
        for name, spec in GROUP_PERMISSIONS.items():
            group, _created = Group.objects.get_or_create(name=name)
            codenames = [f"{action}_{model}" for model in spec["add_change_delete_view"]
                         for action in ("add", "change", "delete", "view")]
            codenames += [f"view_{model}" for model in spec["view"]]
            group.permissions.add(*Permission.objects.filter(content_type__app_label="surveys",
                                                             codename__in=codenames))
            groups[name] = group
        return groups

    def _user(self, username: str, group: Group, password: str, survey: Survey) -> None:
        user_model = get_user_model()
        user, _created = user_model.objects.get_or_create(username=username)
        user.is_staff = True
        user.is_active = True
        user.email = user.email or f"{username}@example.org"
        user.set_password(password)
        user.save()
        user.groups.add(group)
        survey.owners.add(user)

    def _generate_responses(self, survey: Survey, count: int | None) -> None:
        """HOOK — fill the demo with fake responses via ``manage.py generate_responses``, if installed.

        The generator is written separately; it is optional here. It runs only while the survey has
        no responses (running load_demo twice does not double them). Its arguments are matched by
        name: the survey slug goes to a `slug`/`survey` argument, the count (when given) to an option
        `--count`/`-n`/`--responses`/`--number`.
        """
        if count is not None and count <= 0:
            return
        if Response.objects.filter(survey=survey).exists():
            self.stdout.write("Responses already present: none generated.")
            return
        app_name = get_commands().get("generate_responses")
        if app_name is None:
            self.stdout.write("No generate_responses command installed: the demo survey has no responses yet.")
            return
        try:
            command = load_command_class(app_name, "generate_responses")
            actions = command.create_parser("manage.py", "generate_responses")._actions
            args, kwargs = [], {}
            for action in actions:
                if action.dest in ("slug", "survey", "survey_slug"):
                    if action.option_strings:
                        kwargs[action.dest] = survey.slug
                    else:
                        args.append(survey.slug)
                elif action.dest in ("count", "n", "responses", "number") and action.option_strings and count:
                    kwargs[action.dest] = count
            call_command(command, *args, stdout=self.stdout, stderr=self.stderr, **kwargs)
        except (CommandError, LookupError, TypeError) as exc:
            self.stderr.write(f"generate_responses failed, the demo survey has no generated responses: {exc}")

    def _print_access(self, survey: Survey, password: str, base: str) -> None:
        out = self.stdout.write
        out("")
        out(self.style.WARNING("Demo accounts — FOR LOCAL USE ONLY (never on a shared or public server):"))
        for username, group_name in DEMO_USERS.items():
            out(f"  {username:<9} / {password}   (staff, group {group_name}, owner of {survey.slug})")
        out("")
        out("URLs:")
        out(f"  home                {base}{reverse('home')}")
        out(f"  admin               {base}{reverse('admin:index')}")
        out(f"  questionnaire       {base}{reverse('surveys:start', args=[survey.slug])}")
        out(f"  information notice  {base}{reverse('surveys:notice', args=[survey.slug])}")
        out(f"  dashboards          {base}{reverse('analysis:index')}")
        categories = list(survey.categories.all()) or list(UserCategory.objects.all())
        out("  preview per category (signed in):")
        for category in categories:
            out(f"    {category.code:<23} {base}{reverse('surveys:preview', args=[survey.slug, category.code])}")
