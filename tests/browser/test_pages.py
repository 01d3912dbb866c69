"""Every page of `pages.PAGES`: axe-core (WCAG 2.1 A/AA), RGAA form checks, 320 px reflow,
privacy (own origin, two cookies), console (CSP violations), and the Nu HTML Checker.

Each page is rendered once per session (`PageStore`): `test_page_passes_every_check[<page>]` renders
it and reports every problem grouped by check; the vnu test validates the HTML the server sent for
all of them in one Java run (rendering any page no earlier test rendered).
"""

from __future__ import annotations

import pytest

from tests.browser.checks import VNU_JAR, form_problems, run_axe, run_vnu
from tests.browser.conftest import java_path
from tests.browser.pages import KNOWN_PROBLEMS, PAGES, params, survey_categories

pytestmark = pytest.mark.browser

CHECKS = {
    "axe": "axe-core, WCAG 2.1 A/AA",
    "rgaa": "RGAA 11 forms (fieldset/legend, labels, errors), 7.5 focus, 8.6 title",
    "reflow": "no horizontal scroll at 320 px (respondent pages)",
    "privacy": "requests to our origin only, no cookie beyond sessionid/csrftoken",
    "console": "no console error (CSP violations land there), no failed sub-resource, expected status",
}


@pytest.mark.parametrize("entry", params())
def test_page_passes_every_check(entry, site, page_store, request):
    """Render the page (or every step of a walk) once and run every check on it.

    One test per page rather than per check: each test costs a database flush (about a second on
    PostgreSQL), and the message groups the problems by check anyway.
    """
    records = page_store.rendered(entry, request)
    report = []
    for check, title in CHECKS.items():
        problems = [f"  {r.name} ({r.path}): {p}" for r in records for p in r.problems.get(check, [])]
        if problems:
            report += [f"{check} — {title}:", *problems]
    assert not report, "\n".join(report)


@pytest.mark.django_db(transaction=True)  # renders the pages no earlier test rendered (run alone)
def test_html_of_every_page_is_valid(page_store, request):
    """Nu HTML Checker (vnu-jar from npm) on the HTML the server sent for every page of the list."""
    if java_path() is None:
        pytest.skip("java is not installed: the Nu HTML Checker (vnu.jar) needs a Java runtime")
    assert VNU_JAR.exists(), f"{VNU_JAR} is missing: run `npm ci` (scripts/ensure_browser.sh does)"
    records = [r for entry in PAGES for r in page_store.rendered(entry, request)]
    version, errors = run_vnu([r.html_file for r in records])
    page_store.vnu_version, page_store.vnu_checked = version, len(records)
    by_file = {r.html_file.name: r for r in records}
    problems = [f"{by_file[name].name} ({by_file[name].path}): {e}" if name in by_file else f"{name}: {e}"
                for name, errs in errors.items() for e in errs]
    assert not problems, "\n".join(problems)


# -- the checks can fail ----------------------------------------------------------------------------
def test_axe_reports_a_removed_label(site):
    """Prove axe is really looking: remove the labels of a rendered step's radios."""
    site.start(survey_categories()[0])
    assert site.step() not in (None, "categorie", "recapitulatif")
    assert run_axe(site.page).violations == []
    site.page.evaluate("document.querySelectorAll('form.step-form label').forEach(l => l.remove())")
    report = run_axe(site.page)
    assert "label" in {v["id"] for v in report.violations}, report.problems()


def test_form_checks_report_ungrouped_radios_and_unlinked_errors(site):
    """Prove our RGAA checks are really looking: break a failed step in three ways."""
    site.start(None)
    site.submit()  # nothing chosen: the category step fails
    assert form_problems(site.page, expect_error=True) == []
    site.page.evaluate("""() => {
      const fs = document.querySelector('form.step-form fieldset');
      fs.replaceWith(...fs.childNodes);                       // radios no longer grouped
      document.querySelectorAll('[aria-invalid]').forEach(e => e.removeAttribute('aria-describedby'));
      document.body.focus(); document.activeElement.blur();
    }""")
    problems = "\n".join(form_problems(site.page, expect_error=True))
    assert "11.5" in problems and "aria-invalid without aria-describedby" in problems, problems
    assert "does not have the focus" in problems, problems
