"""THE list of pages the browser checks run on (axe, RGAA forms, reflow, privacy, console, vnu).

Adding a page is one line in `PAGES`:

    Page("analysis-index", "/analyse/", respondent=False, login="analyst"),

`reach` is a path (`{slug}` is the survey's slug, `{question}` the code of its first satisfaction
question), or a function that takes the `Site` (browser + helpers) and leaves the browser on the
page. `Steps(category)` walks a whole questionnaire and yields every step it shows.
Flags: `respondent` (320 px reflow applies), `error` (a failed form: RGAA 11.10/11.11 apply),
`login` (log in first as a staff role: analyst, designer, admin), `status` (expected HTTP status of
the document), `cookies_allowed` (beyond sessionid/csrftoken).

A page that fails today and is someone else's to fix goes in `KNOWN_PROBLEMS` (strict xfail).

Every page is checked by tests/browser/test_pages.py: axe-core (WCAG 2.1 A/AA), our RGAA 11 form
checks, 320 px reflow (respondent pages), own origin and two cookies, console errors, and the Nu
HTML Checker on the HTML the server sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from tests.browser import rights_pages as rights
from tests.browser.site import CATEGORY_STEP, REVIEW_STEP, Site
from tests.publications import browser_pages as publication_pages

BASE_DIR = Path(__file__).resolve().parents[2]
DEMO_JSON = BASE_DIR / "surveys" / "demo" / "survey.json"
IMPORT_COMMAND = BASE_DIR / "surveys" / "management" / "commands" / "import_survey.py"
FACTORY_CATEGORIES = ["researchers", "journalists", "general_public"]
QUESTION_TYPES = ["satisfaction", "scale", "nps", "single", "multiple", "text", "number", "matrix"]


# -- the questionnaire answered in the browser ---------------------------------------------------
def demo_available() -> bool:
    return DEMO_JSON.exists() and IMPORT_COMMAND.exists()


def survey_categories() -> list[str]:
    """Category codes a respondent may choose, read at collection time (one test per category)."""
    if not demo_available():
        return FACTORY_CATEGORIES
    doc = json.loads(DEMO_JSON.read_text(encoding="utf-8"))
    offered = doc.get("survey", {}).get("categories") or [c["code"] for c in doc.get("categories", [])]
    return list(offered)


def load_survey():
    """The demo survey (`surveys/demo/survey.json`) when it exists, else `factories.build_survey()`;
    its current wave is opened around today so that the questionnaire answers whatever the date."""
    from django.core.management import call_command
    from django.utils import timezone

    from surveys.models import Survey, Wave

    if demo_available():
        slug = json.loads(DEMO_JSON.read_text(encoding="utf-8"))["survey"]["slug"]
        call_command("import_survey", str(DEMO_JSON), verbosity=0)
        survey = Survey.objects.get(slug=slug)
    else:
        from tests.factories import build_survey

        survey = build_survey()
    Survey.objects.filter(pk=survey.pk).update(status="published")  # imported as a draft (404 to the public)
    wave = survey.current_wave()
    now = timezone.now()
    if wave is not None and not wave.is_open(now):
        Wave.objects.filter(pk=wave.pk).update(opens_at=now - timedelta(days=1),
                                               closes_at=max(wave.closes_at, now + timedelta(days=30)))
    return survey


def first_scored_question(survey) -> str:
    from surveys.models import Question

    q = Question.objects.filter(survey=survey, type="satisfaction").order_by("section__order", "order").first()
    return q.code if q else ""


# -- entries ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Page:
    """One page: a path, or a function leaving the browser on the page."""

    name: str
    reach: str | Callable[[Site], None]
    respondent: bool = True
    error: bool = False
    login: str | None = None
    status: int = 200
    cookies_allowed: tuple[str, ...] = ()

    def visit(self, site: Site) -> Iterator[str | None]:
        if isinstance(self.reach, str):
            site.goto(self.reach.format(slug=site.survey.slug, question=first_scored_question(site.survey)))
        else:
            self.reach(site)
        yield None

    def expect_focus_heading(self, index: int) -> bool:
        return False


@dataclass(frozen=True)
class Steps:
    """Every step a respondent of `category` sees, from the open link to the review."""

    category: str
    submit: bool = False      # also send the answers and check the thank-you page
    respondent: bool = True
    error: bool = False
    login: str | None = None
    status: int = 200
    cookies_allowed: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"steps-{self.category}"

    def visit(self, site: Site) -> Iterator[str]:
        yield from site.walk(self.category)
        if self.submit:
            site.submit()
            assert site.path().endswith("/merci/"), site.page.url
            yield "merci"

    def expect_focus_heading(self, index: int) -> bool:
        # RGAA 7.5 / checklist 40: after "Suivant" the focus is on the new step's heading.
        return index > 0


# -- how to reach the pages that need more than a URL ----------------------------------------------
def open_link(site: Site) -> None:
    site.start()
    assert site.step() == CATEGORY_STEP, site.page.url


def category_error(site: Site) -> None:
    open_link(site)
    site.submit()


def resume_unknown_code(site: Site) -> None:
    site.goto("/s/reprise/")
    site.page.fill("#id_code", "code-inconnu")
    with site.page.expect_navigation():
        site.page.locator("main form button[type=submit]").click()


def login_failed(site: Site) -> None:
    site.goto("/connexion/")
    site.page.fill("#id_username", "personne")
    site.page.fill("#id_password", "mauvais-mot-de-passe")
    with site.page.expect_navigation():
        site.page.locator("main form button[type=submit]").click()


def export_job(site: Site) -> None:
    """Ask for the microdata CSV: the job's page (queued, no worker here) with its progress bar."""
    site.goto(f"/analyse/{site.survey.slug}/exports/")
    with site.page.expect_navigation():
        site.page.locator("form:has(input[value=microdonnees]) button[type=submit]").click()


def english_step(site: Site) -> None:
    """Start in French, then switch to English with the header button (the same step stays)."""
    site.start(survey_categories()[0])
    with site.page.expect_navigation():
        site.page.locator("form.lang-form button[value=en]:visible").click()


def session_expired(site: Site) -> None:
    """Cookies gone (session and CSRF) while answering: the step comes back with what was typed."""
    site.start(survey_categories()[0])
    site.fill_step()
    site.context.clear_cookies()
    site.submit()


def question_in_error(qtype: str) -> Callable[[Site], None]:
    """The step holding the first question of `qtype`, posted with that question wrong: left empty
    when it is required, else with a value that is not allowed (a forged or outdated choice, a
    number out of range, a text over its length)."""

    def reach(site: Site) -> None:
        from surveys.models import Question

        candidates = list(Question.objects.filter(survey=site.survey, type=qtype)
                          .order_by("section__order", "order").select_related("section"))
        if not candidates:
            pytest.skip(f"the survey has no {qtype!r} question")
        codes = {q.code: q for q in candidates}
        # Tick every checkbox only when a condition may hide the question's step (a short walk else).
        all_boxes = any(q.section.condition for q in candidates)
        for category in survey_categories():
            for step in site.walk(category, all_boxes):
                if step in (CATEGORY_STEP, REVIEW_STEP):
                    continue
                on_page = [c for c in codes if site.page.locator(f"#q-{c}").count()]
                if on_page:
                    q = codes[on_page[0]]
                    site.fill_step(all_boxes)
                    site.page.evaluate(INVALIDATE_JS, {"code": q.code, "type": qtype, "required": q.required,
                                                       "max_length": q.max_length or 2000})
                    site.submit()
                    assert site.step() == step, f"the wrong {qtype} answer was accepted"
                    assert site.page.locator(f"#q-{q.code}.has-error").count(), f"#q-{q.code} shows no error"
                    return
        pytest.skip(f"no {qtype!r} question is shown to any category with the default answers")

    return reach


def workbench_question(site: Site) -> None:
    """The workbench's editor of the survey's last conditional question (condition rows filled)."""
    from surveys.models import Question

    question = Question.objects.filter(survey=site.survey, condition__isnull=False).order_by("-section__order").first()
    site.goto(f"/equipe/atelier/{site.survey.slug}/questions/{question.pk}/")


def workbench_section_error(site: Site) -> None:
    """A section the workbench refuses: a comparison given a word instead of a number."""
    from surveys.models import Section

    section = Section.objects.filter(survey=site.survey).order_by("-order").first()
    site.goto(f"/equipe/atelier/{site.survey.slug}/sections/{section.pk}/")
    site.page.select_option("#id_condrow-0-question", index=1)
    site.page.select_option("#id_condrow-0-op", ">=")
    site.page.fill("#id_condrow-0-value", "beaucoup")
    with site.page.expect_navigation():
        site.page.get_by_role("button", name="Enregistrer la section").click()


def weighting_wave(site: Site) -> None:
    site.goto(f"/analyse/{site.survey.slug}/ponderation/{site.survey.current_wave().code}/")


def weighting_bad_margins(site: Site) -> None:
    """A margins text with an unknown category, sent: the page comes back with the located error."""
    weighting_wave(site)
    site.page.fill("textarea[name=margins_text]", "variable,category,target\ncategory,inconnue,1\n")
    with site.page.expect_navigation():
        site.page.locator("button[value=ponderer]").click()


def weighting_run(site: Site) -> None:
    """A post-stratification on generated responses of the current wave, then its diagnostics."""
    from collections import Counter

    from django.core.management import call_command

    from analysis import weighting_runs
    from analysis.margins import Margins
    from surveys.models import Response

    wave = site.survey.current_wave()
    if not wave.weighting_runs.exists():
        call_command("generate_responses", "--survey", site.survey.slug, "--n", "60", "--waves", wave.code,
                     stdout=open("/dev/null", "w"))
        counts = Counter(Response.objects.filter(wave=wave, status="complete").values_list("category__code", flat=True))
        targets = {"category": {code: 1.0 + (i % 3) for i, code in enumerate(sorted(counts))}}
        weighting_runs.weighting_run(wave, Margins(targets, {"category": "counts"}, {}), method="poststrat")
    run = wave.weighting_runs.get(is_active=True)
    site.goto(f"/analyse/{site.survey.slug}/ponderation/{wave.code}/calages/{run.pk}/")


def analysis_question_of(qtype: str) -> Callable[[Site], None]:
    """The analyst's page of the first `qtype` question, on generated responses of the current wave."""

    def reach(site: Site) -> None:
        from django.core.management import call_command

        from surveys.models import Question, Response

        wave = site.survey.current_wave()
        if not Response.objects.filter(wave=wave, status="complete").exists():
            call_command("generate_responses", "--survey", site.survey.slug, "--n", "60", "--waves", wave.code,
                         stdout=open("/dev/null", "w"))
        if not qtype:
            site.goto(f"/analyse/{site.survey.slug}/")
            return
        q = Question.objects.filter(survey=site.survey, type=qtype).order_by("section__order", "order").first()
        if q is None:
            pytest.skip(f"the survey has no {qtype!r} question")
        site.goto(f"/analyse/{site.survey.slug}/questions/{q.code}/")

    return reach


INVALIDATE_JS = r"""
({code, type, required, max_length}) => {
  const box = document.getElementById("q-" + code);
  const inputs = Array.from(box.querySelectorAll("input, textarea"));
  if (type === "text") {
    const area = box.querySelector("textarea");
    if (required) { area.value = ""; return; }
    area.removeAttribute("maxlength");
    area.value = "x".repeat(max_length + 1);
    return;
  }
  if (type === "number") {
    const input = box.querySelector("input");
    input.value = required ? "" : String((input.max !== "" ? Number(input.max) : 1e9) + 1);
    return;
  }
  // radio and checkbox groups (a matrix: its first row)
  const name = inputs[0].name;
  const group = inputs.filter(i => i.name === name);
  group.forEach(i => { i.checked = false; });
  if (!required) { group[0].value = "valeur-inconnue"; group[0].checked = true; }
}
"""


PAGES: list[Page | Steps] = [
    # public pages
    Page("home", "/"),
    Page("accessibility-statement", "/accessibilite/"),
    Page("notice", "/s/{slug}/confidentialite/"),
    Page("resume", "/s/reprise/"),
    Page("resume-unknown-code", resume_unknown_code, error=True, status=404),
    Page("invalid-invitation", "/s/t/lien-invalide/", status=404),
    Page("not-found", "/page-inexistante/", status=404),
    # the questionnaire: category step, every step of every category (the review page included;
    # the first category also sends and gets the thank-you page), each question type in error
    Page("category", open_link),
    Page("category-error", category_error, error=True),
    *[Steps(category, submit=i == 0) for i, category in enumerate(survey_categories())],
    *[Page(f"error-{qtype}", question_in_error(qtype), error=True) for qtype in QUESTION_TYPES],
    Page("step-in-english", english_step, cookies_allowed=("django_language",)),
    Page("session-expired", session_expired, status=403),
    # the respondent's rights, and the survey states
    Page("my-answers", rights.my_answers),
    Page("my-answers-erase", rights.erase_confirmation),
    Page("opt-out", rights.opt_out),
    Page("survey-closed", rights.closed_survey, status=410),
    Page("survey-draft", rights.draft_survey_anonymous, status=404),
    Page("survey-draft-designer", rights.draft_survey_designer, login="designer"),
    Page("preview", rights.preview, login="designer"),
    # staff
    Page("login", "/connexion/", respondent=False),
    Page("login-error", login_failed, respondent=False, error=True),
    Page("analysis-index", "/analyse/", respondent=False, login="analyst"),
    Page("analysis-overview", "/analyse/{slug}/", respondent=False, login="analyst"),
    Page("analysis-channels", "/analyse/{slug}/canaux/", respondent=False, login="analyst"),
    Page("analysis-trends", "/analyse/{slug}/vagues/", respondent=False, login="analyst"),
    Page("analysis-question", "/analyse/{slug}/questions/{question}/", respondent=False, login="analyst"),
    Page("analysis-verbatims", "/analyse/{slug}/verbatims/", respondent=False, login="analyst"),
    Page("verbatims-themes", "/analyse/{slug}/themes/", respondent=False, login="analyst"),
    Page("verbatims-codebook", "/analyse/{slug}/codage/", respondent=False, login="analyst"),
    Page("analysis-exports", "/analyse/{slug}/exports/", respondent=False, login="analyst"),
    Page("staff-index", "/equipe/", respondent=False, login="designer"),
    Page("staff-links", "/equipe/{slug}/liens/", respondent=False, login="designer"),
    Page("staff-invitations", "/equipe/{slug}/invitations/", respondent=False, login="designer"),
    Page("staff-tracking", "/equipe/{slug}/suivi/", respondent=False, login="designer"),
    Page("staff-publication", "/equipe/{slug}/publication/", respondent=False, login="designer"),
    Page("staff-versions", "/equipe/{slug}/versions/", respondent=False, login="designer"),  # issue 18
    Page("staff-questionnaire", "/equipe/questionnaires/{slug}/", respondent=False, login="designer"),
    Page("staff-questionnaire-import", "/equipe/questionnaires/importer/", respondent=False, login="designer"),
    Page("workbench-outline", "/equipe/atelier/{slug}/", respondent=False, login="designer"),
    Page("workbench-question", workbench_question, respondent=False, login="designer"),
    Page("workbench-section-error", workbench_section_error, respondent=False, error=True, status=400,
         login="designer"),
    Page("workbench-settings", "/equipe/atelier/{slug}/reglages/", respondent=False, login="designer"),
    Page("workbench-waves", "/equipe/atelier/{slug}/vagues/", respondent=False, login="designer"),
    Page("workbench-create", "/equipe/atelier/nouvelle/", respondent=False, login="designer"),
    Page("api-account", "/compte/api/", respondent=False, login="designer"),
    Page("widget", "/w/{slug}/"),
    *[Page(f"publications-{name}", getattr(publication_pages, name))
      for name in ("calendar", "collection", "publication")],
    Page("admin-index", "/admin/", respondent=False, login="admin"),
    Page("analysis-export-job", export_job, respondent=False, login="analyst"),
    Page("staff-tasks", "/taches/suivi/", respondent=False, login="admin"),
    Page("weighting-index", "/analyse/{slug}/ponderation/", respondent=False, login="analyst"),
    Page("weighting-wave", weighting_wave, respondent=False, login="designer"),
    Page("weighting-wave-error", weighting_bad_margins, respondent=False, error=True, status=400, login="designer"),
    # issue 22: the analyst's page of every question type (and the overview), with responses
    *[Page(f"analysis-question-{qtype}", analysis_question_of(qtype), respondent=False, login="analyst")
      for qtype in QUESTION_TYPES if qtype != "text"],
    Page("analysis-overview-with-responses", analysis_question_of(""), respondent=False, login="analyst"),
    Page("weighting-run", weighting_run, respondent=False, login="analyst"),  # last: it adds responses
]


Entry = Page | Steps

# Pages that fail a check today, with why: their test is an expected failure (strict: once the
# page is fixed the test says so, and the line goes). Templates owned by other parts of the app.
# Example: "analysis-trends": "axe nested-interactive: the chart container holds focusable elements".
# (The dashboards' and the widget's first problems, listed here on first run, were fixed in f43ae3f.)
KNOWN_PROBLEMS: dict[str, str] = {}


def params() -> list:
    """`PAGES` as pytest parameters, known problems marked as strict expected failures."""
    return [pytest.param(entry, id=entry.name, marks=[pytest.mark.xfail(reason=KNOWN_PROBLEMS[entry.name],
                                                                        strict=True)]
                         if entry.name in KNOWN_PROBLEMS else [])
            for entry in PAGES]
