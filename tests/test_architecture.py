"""The rooms and arrows of docs/architecture.md, checked on the source with ``ast`` (nothing is
imported, so every import counts, even one written inside a function):

1. no Python file outside ``migrations/`` and ``tests/`` over 450 lines (``models.py`` files may be
   one file);
2. answering never depends on analysis: no module under ``surveys/`` imports ``analysis`` (nor any
   app built on surveys): checked by tests/surveys/test_surveys_rooms.py, not again here;
3. the arrows go one way: no import cycle between the project's modules (an import inside a
   function is still an arrow of the dependency graph, so it counts too; one under
   ``if TYPE_CHECKING:`` is an annotation only, so it does not).

The pure core (no Django) has its own test: tests/analysis/test_core_rooms.py.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("config", "surveys", "analysis", "jobs", "publications", "verbatims", "api", "bench")
MAX_LINES = 450
EXEMPT_NAMES = {"models.py"}


def project_files() -> list[Path]:
    out = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                out.append(path)
    return out


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """The project modules a file imports (``from package import module`` resolved to the module)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If) and _is_type_checking(block.test)
                   for stmt in block.body for n in ast.walk(stmt)}
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue  # `if TYPE_CHECKING:` imports are annotations, not arrows at run time
        if isinstance(node, ast.Import):
            targets = [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [(base, [a.name for a in node.names])]
        else:
            continue
        for module, names in targets:
            submodules = {f"{module}.{sub}" for sub in names if f"{module}.{sub}" in known}
            found |= submodules
            if names and len(submodules) == len(names):
                continue  # `from package import module, …`: arrows to those modules only
            while module and module not in known:
                module = module.rpartition(".")[0]
            if module:
                found.add(module)
    found.discard(name)
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def import_graph() -> dict[str, set[str]]:
    files = project_files()
    known = {module_name(p) for p in files}
    graph = {module_name(p): imported_modules(p, known) for p in files}
    # a package's __init__ is reached by importing any of its modules: not an arrow of its own
    return {m: {t for t in targets if not m.startswith(t + ".")} for m, targets in graph.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_python_file_outside_migrations_and_tests_is_over_450_lines():
    long = {str(p.relative_to(ROOT)): n for p in project_files() if p.name not in EXEMPT_NAMES
            and (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}



def test_no_import_cycle_between_modules():
    assert cycles(import_graph()) == []


def test_the_checks_can_fail(tmp_path, monkeypatch):
    """A planted cycle and a planted long file are found (the rules are not vacuous)."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    pkg = tmp_path / "surveys"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "x.py").write_text("from analysis import frames\n" + "\n".join(["pass"] * 460))
    (tmp_path / "analysis").mkdir()
    (tmp_path / "analysis" / "__init__.py").write_text("")
    (tmp_path / "analysis" / "frames.py").write_text("from surveys import x\n")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    monkeypatch.setitem(globals(), "PACKAGES", ("surveys", "analysis"))
    graph = import_graph()
    assert graph["surveys.x"] == {"analysis.frames"}
    assert cycles(graph) == [["analysis.frames", "surveys.x"]]
    with pytest.raises(AssertionError):
        test_no_python_file_outside_migrations_and_tests_is_over_450_lines()
