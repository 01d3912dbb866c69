"""Vendored front-end assets: a system check that they are there and match, and a safe test for pages.

Assets are copied from installed Python packages into ``static/vendor/`` by ``make static``
(``scripts/vendor_assets.py``; no CDN: closed networks). A deployment that skipped that step used
to answer 500 on every analyst page (the manifest storage raises on a missing entry, and the
plotly stylesheet helper read the file). Now:

- ``manage.py check`` (and ``migrate``, ``check --deploy``) fails with ``ecoute.E101`` when a
  vendored asset is missing and ``ecoute.E102`` when it differs from the installed package's copy
  (a mismatched plotly.js draws blank charts);
- pages ask :func:`asset_available` before linking an asset; without it they render their data
  tables in place of the charts (the tables are there anyway, for accessibility).

Lives in ``config`` because both ``surveys`` (the collection tracking page) and ``analysis`` (the
dashboards) draw charts.
"""

from __future__ import annotations

import hashlib
import logging
import pkgutil
from functools import lru_cache

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core import checks

logger = logging.getLogger(__name__)

__all__ = ["VENDORED", "asset_available", "asset_problems", "check_vendored_assets"]

#: static name → (package, resource inside the package) it is copied from
VENDORED: dict[str, tuple[str, str]] = {
    "vendor/plotly.min.js": ("plotly", "package_data/plotly.min.js"),
}


@lru_cache(maxsize=None)
def _expected_digest(package: str, resource: str) -> str | None:
    try:
        data = pkgutil.get_data(package, resource)
    except (ImportError, OSError):
        return None
    return hashlib.sha256(data).hexdigest() if data is not None else None


def _digest(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _collected(name: str) -> str | None:
    """The collected copy (a deployment may ship STATIC_ROOT without the source directory)."""
    try:
        return staticfiles_storage.path(name) if staticfiles_storage.exists(name) else None
    except (NotImplementedError, OSError, ValueError):
        return None


def asset_problems() -> list[tuple[str, str, str]]:
    """(static name, "missing" | "mismatch", explanation) for every vendored asset not as expected."""
    problems = []
    for name, (package, resource) in VENDORED.items():
        path = finders.find(name) or _collected(name)
        if not path:
            problems.append((name, "missing", f"static/{name} not found by the static files finders "
                                              "nor in STATIC_ROOT"))
            continue
        expected = _expected_digest(package, resource)
        if expected is None:
            problems.append((name, "mismatch", f"the installed {package} package has no {resource}"))
        elif _digest(path) != expected:
            problems.append((name, "mismatch", f"{path} differs from {package}'s {resource}"))
    return problems


def check_vendored_assets(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """System check: every vendored asset present and identical to its installed package's copy."""
    out = []
    for name, kind, detail in asset_problems():
        out.append(checks.Error(
            f"Vendored asset {name} is {'missing' if kind == 'missing' else 'out of date'}: {detail}.",
            hint="Run `make static` (scripts/vendor_assets.py), then collectstatic in production.",
            id="ecoute.E101" if kind == "missing" else "ecoute.E102",
        ))
    return out


def asset_available(name: str) -> bool:
    """May a page link ``name``? False when it is neither found nor stored, or when the manifest
    storage has no entry for it (``{% static %}`` would raise: the old 500)."""
    try:
        if finders.find(name) is None and not staticfiles_storage.exists(name):
            return False
        staticfiles_storage.url(name)
    except (ValueError, OSError):
        logger.warning("static asset %s unavailable: pages show data tables instead of charts", name)
        return False
    return True


def register() -> None:
    checks.register(check_vendored_assets, checks.Tags.staticfiles)
