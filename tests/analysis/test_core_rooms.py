"""The pure analysis core stays a room of its own: no Django, no cycle, small modules.

Read with ``ast`` (nothing is imported), so the rules hold for every import, even one written
inside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ANALYSIS = ROOT / "analysis"

#: the pure core: statistics and text processing on plain data (pandas/numpy/scipy/sklearn)
CORE = (
    "cells", "intervals", "means", "shares", "net_promoter", "headline_tables", "indicators",
    "disclosure", "waves", "weighting", "calibration", "margins", "weight_stats", "dont_know",
    "text", "textprep", "names", "themes", "keyness", "suggest",
)
MAX_LINES = 400


def _imports(name: str) -> list[tuple[str, list[str], bool]]:
    """(imported module, imported names, inside a function?) for every import of a core module."""
    return _file_imports(ANALYSIS / f"{name}.py", "analysis")


def _file_imports(path: Path, package: str) -> list[tuple[str, list[str], bool]]:
    """The imports of one file of ``package`` (relative ones resolved against the package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    in_function = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                   for n in ast.walk(f)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                out.append((alias.name, [], id(node) in in_function))
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative: against the file's package, one level up per extra dot
                base = ".".join(package.split(".")[:len(package.split(".")) - (node.level - 1)])
                module = f"{base}.{module}" if module else base
                package_here = base
            else:
                package_here = package
            names = [a.name for a in node.names]
            if node.level and module == package_here:  # from . import x: the modules x
                for n in names:
                    out.append((f"{package_here}.{n}", [], id(node) in in_function))
            else:
                out.append((module, names, id(node) in in_function))
    return out


def _core_edges(name: str) -> set[str]:
    return {m.removeprefix("analysis.") for m, _, _ in _imports(name) if m.startswith("analysis.")}


def _module_file(module: str) -> Path | None:
    """The source file of a project module (``analysis.cells``, ``surveys.masking``), or None."""
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _django_path(module: str, seen: set[str]) -> list[str] | None:
    """The chain of project modules through which ``module`` reaches Django, or None."""
    if module.split(".")[0] == "django":
        return [module]
    path = _module_file(module)
    if path is None or module in seen:
        return None
    seen.add(module)
    parts = module.split(".")
    packages = [".".join(parts[:i]) for i in range(1, len(parts))]  # their __init__ runs too
    package = module if path.name == "__init__.py" else ".".join(parts[:-1])
    for dep in packages + [m for m, _, _ in _file_imports(path, package)]:
        found = _django_path(dep, seen)
        if found:
            return [module] + found
    return None


@pytest.mark.parametrize("name", CORE)
def test_core_module_reaches_no_django_even_through_another_module(name):
    chain = _django_path(f"analysis.{name}", set())
    assert chain is None, "the core reaches Django: " + " → ".join(chain or [])


@pytest.mark.parametrize("name", CORE)
def test_core_module_imports_only_core_modules_of_analysis(name):
    outside = [m for m, _, _ in _imports(name)
               if m.startswith("analysis") and m.removeprefix("analysis.") not in CORE]
    assert not outside, f"analysis/{name}.py imports {outside}, outside the core"


@pytest.mark.parametrize("name", CORE)
def test_core_module_imports_no_project_module_inside_a_function(name):
    hidden = [m for m, _, inside in _imports(name) if inside and m.startswith("analysis")]
    assert not hidden, f"analysis/{name}.py imports {hidden} inside a function"


@pytest.mark.parametrize("name", CORE)
def test_core_module_uses_only_public_names_of_other_modules(name):
    private = [(m, n) for m, names, _ in _imports(name) if m.startswith("analysis")
               for n in names if n.startswith("_")]
    assert not private, f"analysis/{name}.py imports private names {private}"


@pytest.mark.parametrize("name", CORE)
def test_core_module_is_short_enough_to_hold_in_mind(name):
    lines = len((ANALYSIS / f"{name}.py").read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"analysis/{name}.py has {lines} lines"


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (a path that comes back to its start), or None."""
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt, path + [nxt])):
                return found
        state[node] = "done"
        return None

    for name in sorted(graph):
        if name not in state and (found := visit(name, [name])):
            return found
    return None


def test_core_modules_import_each_other_without_a_cycle():
    cycle = _cycle({name: _core_edges(name) for name in CORE})
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


def test_the_rules_see_a_cycle_a_django_import_and_a_hidden_import(tmp_path, monkeypatch):
    """The checks above can fail: on a planted package they find each broken rule."""
    planted = tmp_path / "analysis"
    planted.mkdir()
    (planted / "__init__.py").write_text("", encoding="utf-8")
    (planted / "cells.py").write_text("from .means import _x\n", encoding="utf-8")
    (planted / "means.py").write_text("def f():\n    from . import cells\nfrom .deep import y\n",
                                      encoding="utf-8")
    (planted / "deep.py").write_text("import numpy\nfrom django.db import models\n", encoding="utf-8")
    module = __import__(__name__, fromlist=["ROOT"])
    monkeypatch.setattr(module, "ROOT", tmp_path)
    monkeypatch.setattr(module, "ANALYSIS", planted)
    assert ("analysis.means", ["_x"], False) in _imports("cells")
    assert ("analysis.cells", [], True) in _imports("means")
    assert _django_path("analysis.cells", set()) == \
        ["analysis.cells", "analysis.means", "analysis.deep", "django.db"]
    assert _cycle({"cells": _core_edges("cells"), "means": _core_edges("means")}) == \
        ["cells", "means", "cells"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
