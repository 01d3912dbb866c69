"""Real-browser fixtures: one headless Debian chromium per session, a fresh context per test.

The pages are served by pytest-django's `live_server` (one server for the session, data per test
through `transactional_db`). On SQLite the test database is Django's shared in-memory database and
pytest-django hands the connection to the server thread; on PostgreSQL both use the test database.

Playwright's sync API runs an event loop in this thread, and Django refuses synchronous database
calls from a thread with a running loop: DJANGO_ALLOW_ASYNC_UNSAFE lets the test read the database
while the browser is driven (the server thread, where requests run, has no loop).
"""

from __future__ import annotations

import os

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import shutil  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from tests.browser.site import PageStore, Site  # noqa: E402

CHROMIUM = os.environ.get("ECOUTE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """One headless chromium for the whole session (starting one costs about a second)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure_browser.sh (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def survey_data(transactional_db):
    """The questionnaire respondents answer (the demo survey, else the factory one), open today."""
    from tests.browser.pages import load_survey

    return load_survey()


@pytest.fixture
def site(survey_data, browser, live_server) -> Iterator[Site]:
    """A fresh browser context (no cookies, no cache) on the live server, French, desktop size.

    `survey_data` comes first on purpose: it sets up the test database before `live_server`
    starts, so that on SQLite the server thread gets the in-memory test database's connection.
    """
    s = Site(browser, live_server.url, survey_data)
    yield s
    s.close()


@pytest.fixture(scope="session")
def page_store(tmp_path_factory) -> PageStore:
    """Every page of `pages.PAGES` rendered once per session, with what each check needs."""
    return PageStore(tmp_path_factory.mktemp("rendered-pages"))


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Say what the accessibility and validity checks covered (printed even with -q)."""
    store: PageStore | None = getattr(config, "_ecoute_page_store", None)
    if store is None or not store.records:
        return
    tr = terminalreporter
    tr.section("browser checks: coverage")
    axe_rules = sorted(store.axe_rules)
    tr.write_line(f"pages rendered and checked: {len(store.records)}")
    for record in store.records.values():
        tr.write_line(f"  {record.name:<42} {record.status}  {record.path}")
    if axe_rules:
        tr.write_line(f"axe-core {store.axe_version}, tags {', '.join(store.axe_tags)}: "
                      f"{len(axe_rules)} rules run on each page ({len(store.records)} pages × {len(axe_rules)} rules)")
        tr.write_line("  " + " ".join(axe_rules))
        incomplete = sorted(store.axe_incomplete)
        if incomplete:
            tr.write_line(f"  needs review (axe 'incomplete', not failures): {', '.join(incomplete)}")
    if store.vnu_version:
        tr.write_line(f"Nu HTML Checker {store.vnu_version}: {store.vnu_checked} documents validated")


@pytest.fixture(scope="session", autouse=True)
def _expose_page_store(request, page_store) -> None:
    request.config._ecoute_page_store = page_store


def java_path() -> str | None:
    return shutil.which("java")
