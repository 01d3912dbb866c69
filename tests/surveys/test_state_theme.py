"""SERVICE_IS_STATE switches the one base template to the DSFR; off, nothing of it is sent."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from tests.surveys.test_wizard import start

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def _assets(html: str) -> list[str]:
    return re.findall(r'<(?:link|script)\b[^>]*?(?:href|src)="([^"]+)"', html)


def test_state_theme_serves_the_dsfr_from_our_origin_under_the_same_csp(client, survey, settings):
    settings.SERVICE_IS_STATE = True
    settings.SERVICE_NAME, settings.SERVICE_OWNER = "Écoute des usagers", "Ministère de l'Exemple"
    resp = start(client, survey, categorie="researchers")
    html = resp.content.decode()
    csp = resp["Content-Security-Policy"]
    assert "unsafe-" not in csp and "default-src 'self'" in csp
    assets = _assets(html)
    assert "/static/dsfr/dist/dsfr/dsfr.min.css" in assets and "/static/dsfr/dist/dsfr/dsfr.module.min.js" in assets
    assert all(a.startswith("/static/") or a.startswith("data:") for a in assets), assets  # no CDN
    for asset in assets:
        if asset.startswith("/static/"):
            assert finders.find(asset.removeprefix("/static/")), f"{asset} is not shipped"
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert len(scripts) >= 2 and all('src="/static/' in tag for tag in scripts), scripts  # no inline script
    assert re.search(r"script-src 'self'[ ;]", csp)  # so same-origin files run without a nonce
    assert 'class="fr-header"' in html and 'class="fr-footer"' in html
    assert '<p class="fr-header__service-title">Écoute des usagers</p>' in html
    assert '<p class="fr-header__service-tagline">Ministère de l&#x27;Exemple</p>' in html
    assert html.count("<header") == 1 and html.count("<footer") == 1 and html.count("<main") == 1
    assert "Données personnelles" in html  # the step's own footer link survives the switch


def test_neutral_theme_sends_no_dsfr_and_no_marianne(client, survey, settings):
    settings.SERVICE_IS_STATE = False
    html = start(client, survey, categorie="researchers").content.decode()
    assert "dsfr" not in html and "fr-header" not in html and "République" not in html
    assert 'class="site-header"' in html and 'class="site-footer"' in html


def test_check_deploy_is_clean_with_the_state_theme():
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "x" * 20 + "-a-long-random-secret-for-the-check-0123456789",
           "ALLOWED_HOSTS": "ecoute.example.org", "ECOUTE_TESTING": "0", "SERVICE_IS_STATE": "1"}
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    out = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
