"""SERVICE_IS_STATE: the State design system (DSFR), and two layout points of the respondent pages.

With the setting on, a selection of pages — respondent (home, a whole walk with its thank-you page,
failed steps, English), staff and every analyst page (one per question type included) — goes through the same checks as
`test_pages` (axe 0, RGAA fieldset/legend and errors, 320 px reflow, console: CSP violations land
there), and a keyboard-only walk completes the survey. The DSFR must really be there: its header
with the service's name and owner, its stylesheet, the Marianne font. Off, nothing of it is sent.
"""

from __future__ import annotations

import pytest

from tests.browser.pages import PAGES, survey_categories
from tests.browser.site import PageStore
from tests.browser.test_pages import CHECKS
from tests.browser.test_respondent import test_keyboard_only_completes_the_survey as _keyboard_walk

pytestmark = pytest.mark.browser

NAME, OWNER = "Écoute des usagers", "Ministère de l'Exemple"
STATE_PAGES = ["home", "category-error", f"steps-{survey_categories()[0]}", "error-matrix", "error-scale",
               "step-in-english", "login", "analysis-channels", "staff-links"]
# issue 22's "done when": every analyst page of the demo, one per question type included, in both themes
STATE_PAGES += [entry.name for entry in PAGES if entry.name.startswith("analysis-") and entry.name not in STATE_PAGES]
ENTRIES = {entry.name: entry for entry in PAGES if entry.name in STATE_PAGES}

DSFR_JS = """() => ({
  header: !!document.querySelector('header.fr-header'),
  title: (document.querySelector('.fr-header__service-title') || {}).textContent,
  tagline: (document.querySelector('.fr-header__service-tagline') || {}).textContent,
  css: Array.from(document.styleSheets).some(s => (s.href || '').includes('/dsfr/dist/dsfr/dsfr.min.css')),
  font: getComputedStyle(document.body).fontFamily,
  marianne: document.fonts.check('16px Marianne'),
  js: !!document.documentElement.getAttribute('data-fr-js'),
})"""


@pytest.fixture
def state(settings):
    settings.SERVICE_IS_STATE = True
    settings.SERVICE_NAME, settings.SERVICE_OWNER = NAME, OWNER
    return settings


@pytest.fixture(scope="module")
def state_store(tmp_path_factory) -> PageStore:
    return PageStore(tmp_path_factory.mktemp("state-pages"))


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_state_theme_page_passes_every_check(name, state, site, state_store):
    entry = ENTRIES[name]
    state_store.render(entry, site)
    records = [state_store.records[n] for n in state_store.by_entry[entry.name]]
    report = []
    for check, title in CHECKS.items():
        problems = [f"  {r.name} ({r.path}): {p}" for r in records for p in r.problems.get(check, [])]
        if problems:
            report += [f"{check} — {title}:", *problems]
    assert not report, "\n".join(report)
    site.page.wait_for_load_state("load")
    dsfr = site.page.evaluate(DSFR_JS)
    if not records[-1].path.startswith("/admin/"):
        assert dsfr["header"] and dsfr["title"].strip() == NAME and dsfr["tagline"].strip() == OWNER, dsfr
        assert dsfr["css"] and dsfr["font"].startswith("Marianne") and dsfr["js"], dsfr
        site.page.evaluate("document.fonts.ready")
        assert site.page.evaluate("document.fonts.check('16px Marianne')"), "the Marianne font did not load"


def test_state_theme_keyboard_only_completes_the_survey(state, site):
    _keyboard_walk(site, survey_categories()[0])


def test_neutral_theme_sends_nothing_of_the_dsfr(site):
    site.goto("/")
    site.start(survey_categories()[0])
    dsfr = site.page.evaluate(DSFR_JS)
    assert not dsfr["header"] and not dsfr["css"] and not dsfr["js"], dsfr
    assert not [u for u in site.requests if "/dsfr/" in u], "a DSFR file was requested in the neutral theme"
    assert site.page.locator("header.site-header").count() == 1


# -- layout ---------------------------------------------------------------------------------------
ROWS_JS = """sel => Array.from(document.querySelectorAll(sel)).map(el => Math.round(el.getBoundingClientRect().top))"""


@pytest.mark.parametrize("theme", ["neutral", "state"])
def test_zero_to_ten_scales_stay_on_one_line_at_320_px(theme, site, settings):
    settings.SERVICE_IS_STATE = theme == "state"
    site.page.set_viewport_size({"width": 320, "height": 800})
    site.start(survey_categories()[0])
    for kind in ("nps", "scale"):
        tops = site.page.evaluate(ROWS_JS, f".scale-{kind} .options > .option:not(.option-dont-know)")
        assert len(tops) >= 11, (kind, tops)
        for start in range(0, len(tops), 11):  # each question's 0..10
            assert len(set(tops[start:start + 11])) == 1, f"the 0–10 {kind} scale wraps at 320 px: {tops}"
    assert site.page.evaluate("document.documentElement.scrollWidth") <= 320


@pytest.mark.parametrize("width", [1280, 320])
def test_widget_snippet_box_does_not_widen_the_page(width, site):
    site.login("designer")
    site.page.set_viewport_size({"width": width, "height": 800})
    site.goto(f"/equipe/{site.survey.slug}/liens/")
    rights = site.page.evaluate("() => Array.from(document.querySelectorAll('pre')).map(e => e.getBoundingClientRect().right)")
    assert rights, "the links page shows no snippet"
    view = site.page.evaluate("document.documentElement.clientWidth")
    assert max(rights) <= view, f"a snippet box reaches {max(rights)} px in a {view} px window"
    if width == 1280:
        assert site.page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.django_db(transaction=True)
def test_state_theme_html_is_valid(state, state_store, request):
    """Nu HTML Checker on what the server sent for the State-theme pages (DSFR header and footer)."""
    from tests.browser.checks import VNU_JAR, run_vnu
    from tests.browser.conftest import java_path

    if java_path() is None or not VNU_JAR.exists():
        pytest.skip("the Nu HTML Checker needs java and vnu.jar (scripts/ensure_browser.sh)")
    records = [r for entry in ENTRIES.values() for r in state_store.rendered(entry, request)]
    _version, errors = run_vnu([r.html_file for r in records])
    assert not errors, errors
