"""The surveys side's arrows point one way: answering never depends on analysis or on the apps built
on surveys, services never depend on forms, and every module stays small enough to hold in one's head."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SURVEYS = ROOT / "surveys"
ABOVE = {"analysis", "publications", "verbatims", "jobs", "api"}


def _modules(base: Path) -> list[Path]:
    return [p for p in sorted(base.rglob("*.py")) if "migrations" not in p.parts]


def _imports(path: Path) -> set[str]:
    """Absolute names this module imports (relative imports resolved against its package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = list(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            names.add(module)
            names |= {f"{module}.{a.name}" for a in node.names}
    return names


@pytest.mark.parametrize("path", _modules(SURVEYS), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_surveys_module_imports_an_app_built_on_surveys(path):
    above = {n for n in _imports(path) if n.split(".")[0] in ABOVE}
    assert above == set()
    source = path.read_text(encoding="utf-8")
    assert not any(f'"{app}.' in source for app in ABOVE), "no import by name (import_string) either"


def test_services_and_the_answers_representation_do_not_import_forms():
    offenders = [str(p.relative_to(ROOT)) for p in _modules(SURVEYS / "services") + [SURVEYS / "answers.py"]
                 if any(n == "surveys.forms" or n.startswith("surveys.forms.") for n in _imports(p))]
    assert offenders == []


def test_no_surveys_module_but_the_models_is_over_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in _modules(SURVEYS)
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400 and p.name != "models.py"}
    assert long == {}
