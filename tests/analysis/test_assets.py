"""A missing or stale vendored plotly.js fails `manage.py check`, and the pages still answer with
their data tables instead of charts (no 500)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client
from django.urls import reverse

from analysis import plotly_css
from tests import factories
from tests.analysis.dashboard_data import ensure_frames, seed

ensure_frames()

STATIC = Path(django_settings.BASE_DIR) / "static"


def _static_copy(tmp_path: Path, plotly: bytes | None) -> Path:
    """The project's static files in a temporary directory, plotly.js replaced or left out."""
    root = tmp_path / "static"
    shutil.copytree(STATIC, root, ignore=shutil.ignore_patterns("vendor"))
    if plotly is not None:
        (root / "vendor").mkdir()
        (root / "vendor" / "plotly.min.js").write_bytes(plotly)
    return root


@pytest.fixture
def without_plotly(settings, tmp_path, monkeypatch):
    root = _static_copy(tmp_path, None)
    settings.STATICFILES_DIRS = [root]
    settings.STATIC_ROOT = tmp_path / "collected"
    monkeypatch.setattr(plotly_css, "VENDORED_JS", root / "vendor" / "plotly.min.js")
    plotly_css._skipped_style_ids.cache_clear()
    yield root
    plotly_css._skipped_style_ids.cache_clear()


def _check_ids() -> set[str]:
    try:
        call_command("check", tags=["staticfiles"])
    except SystemCheckError as e:
        return {i for i in ("ecoute.E101", "ecoute.E102") if i in str(e)}
    return set()


def test_check_passes_with_the_vendored_plotly():
    assert (STATIC / "vendor" / "plotly.min.js").exists(), "run `make static` first"
    assert _check_ids() == set()


def test_check_fails_when_plotly_is_missing(without_plotly):
    assert _check_ids() == {"ecoute.E101"}


def test_check_fails_when_plotly_does_not_match_the_installed_package(settings, tmp_path):
    real = (STATIC / "vendor" / "plotly.min.js").read_bytes()
    settings.STATICFILES_DIRS = [_static_copy(tmp_path, real.replace(b"plotly.js v", b"plotly.js vX", 1))]
    assert _check_ids() == {"ecoute.E102"}


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["overview", "channels", "trends", "verbatims", "exports"])
def test_analyst_pages_answer_with_data_tables_when_plotly_is_missing(survey, without_plotly, page):
    seed(survey, size=6, small=False)
    client = Client()
    client.force_login(factories.staff_user("ana", "analysts", [survey]))
    resp = client.get(reverse(f"analysis:{page}", args=[survey.slug]))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "plotly.min.js" not in html and "data-figure" not in html
    if page in ("channels", "trends"):
        assert '<details class="chart-table" open>' in html and '<table class="data">' in html


@pytest.mark.django_db
def test_question_page_and_tracking_page_without_plotly(survey, without_plotly):
    seed(survey, size=6, small=False)
    client = Client()
    client.force_login(factories.staff_user("des", "designers", [survey]))
    resp = client.get(reverse("analysis:question", args=[survey.slug, "SAT_OVERALL"]))
    assert resp.status_code == 200 and b"chart-table\" open" in resp.content
    resp = client.get(reverse("staff:tracking", args=[survey.slug]))
    assert resp.status_code == 200 and b"plotly.min.js" not in resp.content


@pytest.mark.django_db
def test_charts_are_drawn_when_plotly_is_there(survey):
    seed(survey, size=6, small=False)
    client = Client()
    client.force_login(factories.staff_user("ana", "analysts", [survey]))
    html = client.get(reverse("analysis:channels", args=[survey.slug])).content.decode()
    assert "vendor/plotly.min.js" in html and "data-figure" in html


@pytest.mark.django_db
def test_the_data_commands_skip_the_system_checks_as_dumpdata_does(without_plotly, tmp_path):
    """A missing asset fails `manage.py check`, not an export: the checks import every view and
    read the vendored files (90 MiB of a 100,000-response export's peak) for nothing it uses."""
    survey = factories.build_survey()
    with pytest.raises(SystemCheckError):
        call_command("check")
    from django.core.management import load_command_class

    for command, options in (("export_microdata", ["--format", "csv"]), ("export_responses", [])):
        out = tmp_path / f"{command}.csv"
        # as `manage.py` runs it (checks included), without its closing of every connection
        cmd = load_command_class("analysis", command)
        parsed = vars(cmd.create_parser("manage.py", command).parse_args(
            ["--survey", survey.slug, "-o", str(out), *options]))
        cmd.execute(*parsed.pop("args", ()), **parsed)
        assert out.read_text(encoding="utf-8-sig").splitlines()[0].startswith(("row,", "response_id,")), command
