"""What the dashboards show: indicator tables per survey, waves and filters, cached per data version.

The views stay thin: they validate the filters (:mod:`analysis.filters`), ask a :class:`Dashboard`
for tables, and hand the tables to :mod:`analysis.charts`. Statistics come from the pure modules
(:mod:`analysis.indicators`, :mod:`analysis.disclosure`, :mod:`analysis.waves`); this module only
chooses which tables to compute, links their confidentiality masks and caches them.

**Data flow.** ``frames.load`` (one query) gives one row per complete response → the indicator
functions give suppressed tables → :func:`analysis.linked.link` applies the masks of the related
tables → the table is cached.

**Confidentiality across tables ("linked tables", methodology.md).** Every displayed table goes
through primary and secondary suppression with its margins. On top of that:

1. *Category and channel filters are display filters.* Tables are always computed on the whole
   population of the selected waves; a filter only chooses which rows/columns are drawn. No table
   is ever computed on a filtered sub-population, so a filter cannot create a new margin
   (e.g. "these three categories together") whose difference with the full table would reveal a
   hidden cell. Totals shown are always those of the full population.
2. *Pooled waves.* A table over several waves hides, in addition to its own suppressed cells,
   every cell hidden in the table of any single one of those waves (then the secondary rule runs
   again). Otherwise pooled − other wave = the hidden wave's cell.
3. *Minimum cell size above the survey's.* The mask at ``seuil=k`` is the union of the mask at k
   and the mask at the survey's ``min_cell``: a stricter view never shows a cell (say a secondary
   complement) that the default view hides.
4. *Margins.* The per-channel bars are the row margins of the channel × category grid: a margin
   equal to a single hidden cell of the grid is hidden there too (then the secondary rule runs
   again on the bars). The answer distribution of a question of the grid hides the category
   margins the grid cannot protect.
5. *Trends.* The wave-by-wave figures are the very per-wave tables of the channel page (same
   function, same cache entries): one population, one mask.

Union of valid masks stays valid (each row/column of each mask holds 0 or ≥ 2 hidden cells, so
their union does too); linking rules 2 and 3 therefore never weaken a table. Differencing between
pages with the same populations is closed by construction (rules 1, 5); what is *not* covered: a
user combining the dashboards with outside knowledge, and the weighted/unweighted views of a cell
(both are shown or both are hidden; weights are not secret).

**Cache.** Each table is cached (Django's cache: the database cache in development, Redis in
production) under a key made of the survey, the table's name, its waves, the minimum cell size,
the weighting flag, a hash of the questions' definitions and a *version per wave*: the number of
complete responses of that wave and its latest submission and update times
(:meth:`Dashboard.versions`). A new complete response in a wave changes that wave's version, so
every table depending on it gets a new key, while tables of other waves stay cached; old entries
expire by themselves (``TABLE_TIMEOUT``).

The versions come from one aggregate query over the survey's complete responses. At a million
responses that query alone takes ≈ 0.3–0.4 s on PostgreSQL, so its result is cached too, stored
with the survey's *data-version token* (:mod:`surveys.services.data_version`), which every writer
of responses changes after its commit, whatever the path (the submit's compare-and-set
``QuerySet.update``, erasure, purge, ORM saves, :func:`bump_survey` after bulk loads). A cached
versions entry is used only while its token is the current one: a submission is in the next
dashboard request. A warm page costs one cache read for the versions (with the token) and one for
its tables, and no scan of the responses; the page shows when the responses were counted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps
from typing import Callable, Iterable, Sequence

import pandas as pd
from django.core.cache import cache
from django.db.models import Count, Max, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from surveys.models import QuestionType, Response, ResponseStatus, Survey
from surveys.permissions import surveys_for
from surveys.services.data_version import data_version_key, responses_changed

from . import linked
from .dashboard_frame import load_frame  # noqa: F401 - looked up here at each load (tests wrap it)
from .filters import Choices, Filters
from .question_info import QuestionInfo
from .reference import SurveyReference
from .table_rows import kind_rows, n_hidden, select_rows  # noqa: F401 - the pages' row filters
from .table_specs import CATEGORY_LAYOUT, CHANNEL_LAYOUT, GRID_LAYOUT, SPECS, TableSpec, spec_of

logger = logging.getLogger(__name__)

__all__ = ["Dashboard", "dashboard_for", "bump_survey", "TableSpec", "SPECS", "QuestionInfo",
           "GRID_LAYOUT", "CHANNEL_LAYOUT", "CATEGORY_LAYOUT"]

CACHE_PREFIX = "ecoute:analysis:2"  # 2: tables carry n_dont_know, dont_know_share (issue 14)
TABLE_TIMEOUT = 7 * 24 * 3600
#: how long the data versions are trusted without re-reading them: every writer of responses changes
#: the data-version token on commit; this bounds only writes that skip it (raw SQL, say)
VERSIONS_TIMEOUT = 30


# --------------------------------------------------------------------------------------------
# The cache, wrapped once: an outage costs speed, never a page
# --------------------------------------------------------------------------------------------
def _tolerant(default: Callable[[], object], message: str = "analysis cache unavailable") -> Callable:
    """Decorator: run a cache call; on any error log ``message`` and return ``default()``."""
    def decorator(call: Callable) -> Callable:
        @wraps(call)
        def wrapped(*args, **kwargs):
            try:
                return call(*args, **kwargs)
            except Exception:  # noqa: BLE001 - the cache is an optimisation
                logger.warning(message, *(args[:1] if "%s" in message else ()), exc_info=True)
                return default()
        return wrapped
    return decorator


@_tolerant(dict)
def _cache_get_many(keys: list[str]) -> dict:
    return cache.get_many(keys)


@_tolerant(lambda: None)
def _cache_get(key: str):
    return cache.get(key)


@_tolerant(lambda: None)
def _cache_set(key: str, value, timeout: int) -> None:
    cache.set(key, value, timeout)


@_tolerant(lambda: None)
def _cache_delete(key: str) -> None:
    cache.delete(key)


def _cached(key: str, compute: Callable):
    """The value under ``key``, else ``compute()`` stored there for ``TABLE_TIMEOUT``."""
    found = _cache_get(key)
    if found is None:
        found = compute()
        _cache_set(key, found, TABLE_TIMEOUT)
    return found


def _versions_key(survey_id: int) -> str:
    return f"{CACHE_PREFIX}:versions:{survey_id}"


def _bump_key(survey_id: int) -> str:
    return f"{CACHE_PREFIX}:bump:{survey_id}"


@_tolerant(lambda: None, "analysis cache unavailable: could not bump survey %s")
def _bump(survey_id: int) -> None:
    responses_changed(survey_id)
    cache.delete(_versions_key(survey_id))
    cache.add(_bump_key(survey_id), 0, None)
    cache.incr(_bump_key(survey_id))


def bump_survey(survey: Survey | int) -> None:
    """Invalidate every cached table of ``survey`` (after bulk changes that skip signals)."""
    _bump(getattr(survey, "pk", survey))


def response_changed(sender, instance: Response, **kwargs) -> None:
    """A response was saved or deleted: its survey's data versions must be read again.

    Connected in :meth:`analysis.apps.AnalysisConfig.ready`; it drops the versions at once,
    inside the writer's transaction (the data-version token follows on commit).
    """
    _cache_delete(_versions_key(instance.survey_id))


# --------------------------------------------------------------------------------------------
# The dashboard of one survey
# --------------------------------------------------------------------------------------------
def dashboard_for(user, slug: str) -> Dashboard:
    """The survey ``slug`` if ``user`` is granted it (else 404), with its reference data."""
    survey = get_object_or_404(surveys_for(user), slug=slug)
    return Dashboard(survey)


TableRequest = tuple[str, Sequence[str], int, "str | None"]


@dataclass
class Dashboard(SurveyReference):
    """One survey's reference data (:class:`analysis.reference.SurveyReference`) and its cached tables.

    Built per request. A page says which questions its tables read (``questions=`` of
    :meth:`table`): the frame of responses then loads only those; without it, every question.
    """

    #: default question codes for callers that do not pass ``questions`` (None: every question)
    needed: list[str] | None = None
    _frames: dict = field(default_factory=dict)

    # -- versions ----------------------------------------------------------------------------
    def versions(self) -> dict[str, tuple]:
        """Per wave code: (complete responses, latest submission, latest update, non-1 weights).

        One aggregate query over the survey's complete responses; its result is itself cached
        (``VERSIONS_TIMEOUT``) with the data-version token read in the same round trip, and used
        only while that token is current (every writer of responses changes it on commit).
        """
        return self._once("versions", self._read_versions)

    def _read_versions(self) -> dict[str, tuple]:
        key, token_key = _versions_key(self.survey.pk), data_version_key(self.survey.pk)
        found = _cache_get_many([key, _bump_key(self.survey.pk), token_key])
        self._memo["bump"] = found.get(_bump_key(self.survey.pk), 0)
        token = found.get(token_key)
        cached = found.get(key)
        if isinstance(cached, tuple) and len(cached) == 3 and cached[0] == token:
            self._memo["figures_at"] = cached[1]
            return cached[2]
        read_at = timezone.now()  # before the query: the figures are at least this fresh
        out = self._count_versions()
        self._memo["figures_at"] = read_at
        _cache_set(key, (token, read_at, out), VERSIONS_TIMEOUT)
        return out

    def _count_versions(self) -> dict[str, tuple]:
        by_id = {w.pk: w.code for w in self.waves}
        out = {code: (0, None, None, 0) for code in by_id.values()}
        rows = (Response.objects.filter(wave__in=list(by_id), status=ResponseStatus.COMPLETE)
                .values("wave_id").annotate(n=Count("id"), last=Max("submitted_at"), touched=Max("updated_at"),
                                            weighted=Count("id", filter=~Q(weight=1.0)))
                .order_by())
        for row in rows:
            out[by_id[row["wave_id"]]] = (row["n"], _iso(row["last"]), _iso(row["touched"]), row["weighted"])
        return out

    def figures_at(self) -> datetime:
        """When the responses behind this page's figures were last counted (shown on each page)."""
        self.versions()
        return self._memo["figures_at"]

    def has_weights(self, waves: Sequence[str]) -> bool:
        v = self.versions()
        return any(v[w][3] > 0 for w in waves if w in v)

    def default_waves(self, page: str) -> tuple[str, ...]:
        """Trends and exports: every wave; other pages: the latest wave with complete responses."""
        codes = [w.code for w in self.waves]
        if page in ("trends", "exports", "overview"):
            return tuple(codes)
        v = self.versions()
        with_data = [c for c in codes if v.get(c, (0,))[0] > 0]
        return (with_data or codes)[-1:] if codes else ()

    def choices(self, page: str) -> Choices:
        questions = tuple(q.code for q in self.questions if q.type == QuestionType.TEXT) if page == "verbatims" \
            else ()
        return Choices(
            waves=tuple(w.code for w in self.waves),
            categories=tuple(c.code for c in self.categories),
            channels=tuple(c.code for c in self.channels),
            min_cell=self.survey.min_cell,
            questions=questions,
            default_waves=self.default_waves(page),
        )

    def weight_column(self, filters: Filters) -> str | None:
        weighted = filters.weighted if filters.weighted is not None else self.has_weights(filters.waves)
        return "weight" if weighted and self.has_weights(filters.waves) else None

    # -- frames ------------------------------------------------------------------------------
    def frame(self, waves: Sequence[str], questions: Sequence[str] | None = None) -> pd.DataFrame:
        """Complete responses of ``waves`` with ``questions`` (None: ``needed``, else every question).

        Loaded once per request for the widest wave set: a frame already loaded for more waves
        and at least these questions is reused.
        """
        waves = tuple(sorted(waves))
        wanted = questions if questions is not None else self.needed
        holds = lambda held: held is None or (wanted is not None and set(wanted) <= set(held))  # noqa: E731
        if waves in self._frames and holds(self._frames[waves][0]):
            return self._frames[waves][1]
        for loaded, (held, frame) in list(self._frames.items()):
            if set(waves) <= set(loaded) and holds(held):
                sub = frame[frame["wave"].isin(list(waves))].reset_index(drop=True)
                self._frames[waves] = (held, sub)
                return sub
        frame = load_frame([w for w in self.waves if w.code in waves], questions=wanted,
                           dont_know={q.code: q.type for q in self.questions})
        self._frames[waves] = (wanted, frame)
        return frame

    def preload(self, waves: Sequence[str], questions: Sequence[str] | None = None) -> None:
        """Load the frame of ``waves`` at once (sub-tables of single waves reuse it)."""
        self.frame(waves, questions)

    # -- cached tables -----------------------------------------------------------------------
    def _meta_hash(self) -> str:
        def compute():
            payload = [(q.code, q.type, q.channel, q.threshold) for q in self.questions]
            payload.append(("min_cell", self.survey.min_cell))
            return hashlib.sha256(json.dumps(payload, default=str).encode()).hexdigest()[:16]
        return self._once("meta_hash", compute)

    def _bump(self) -> int:
        self.versions()  # read together with the versions (one cache round trip)
        return self._memo.get("bump", 0)

    def cache_key(self, name: str, waves: Sequence[str], min_cell: int, weight: str | None) -> str:
        waves = tuple(sorted(waves))
        v = self.versions()
        payload = [self.survey.pk, name, waves, [v.get(w) for w in waves], min_cell, bool(weight),
                   self._meta_hash(), self._bump()]
        digest = hashlib.sha256(json.dumps(payload, default=str).encode()).hexdigest()[:40]
        label = re.sub(r"[^A-Za-z0-9_:-]", "_", name)[:40]  # readable, memcached-safe; the digest decides
        return f"{CACHE_PREFIX}:{self.survey.pk}:{label}:{digest}"

    def spec(self, name: str) -> TableSpec:
        return spec_of(self, name)

    def prefetch(self, requests: Iterable[TableRequest]) -> None:
        """Fetch several tables from the cache in one round trip (warm pages: one query)."""
        keys = {self.cache_key(n, w, k, wt): (n, tuple(sorted(w)), k, wt) for n, w, k, wt in requests}
        keys = [key for key in keys if key not in self._memo]
        if keys:
            self._memo.update(_cache_get_many(keys))

    def table(self, name: str, waves: Sequence[str], min_cell: int, weight: str | None,
              questions: Sequence[str] | None = None) -> pd.DataFrame:
        """The table ``name`` over ``waves``, suppressed and linked (see the module docstring).

        ``questions``: the codes the page's frame holds (passed on to the linked tables).
        """
        waves = tuple(sorted(waves))
        key = self.cache_key(name, waves, min_cell, weight)
        if key not in self._memo:
            self._memo[key] = _cached(key, lambda: self._compute(name, waves, min_cell, weight, questions))
        return self._memo[key]

    def _compute(self, name: str, waves: tuple[str, ...], min_cell: int, weight: str | None,
                 questions: Sequence[str] | None) -> pd.DataFrame:
        spec = self.spec(name)
        frame = self.frame(waves, questions)
        if not len(frame) or not self._computable(name):
            return pd.DataFrame(columns=list(spec.keys) + ["n", "value", "suppressed"])
        raw = spec.compute(self, frame, weight, min_cell)
        extra = self._linked_hidden(name, spec, waves, min_cell, weight, questions)
        if not extra or not spec.keys:
            return raw
        return linked.link(raw, extra, **spec.layout,
                           n_col="n_cell" if "n_cell" in raw.columns else "n")

    def _linked_hidden(self, name: str, spec: TableSpec, waves: tuple[str, ...], min_cell: int,
                       weight: str | None, questions: Sequence[str] | None) -> set:
        """Cells hidden in the related tables: single waves, the survey's threshold, parent margins."""
        base = self.survey.min_cell
        extra: set = set()
        if len(waves) > 1:
            for w in waves:
                extra |= linked.hidden_keys(self.table(name, (w,), base, weight, questions), spec.keys)
        if min_cell > base:
            extra |= linked.hidden_keys(self.table(name, waves, base, weight, questions), spec.keys)
        for parent, line in spec.margin_of:
            parent_table = self.table(parent, waves, min_cell, weight, questions)
            if len(parent_table) and "suppressed" in parent_table.columns:
                pspec = self.spec(parent)
                margins = linked.single_cell_margins(parent_table, pspec.layout["by_rows"], pspec.layout["by_cols"])
                extra |= margins[line]
        return extra

    def _computable(self, name: str) -> bool:
        if name.startswith("contact_"):
            return self.sat_code is not None
        if name.startswith("question_"):
            return bool(self.channel_questions)
        return True

    def cached(self, name: str, waves: Sequence[str], compute: Callable):
        """Any value computed from the responses of ``waves``, cached under their versions."""
        return _cached(self.cache_key(name, waves, self.survey.min_cell, None), compute)

    def overview(self, waves: Sequence[str]) -> dict:
        """The overview page's counts (:func:`analysis.overview.overview_tables`), cached."""
        from .overview import overview_tables

        return self.cached("overview", waves, lambda: overview_tables(self, waves))


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None
