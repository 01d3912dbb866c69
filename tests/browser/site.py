"""Driving the respondent side in a real browser, and recording what every page did.

`Site` wraps one browser context (think: one person's browser): it records every request, console
message and document it sees, and knows how to walk the questionnaire. `PageStore` renders the
pages of `pages.PAGES` once per session and keeps, for each, what the checks need.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tests.browser import checks

if TYPE_CHECKING:
    from tests.browser.pages import Entry

PRIMARY_SUBMIT = "form.step-form button[type=submit]:not([name=wizard_goto_step])"
REVIEW_STEP = "recapitulatif"
CATEGORY_STEP = "categorie"
ALLOWED_COOKIES = {"sessionid", "csrftoken"}
RESUME_COOKIE = "ecoute_resume_"  # the resume code, shown on each step (surveys.resume): browser session only
EXPECTED_CONTROLS = {"satisfaction": "radio", "scale": "radio", "nps": "radio", "single": "radio",
                     "matrix": "radio", "multiple": "checkbox", "text": "textarea", "number": "number"}

# Fill every visible question of a step with a valid answer: the first option of a radio group
# (for scales: the lowest score, which also shows "why?" follow-ups), every checkbox (so sections
# shown "if you used X" appear; or only the first of each group, for a short walk), a short text,
# and the lowest allowed number.
FILL_STEP_JS = r"""
allBoxes => {
  const form = document.querySelector("form.step-form");
  const seen = new Set();
  for (const el of form.querySelectorAll("input[type=radio]")) {
    if (seen.has(el.name)) continue;
    seen.add(el.name);
    const group = Array.from(form.querySelectorAll(`input[type=radio][name="${CSS.escape(el.name)}"]`));
    if (!group.some(r => r.checked)) (group.find(r => r.value !== "nsp") || group[0]).checked = true;
  }
  const ticked = new Set();
  for (const el of form.querySelectorAll("input[type=checkbox]")) {
    if (allBoxes || !ticked.has(el.name)) el.checked = true;
    ticked.add(el.name);
  }
  for (const el of form.querySelectorAll("textarea")) if (!el.value) el.value = "Réponse de test";
  for (const el of form.querySelectorAll("input[type=number]")) if (!el.value) el.value = el.min || "1";
}
"""


class Site:
    """One browser context on the live server, with recorders and questionnaire helpers."""

    def __init__(self, browser: Any, base_url: str, survey: Any, *, width: int = 1280, height: int = 900,
                 scale: float = 1) -> None:
        self.browser = browser
        self.base_url = base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.survey = survey
        self.size = {"width": width, "height": height}
        self.scale = scale
        self.context = None
        self.new_context()

    # -- context and recorders ------------------------------------------------------------------
    def new_context(self) -> None:
        """Close the browser and open it again: no cookie, no cache, no history survives."""
        if self.context is not None:
            self.context.close()
        self.context = self.browser.new_context(base_url=self.base_url, locale="fr-FR", viewport=self.size,
                                                 device_scale_factor=self.scale, service_workers="block")
        self.context.set_default_timeout(15_000)
        self.requests: list[str] = []
        self.responses: list[tuple[str, int, bool]] = []
        self.console: list[str] = []
        self.last_document = None
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.context.on("response", self._on_response)
        self.page = self.context.new_page()
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda exc: self.console.append(f"uncaught: {exc}"))

    def _on_response(self, response: Any) -> None:
        is_doc = response.request.is_navigation_request() and response.frame == self.page.main_frame
        self.responses.append((response.url, response.status, is_doc))
        if is_doc:
            self.last_document = response

    def _on_console(self, msg: Any) -> None:
        if msg.type != "error":
            return
        text = msg.text
        where = (msg.location or {}).get("url", "")
        # The browser's own /favicon.ico request (when a page declares no icon) lands here at any
        # time, even after the checks: the pages are checked for an icon link instead (see capture).
        if where.endswith("/favicon.ico"):
            return
        # Chromium logs an error for every document answered 4xx/5xx, including deliberate ones
        # (404 "unknown code" page, 403 "session expired" page): those are checked by status.
        if text.startswith("Failed to load resource") and any(
                is_doc and url == (msg.location or {}).get("url") for url, _s, is_doc in self.responses):
            return
        self.console.append(f"{text} @ {(msg.location or {}).get('url', '')}")

    def close(self) -> None:
        if self.context is not None:
            self.context.close()
            self.context = None

    def mark(self) -> tuple[int, int, int]:
        return len(self.requests), len(self.responses), len(self.console)

    # -- navigation -----------------------------------------------------------------------------
    def goto(self, path: str) -> Any:
        return self.page.goto(path if path.startswith("http") else self.base_url + path)

    def path(self) -> str:
        parts = urlsplit(self.page.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def step(self) -> str | None:
        """The wizard step the page shows (its management field), None outside the wizard."""
        field = self.page.locator("form.step-form input[name$='-current_step']")
        return field.input_value() if field.count() else None

    def submit(self) -> None:
        """Press the form's main button ("Suivant" / "Envoyer") and wait for the next page."""
        with self.page.expect_navigation():
            self.page.locator(PRIMARY_SUBMIT).click()

    def fill_step(self, all_boxes: bool = True) -> None:
        self.page.evaluate(FILL_STEP_JS, all_boxes)

    def start(self, category: str | None = None) -> None:
        """The survey's open link, with the respondent's category in it or not."""
        self.goto(f"/s/{self.survey.slug}/" + (f"?categorie={category}" if category else ""))

    def next_step(self, all_boxes: bool = True) -> str:
        """Answer the current step and go on; fail if the step did not validate."""
        before = self.step()
        self.fill_step(all_boxes)
        self.submit()
        after = self.step()
        warnings = self.page.locator(".message-warning, .message-error").all_inner_texts()
        if warnings:
            raise AssertionError(f"after step {before!r} the server warned: {warnings}")
        if after == before:
            errors = self.page.locator("#error-summary").all_inner_texts()
            raise AssertionError(f"step {before!r} did not validate: {errors}")
        return after

    def walk(self, category: str | None, all_boxes: bool = True) -> Any:
        """Start and yield each step code as it is displayed, up to and including the review
        (`all_boxes`: tick every checkbox, so every "if you used..." step comes)."""
        self.start(category)
        step = self.step()
        if step is None:
            raise AssertionError(f"the open link did not start the questionnaire: {self.page.url}")
        while True:
            yield step
            if step == REVIEW_STEP:
                return
            if step == CATEGORY_STEP and category:
                raise AssertionError("asked the category although the link gave it")
            step = self.next_step(all_boxes)

    def walk_to(self, target: str, category: str | None, all_boxes: bool = True) -> None:
        for step in self.walk(category, all_boxes):
            if step == target:
                return
        raise AssertionError(f"step {target!r} never came for category {category!r}")

    def login(self, role: str) -> None:
        """Be logged in as a new staff user of `role` (analyst, designer, admin): the session cookie
        of Django's test client `force_login` (the login page itself is in `pages.PAGES`)."""
        from django.conf import settings
        from django.contrib.auth.models import User
        from django.test import Client

        from tests.factories import staff_user

        group = {"analyst": "analysts", "designer": "designers"}.get(role)
        # several pages of one test (the HTML check renders those no earlier test did) share the user
        user = User.objects.filter(username=f"{role}-browser").first() or staff_user(
            f"{role}-browser", group=group, surveys=[self.survey], superuser=role == "admin")
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        self.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": self.origin,
                                   "httpOnly": True, "sameSite": "Lax"}])

    # -- what the page did ----------------------------------------------------------------------
    def foreign_requests(self, since: int = 0) -> list[str]:
        return [u for u in self.requests[since:] if not (u.startswith(self.origin + "/") or u.startswith("data:"))]

    def failed_subresources(self, since: int = 0) -> list[str]:
        return [f"{status} {url}" for url, status, is_doc in self.responses[since:]
                if status >= 400 and not is_doc and not url.endswith("/favicon.ico")]

    def question_texts(self) -> dict[str, str]:
        """``q-<CODE>`` -> question text in the page's language, for the step on screen."""
        from django.utils import translation

        from surveys.models import Question, tr

        step = self.step()
        if not step:
            return {}
        lang = self.page.evaluate("document.documentElement.lang") or "fr"
        with translation.override(lang):
            return {f"q-{q.code}": tr(q, "text")
                    for q in Question.objects.filter(section__survey=self.survey, section__code=step)}

    def control_problems(self) -> list[str]:
        """Each question of the step on screen shows the controls its type calls for (a multiple
        choice as checkboxes, a scale as radios...): what the questionnaire says is what is asked."""
        from surveys.models import Question

        step = self.step()
        if not step:
            return []
        found = self.page.evaluate("""() => Object.fromEntries(Array.from(document.querySelectorAll(
            "form.step-form .question")).map(q => [q.id, Array.from(new Set(Array.from(
            q.querySelectorAll("input, textarea, select")).map(e => e.type)))]))""")
        problems = []
        for q in Question.objects.filter(section__survey=self.survey, section__code=step).prefetch_related("choices"):
            types = found.get(f"q-{q.code}")
            if types is None:
                continue
            expected = EXPECTED_CONTROLS[q.type]
            if sorted(types) != [expected]:
                problems.append(f"[render] {q.code} ({q.type}) shows {types}, expected only {expected!r}")
        return problems

    def cookie_names(self) -> set[str]:
        return {c["name"] for c in self.context.cookies()}


@dataclass
class Record:
    """One rendered page and what the checks found on it."""

    name: str
    entry: str
    path: str
    status: int
    html_file: Path
    respondent: bool
    problems: dict[str, list[str]] = field(default_factory=dict)   # check name -> problems


class PageStore:
    """Renders entries once per session; each check test reads the records of its entry."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.records: dict[str, Record] = {}
        self.by_entry: dict[str, list[str]] = {}
        self.axe_rules: set[str] = set()
        self.axe_incomplete: set[str] = set()
        self.axe_version = ""
        self.axe_tags = checks.AXE_TAGS
        self.vnu_version = ""
        self.vnu_checked = 0

    def rendered(self, entry: Entry, request: Any) -> list[Record]:
        """The records of `entry`, rendering it now (with this test's database) if needed."""
        if entry.name not in self.by_entry:
            site = request.getfixturevalue("site")
            self.render(entry, site)
        return [self.records[name] for name in self.by_entry[entry.name]]

    def render(self, entry: Entry, site: Site) -> None:
        names: list[str] = []
        requests_at, responses_at, console_at = site.mark()
        if entry.login:
            site.login(entry.login)
        for index, label in enumerate(entry.visit(site)):
            name = entry.name if label is None else f"{entry.name}/{label}"
            names.append(name)
            self.records[name] = self.capture(site, entry, name, index, requests_at, responses_at, console_at)
            requests_at, responses_at, console_at = site.mark()
        if not names:
            raise AssertionError(f"{entry.name}: the entry rendered no page")
        late = site.console[console_at:] + site.failed_subresources(responses_at)
        self.records[names[-1]].problems["console"] += [f"[console, after the checks] {m}" for m in late]
        self.by_entry[entry.name] = names

    def capture(self, site: Site, entry: Entry, name: str, index: int, requests_at: int, responses_at: int,
                console_at: int) -> Record:
        page = site.page
        page.wait_for_load_state("load")
        doc = site.last_document
        html = doc.body() if doc is not None else page.content().encode()
        html_file = self.directory / (re.sub(r"[^\w.-]+", "_", name) + ".html")
        html_file.write_bytes(html)
        record = Record(name=name, entry=entry.name, path=site.path(), status=doc.status if doc else 0,
                        html_file=html_file, respondent=entry.respondent)
        p = record.problems
        # 1. RGAA forms (before anything moves the focus).
        p["rgaa"] = checks.form_problems(page, expect_error=entry.error, question_texts=site.question_texts(),
                                         step_title=site.step() is not None and record.status == 200)
        p["rgaa"] += site.control_problems()
        if entry.expect_focus_heading(index):
            active = page.evaluate("document.activeElement && document.activeElement.id")
            if active != "step-heading":
                p["rgaa"].append(f"[rgaa 7.5] after Suivant the focus is on #{active}, not on the step heading")
        # 2. axe-core at desktop size.
        axe = checks.run_axe(page)
        self.axe_rules |= axe.rules
        self.axe_incomplete |= axe.incomplete
        self.axe_version = axe.version
        p["axe"] = axe.problems()
        # 3. reflow at 320 px (respondent pages), and axe again in the phone layout.
        if entry.respondent:
            _width, p["reflow"] = checks.reflow_problems(page, 320)
        # 4. privacy: own origin only, known cookies only; 5. console (CSP violations land there).
        p["privacy"] = [f"[privacy] request to another origin: {u}" for u in site.foreign_requests(requests_at)]
        extra_cookies = {c for c in site.cookie_names() if not c.startswith(RESUME_COOKIE)} - ALLOWED_COOKIES \
            - set(entry.cookies_allowed)
        if extra_cookies:
            p["privacy"].append(f"[privacy] cookies beyond sessionid/csrftoken: {sorted(extra_cookies)}")
        p["console"] = [f"[console] {m}" for m in site.console[console_at:]]
        p["console"] += [f"[console] failed sub-resource {r}" for r in site.failed_subresources(responses_at)]
        if not record.path.startswith("/admin/") and not page.locator("head link[rel~=icon]").count():
            p["console"].append("[console] no <link rel=icon>: the browser asks /favicon.ico (a 404 error)")
        if record.status != entry.status:
            p["console"].append(f"[status] the page answered {record.status}, expected {entry.status}")
        return record
