"""The demo's per-app registry: ``manage.py load_demo`` fills the apps that build on surveys
without knowing them.

Why: surveys is the bottom room (config → surveys → analysis, publications, …); it must not import
the apps above it. Each app that has demo data ships a ``<app>/demo.py`` module with either or both
of these functions, found through ``INSTALLED_APPS`` and called in that order:

- ``load(survey, demo)``: create the app's demo data (after the survey, its accounts and, unless
  ``--no-responses``, its generated responses);
- ``announce(survey, demo)``: print the app's URLs, after the survey's own access lines.

``demo`` is a :class:`DemoRun` (where to write, the URL prefix, whether responses were generated).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from types import ModuleType
from typing import Any

from django.apps import apps
from django.utils.module_loading import module_has_submodule

from surveys.models import Survey

HOOKS = ("load", "announce")


@dataclass(frozen=True)
class DemoRun:
    """What a demo hook may need from the command: its output, the URL prefix, the responses flag."""

    stdout: Any
    base_url: str
    with_responses: bool


def demo_modules() -> list[ModuleType]:
    """Every installed app's ``demo`` module that defines a hook, in ``INSTALLED_APPS`` order."""
    found = []
    for config in apps.get_app_configs():
        if not module_has_submodule(config.module, "demo"):
            continue
        module = import_module(f"{config.name}.demo")
        if any(callable(getattr(module, hook, None)) for hook in HOOKS):
            found.append(module)
    return found


def demo_run(hook: str, survey: Survey, demo: DemoRun) -> None:
    """Call ``hook`` (``load`` or ``announce``) of every app's demo module that has it."""
    if hook not in HOOKS:
        raise ValueError(f"unknown demo hook {hook!r}")
    for module in demo_modules():
        function = getattr(module, hook, None)
        if callable(function):
            function(survey, demo)
