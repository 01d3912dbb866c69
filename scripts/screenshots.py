"""Screenshots of a respondent step on a phone (320 px) and a desktop (1280 px), for the docs.

    .venv/bin/python scripts/screenshots.py                 # docs/step-mobile.png, docs/step-desktop.png
    .venv/bin/python scripts/screenshots.py --step website --out /tmp

It builds a throw-away SQLite database (migrations + the demo survey, or the test factory survey
when the demo file is missing), serves the site on 127.0.0.1 with Django's live-server thread, and
drives Debian's chromium (the same launch as tests/browser) through the questionnaire to the step.
Nothing is fetched from the network; the real stylesheet is used (inline styles are blocked by the
CSP anyway).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step", default="core",
                        help="wizard step (section code) to capture (default: core, the first step)")
    parser.add_argument("--category", default=None, help="respondent category (default: the first one)")
    parser.add_argument("--out", default=str(BASE_DIR / "docs"), help="output directory (default: docs/)")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="ecoute-screens-")
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/screens.sqlite3"
    os.environ.setdefault("ECOUTE_TESTING", "1")  # local settings: no HTTPS redirect, static files from the app
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop runs in this thread, see tests/browser
    import django

    django.setup()
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.management import call_command
    from django.test.testcases import LiveServerThread
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
    from tests.browser.pages import load_survey, survey_categories
    from tests.browser.site import Site

    call_command("migrate", verbosity=0)
    survey = load_survey()
    category = args.category or survey_categories()[0]
    server = LiveServerThread("127.0.0.1", StaticFilesHandler)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    base_url = f"http://127.0.0.1:{server.port}"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    shots = {"step-mobile.png": dict(width=320, height=640, scale=2),
             "step-desktop.png": dict(width=1280, height=900, scale=1)}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            for name, size in shots.items():
                site = Site(browser, base_url, survey, **size)
                site.walk_to(args.step, category)
                site.page.evaluate("document.activeElement && document.activeElement.blur()")
                site.page.screenshot(path=str(out / name), full_page=True)
                print(f"{out / name}: step {args.step!r} ({category}) at {size['width']} px")
                site.close()
            browser.close()
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
