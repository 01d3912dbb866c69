"""The demo registry: load_demo finds each app's demo hooks through INSTALLED_APPS, in order."""

from __future__ import annotations

import ast
from pathlib import Path

from django.apps import apps

import surveys
from surveys.services.demo import DemoRun, demo_modules, demo_run

COMMAND = Path(surveys.__file__).parent / "management" / "commands" / "load_demo.py"


def test_demo_hooks_are_found_in_installed_apps_order():
    names = [m.__name__ for m in demo_modules()]
    assert names == ["analysis.demo", "publications.demo", "verbatims.demo", "jobs.demo", "api.demo"]
    order = [c.name for c in apps.get_app_configs()]
    assert [n.split(".")[0] for n in names] == [a for a in order if f"{a}.demo" in names]


def test_demo_run_calls_every_hook_of_its_kind_in_order(monkeypatch):
    calls = []

    class Fake:
        def __init__(self, name, hooks):
            self.__name__ = name
            for hook in hooks:
                setattr(self, hook, lambda survey, demo, _n=name, _h=hook: calls.append((_n, _h, survey)))

    fakes = [Fake("a.demo", ["load"]), Fake("b.demo", ["announce"]), Fake("c.demo", ["load", "announce"])]
    monkeypatch.setattr("surveys.services.demo.demo_modules", lambda: fakes)
    demo = DemoRun(stdout=None, base_url="http://x", with_responses=True)
    demo_run("load", "S", demo)
    demo_run("announce", "S", demo)
    assert calls == [("a.demo", "load", "S"), ("c.demo", "load", "S"), ("b.demo", "announce", "S"),
                     ("c.demo", "announce", "S")]


def test_load_demo_imports_no_app_that_builds_on_surveys():
    tree = ast.parse(COMMAND.read_text(encoding="utf-8"))
    imported = {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    imported |= {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not imported & {"analysis", "publications", "verbatims", "jobs", "api"}
    assert "import_string" not in COMMAND.read_text(encoding="utf-8")
