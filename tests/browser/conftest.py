"""Real-browser fixtures: one headless Debian chromium for the browser tests, a fresh context per test.

The pages are served by pytest-django's `live_server` (one server for the session, data per test
through `transactional_db`). On SQLite the test database is Django's shared in-memory database and
the server thread gets the test's connection (see `live_server` below); on PostgreSQL both use the
test database through their own connections.

Playwright's sync API runs an event loop in this thread, and Django refuses synchronous database
calls from a thread with a running loop: DJANGO_ALLOW_ASYNC_UNSAFE lets the test read the database
while the browser is driven (the server thread, where requests run, has no loop). The flag and the
browser live exactly as long as the tests of this package: both end with its last test, so the
rest of the suite runs with Django's normal async safety and no event loop.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.site import PageStore, Site

ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
CHROMIUM = os.environ.get("ECOUTE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@pytest.fixture(scope="package")
def browser() -> Iterator:
    """One headless chromium for all the browser tests (starting one costs about a second)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure_browser.sh (apt-get install chromium)")
    before = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if before is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = before


@pytest.fixture(scope="session")
def live_server(request, django_db_setup) -> Iterator:
    """pytest-django's live server, started once the test database exists.

    On SQLite the test database lives in memory and the server shares the test's connection: a
    threaded server would then run concurrent requests (a page's images, say) on ONE connection and
    interleave their transactions ("no such savepoint", "session deleted before the request
    completed"). There the server answers one request at a time, like `runserver --nothreading`
    (Django then sends `Connection: close`). On PostgreSQL every thread has its own connection and
    the server stays threaded.
    """
    from django.core.servers.basehttp import WSGIServer
    from django.test.testcases import LiveServerThread, QuietWSGIRequestHandler
    from pytest_django.live_server_helper import LiveServer

    class OneRequestAtATime(WSGIServer):
        def __init__(self, *args, connections_override=None, **kwargs) -> None:
            super().__init__(*args, **kwargs)  # the serving thread already uses the overrides

    class SerialLiveServerThread(LiveServerThread):
        server_class = OneRequestAtATime

        def _create_server(self, connections_override=None):
            return self.server_class((self.host, self.port), QuietWSGIRequestHandler, allow_reuse_address=False)

    addr = request.config.getvalue("liveserver") or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost"
    server = LiveServer(addr, start=False)
    if server.thread.connections_override:
        threaded = server.thread
        server.thread = SerialLiveServerThread(threaded.host, threaded.static_handler,
                                               connections_override=threaded.connections_override,
                                               port=threaded.port)
        server.thread.daemon = True
    server.start()
    yield server
    server.stop()


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
