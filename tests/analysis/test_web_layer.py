"""The analysis web layer's rooms keep their promises: handlers connected by the app, the cache
wrapped once, one formatting module, chart pages and data views from one table."""

from __future__ import annotations

import ast
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db.models.signals import post_delete, post_save
from django.urls import reverse
from django.utils import translation

from analysis import formatting, selectors
from analysis.views import BLOCK_PAGES
from surveys.models import Response

ANALYSIS = Path(__file__).resolve().parents[2] / "analysis"


def test_response_signals_are_connected_by_the_app_not_by_importing_selectors():
    assert selectors.response_changed in post_save._live_receivers(Response)[0]
    assert selectors.response_changed in post_delete._live_receivers(Response)[0]
    tree = ast.parse((ANALYSIS / "selectors.py").read_text())
    module_calls = [n for n in tree.body if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)]
    assert not module_calls, "selectors.py runs code at import time"


def test_the_cache_is_called_in_one_guarded_place():
    """Every cache call of selectors.py goes through the four wrapped functions (and the bump)."""
    tree = ast.parse((ANALYSIS / "selectors.py").read_text())
    callers = {fn.name for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef)
               for node in ast.walk(fn) if isinstance(node, ast.Attribute)
               and isinstance(node.value, ast.Name) and node.value.id == "cache"}
    assert callers == {"_cache_get_many", "_cache_get", "_cache_set", "_cache_delete", "_bump"}
    tries = [n for n in ast.walk(tree) if isinstance(n, ast.Try)]
    assert len(tries) == 1


def test_a_cache_outage_is_logged_and_costs_only_the_cached_value(monkeypatch, caplog):
    def fail(*args, **kwargs):
        raise ConnectionError("cache down")

    down = SimpleNamespace(**{name: fail for name in ("get", "get_many", "set", "delete", "add", "incr")})
    monkeypatch.setattr(selectors, "cache", down)
    with caplog.at_level(logging.WARNING, logger="analysis.selectors"):
        assert selectors._cached("k", lambda: 42) == 42
        assert selectors._cache_get_many(["a"]) == {}
        selectors.bump_survey(7)
    messages = [r.getMessage() for r in caplog.records]
    assert messages.count("analysis cache unavailable") == 3  # get, set, get_many
    assert "analysis cache unavailable: could not bump survey 7" in messages


@pytest.mark.parametrize("language, expected", [
    ("fr", ["73\u00a0%", "3,84", "+12", "1\u202f234", "0,042", "+0,25", "–", "12,5", "[3,10 ; 3,50]"]),
    ("en", ["73\u00a0%", "3.84", "+12", "1,234", "0.042", "+0.25", "–", "12.5", "[3.10 ; 3.50]"]),
])
def test_figures_are_written_the_same_way_everywhere(language, expected):
    with translation.override(language):
        got = [formatting.fmt_value(73.4, "satisfied"), formatting.fmt_value(3.8449, "mean"),
               formatting.fmt_value(12.0, "nps"), formatting.fmt_n(1234), formatting.fmt_p(0.0421),
               formatting.signed(0.25, "mean"), formatting.signed(float("nan"), "mean"),
               formatting.percent(0.125), formatting.ci_text(3.1, 3.5, "mean")]
    assert got == expected


def test_charts_and_views_write_figures_with_the_formatting_module():
    from analysis import charts
    from analysis.views import trend_page as trends

    assert charts.fmt_value is formatting.fmt_value and charts.label_of is formatting.label_of
    source = (ANALYSIS / "charts.py").read_text()
    assert "def fmt_value" not in source and "def _num" not in source
    assert "formatting" in Path(trends.__file__).read_text()


def test_each_chart_page_and_its_data_view_come_from_one_table():
    for name, spec in BLOCK_PAGES.items():
        assert spec.data_view == f"analysis:{name}_data"
    kwargs = {"slug": "s", "name": "n"}
    assert reverse("analysis:channels_data", kwargs=kwargs).endswith("/canaux/donnees/n.csv")
    assert reverse("analysis:question_data", kwargs={**kwargs, "code": "Q"}).endswith("/questions/Q/donnees/n.csv")


def test_no_web_module_is_imported_by_the_microdata_command():
    tree = ast.parse((ANALYSIS / "management" / "commands" / "export_microdata.py").read_text())
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(m and m.startswith("analysis.views") for m in modules)


def test_web_layer_modules_stay_short():
    files = [*ANALYSIS.glob("views/*.py"), ANALYSIS / "selectors.py", ANALYSIS / "charts.py",
             ANALYSIS / "exports.py", ANALYSIS / "formatting.py"]
    long = {f.name: n for f in files if (n := len(f.read_text().splitlines())) > 400}
    assert not long


@pytest.mark.django_db
def test_a_chart_page_hands_its_url_over_when_another_module_takes_it(survey, rf):
    """The hook for question types with pages of their own: same URL, same access and filters."""
    from django.http import Http404, HttpResponse

    from analysis.views.block_pages import BlockPage, block_views
    from tests import factories

    seen = []
    other = (lambda request, d, f, code: seen.append(("page", code, f.page_name)) or HttpResponse("other page"),
             lambda request, d, f, code, name: seen.append(("data", code, name)) or HttpResponse("other data"))
    spec = BlockPage("question", "analysis/question.html", lambda d, f, code: [], "analysis:question_data",
                     handoff=lambda d, code: other if code == "CHOICE" else None)
    page, data = block_views(spec)
    request = rf.get("/")
    request.user = factories.staff_user("ana", "analysts", [survey])
    assert page(request, slug=survey.slug, code="CHOICE").content == b"other page"
    assert data(request, slug=survey.slug, code="CHOICE", name="x").content == b"other data"
    assert seen == [("page", "CHOICE", "question"), ("data", "CHOICE", "x")]
    with pytest.raises(Http404):  # not taken over: this page's own blocks (none here)
        data(request, slug=survey.slug, code="SAT_OVERALL", name="x")
    assert len(seen) == 2
