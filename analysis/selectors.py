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
from datetime import datetime, timedelta
from typing import Callable, Iterable, Sequence

import numpy as np
import pandas as pd
from django.core.cache import cache
from django.db.models import Count, DurationField, ExpressionWrapper, F, Max, Q
from django.db.models.signals import post_delete, post_save
from django.shortcuts import get_object_or_404
from django.utils import timezone

from surveys.models import (
    Channel, Question, QuestionType, Response, ResponseStatus, Survey, UserCategory, Wave, tr,
)
from surveys.permissions import surveys_for
from surveys.services.data_version import data_version_key, responses_changed

from . import disclosure, indicators, linked
from .filters import NOT_STATED, Choices, Filters

logger = logging.getLogger(__name__)

__all__ = ["Dashboard", "dashboard_for", "bump_survey", "TableSpec", "SPECS"]

CACHE_PREFIX = "ecoute:analysis:1"
TABLE_TIMEOUT = 7 * 24 * 3600
#: how long the data versions are trusted without re-reading them: every writer of responses changes
#: the data-version token on commit; this bounds only writes that skip it (raw SQL, say)
VERSIONS_TIMEOUT = 30
GRID_LAYOUT = {"by_rows": ["channel"], "by_cols": ["category"]}
CHANNEL_LAYOUT = {"by_rows": ["channel"]}
CATEGORY_LAYOUT = {"by_rows": ["category"]}


# --------------------------------------------------------------------------------------------
# Questions (metadata in the active language)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class QuestionInfo:
    code: str
    type: str
    channel: str | None
    threshold: int | None
    text_fr: str
    text_en: str
    choices: tuple[tuple[str, str, str], ...]  # (code, label_fr, label_en)

    @property
    def text(self) -> str:
        return tr(self, "text")

    def choice_labels(self) -> dict[str, str]:
        from django.utils.translation import get_language

        en = (get_language() or "fr")[:2] == "en"
        return {code: (en and label_en) or label_fr for code, label_fr, label_en in self.choices}

    @property
    def scored(self) -> bool:
        return self.type in (QuestionType.SATISFACTION, QuestionType.SCALE, QuestionType.NPS)


def _questions(survey: Survey, with_choices: bool = False) -> list[QuestionInfo]:
    """The survey's questions in questionnaire order (1 query, 2 with the choices)."""
    out = []
    qs = Question.objects.filter(survey=survey).select_related("channel")
    if with_choices:
        qs = qs.prefetch_related("choices")
    for q in qs:
        out.append(QuestionInfo(
            code=q.code, type=q.type, channel=q.channel.code if q.channel_id else None, threshold=q.threshold,
            text_fr=q.text_fr, text_en=q.text_en,
            choices=tuple((c.code, c.label_fr, c.label_en) for c in q.choices.all()) if with_choices else (),
        ))
    return out


# --------------------------------------------------------------------------------------------
# Tables: how each one is computed and linked
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TableSpec:
    """A dashboard table: ``compute(dashboard, frame, weight, min_cell)`` → suppressed table.

    ``keys``: the cell key columns; ``layout``: the margins it is published with (for the
    secondary rule when linking); ``margin_of``: (other table, "row"|"column") whose lines with a
    single hidden cell are cells of this table to hide.
    """

    compute: Callable
    keys: tuple[str, ...]
    layout: dict
    margin_of: tuple[tuple[str, str], ...] = ()


def _contact(by: Sequence[str]) -> Callable:
    def compute(d: Dashboard, frame: pd.DataFrame, weight: str | None, min_cell: int) -> pd.DataFrame:
        return indicators.by_contact_channel(frame, sat_col=d.sat_code, nps_col=d.nps_code, by=list(by),
                                             weight=weight, min_cell=min_cell, dropna=False)
    return compute


def _channel_questions(by: Sequence[str]) -> Callable:
    def compute(d: Dashboard, frame: pd.DataFrame, weight: str | None, min_cell: int) -> pd.DataFrame:
        questions = [{"code": q.code, "channel": q.channel, "type": q.type, "threshold": q.threshold or 4}
                     for q in d.channel_questions]
        return indicators.channel_table(frame, questions, by=list(by), weight=weight, min_cell=min_cell)
    return compute


SPECS: dict[str, TableSpec] = {
    # overall satisfaction (mean, % satisfied) and NPS by the respondent's contact channel
    "contact_grid": TableSpec(_contact(["channel", "category"]), ("channel", "category"), GRID_LAYOUT),
    "contact_channel": TableSpec(_contact(["channel"]), ("channel",), CHANNEL_LAYOUT,
                                 margin_of=(("contact_grid", "row"),)),
    "contact_total": TableSpec(_contact([]), (), {}),
    # satisfaction with each channel (the questions tied to a channel), by category
    "question_grid": TableSpec(_channel_questions(["channel", "category"]), ("channel", "category"), GRID_LAYOUT),
    "question_channel": TableSpec(_channel_questions(["channel"]), ("channel",), CHANNEL_LAYOUT,
                                  margin_of=(("question_grid", "row"),)),
}


def _distribution_spec(d: Dashboard, code: str) -> TableSpec:
    q = d.question(code)
    codes = list(range(1, 6)) if q.type == QuestionType.SATISFACTION else list(range(0, 11))

    def compute(d: Dashboard, frame: pd.DataFrame, weight: str | None, min_cell: int) -> pd.DataFrame:
        table = indicators.distribution(frame, code, by=["category"], weight=weight, codes=codes)
        return disclosure.suppress(table, min_cell=min_cell, n_col="n_cell", **CATEGORY_LAYOUT)

    margin_of = (("contact_grid", "column"),) if code in (d.sat_code, d.nps_code) else ()
    return TableSpec(compute, ("category",), CATEGORY_LAYOUT, margin_of=margin_of)


def _distribution_total_spec(d: Dashboard, code: str) -> TableSpec:
    q = d.question(code)
    codes = list(range(1, 6)) if q.type == QuestionType.SATISFACTION else list(range(0, 11))

    def compute(d: Dashboard, frame: pd.DataFrame, weight: str | None, min_cell: int) -> pd.DataFrame:
        table = indicators.distribution(frame, code, by=None, weight=weight, codes=codes)
        return disclosure.suppress(table, min_cell=min_cell, n_col="n_cell")

    return TableSpec(compute, (), {})


# --------------------------------------------------------------------------------------------
# The dashboard of one survey
# --------------------------------------------------------------------------------------------
def dashboard_for(user, slug: str) -> Dashboard:
    """The survey ``slug`` if ``user`` is granted it (else 404), with its reference data."""
    survey = get_object_or_404(surveys_for(user), slug=slug)
    return Dashboard(survey)


def _versions_key(survey_id: int) -> str:
    return f"{CACHE_PREFIX}:versions:{survey_id}"


def _bump_key(survey_id: int) -> str:
    return f"{CACHE_PREFIX}:bump:{survey_id}"


def bump_survey(survey: Survey | int) -> None:
    """Invalidate every cached table of ``survey`` (after bulk changes that skip signals)."""
    survey_id = getattr(survey, "pk", survey)
    try:
        responses_changed(survey_id)
        cache.delete(_versions_key(survey_id))
        cache.add(_bump_key(survey_id), 0, None)
        cache.incr(_bump_key(survey_id))
    except Exception:  # noqa: BLE001 - a cache outage must not break the caller
        logger.warning("analysis cache unavailable: could not bump survey %s", survey_id, exc_info=True)


def _response_changed(sender, instance: Response, **kwargs) -> None:
    """A response was saved or deleted: its survey's data versions must be read again."""
    try:
        cache.delete(_versions_key(instance.survey_id))
    except Exception:  # noqa: BLE001
        logger.warning("analysis cache unavailable", exc_info=True)


# Drops the versions at once, inside the writer's transaction (the token follows on commit).
# Connected when this module is imported — by the URLconf (analysis.urls → views).
post_save.connect(_response_changed, sender=Response, dispatch_uid="analysis.selectors.response_saved")
post_delete.connect(_response_changed, sender=Response, dispatch_uid="analysis.selectors.response_deleted")


@dataclass
class Dashboard:
    """One survey's waves, categories, channels and questions, and its cached tables.

    Built per request; reference data are read lazily (one small query each).
    """

    survey: Survey
    #: question codes the page needs (the frame loads only these; None: every question)
    needed: list[str] | None = None
    _memo: dict = field(default_factory=dict)
    _frames: dict = field(default_factory=dict)

    # -- reference data ----------------------------------------------------------------------
    def _once(self, name: str, fn: Callable):
        if name not in self._memo:
            self._memo[name] = fn()
        return self._memo[name]

    @property
    def waves(self) -> list[Wave]:
        return self._once("waves", lambda: list(self.survey.waves.order_by("opens_at", "code")))

    @property
    def categories(self) -> list[UserCategory]:
        def load():
            cats = list(self.survey.categories.all())
            return cats or list(UserCategory.objects.all())
        return self._once("categories", load)

    @property
    def channels(self) -> list[Channel]:
        return self._once("channels", lambda: list(Channel.objects.all()))

    @property
    def questions(self) -> list[QuestionInfo]:
        """The questions (without their choices: see ``questions_with_choices``)."""
        if "questions_full" in self._memo:
            return self._memo["questions_full"]
        return self._once("questions", lambda: _questions(self.survey))

    @property
    def questions_with_choices(self) -> list[QuestionInfo]:
        return self._once("questions_full", lambda: _questions(self.survey, with_choices=True))

    def question(self, code: str) -> QuestionInfo:
        for q in self.questions:
            if q.code == code:
                return q
        raise KeyError(code)

    @property
    def sat_code(self) -> str | None:
        """The overall satisfaction question (SAT_OVERALL, else the first satisfaction question
        not tied to a channel)."""
        sat = [q for q in self.questions if q.type == QuestionType.SATISFACTION and not q.channel]
        for q in sat:
            if q.code == "SAT_OVERALL":
                return q.code
        return sat[0].code if sat else None

    @property
    def nps_code(self) -> str | None:
        nps = [q for q in self.questions if q.type == QuestionType.NPS]
        return nps[0].code if nps else None

    @property
    def channel_questions(self) -> list[QuestionInfo]:
        return [q for q in self.questions if q.channel and q.type in (QuestionType.SATISFACTION,)]

    def wave_labels(self, codes: Iterable[str] | None = None) -> dict[str, str]:
        codes = set(codes) if codes is not None else None
        return {w.code: (w.label or w.code) for w in self.waves if codes is None or w.code in codes}

    def category_labels(self, codes: Sequence[str] = ()) -> dict[str, str]:
        return {c.code: c.label for c in self.categories if not codes or c.code in codes}

    def channel_labels(self, codes: Sequence[str] = (), not_stated: bool = True) -> dict:
        from django.utils.translation import gettext as _

        labels: dict = {c.code: c.label for c in self.channels if not codes or c.code in codes}
        if not_stated and (not codes or NOT_STATED in codes):
            labels[None] = _("Canal non renseigné")
        return labels

    # -- versions ----------------------------------------------------------------------------
    def versions(self) -> dict[str, tuple]:
        """Per wave code: (complete responses, latest submission, latest update, non-1 weights).

        One aggregate query over the survey's complete responses; its result is itself cached
        (``VERSIONS_TIMEOUT``) with the data-version token read in the same round trip, and used
        only while that token is current (every writer of responses changes it on commit).
        """
        def load():
            key, token_key = _versions_key(self.survey.pk), data_version_key(self.survey.pk)
            try:
                found = cache.get_many([key, _bump_key(self.survey.pk), token_key])
            except Exception:  # noqa: BLE001 - the cache is an optimisation
                logger.warning("analysis cache unavailable", exc_info=True)
                found = {}
            self._memo["bump"] = found.get(_bump_key(self.survey.pk), 0)
            token = found.get(token_key)
            cached = found.get(key)
            if isinstance(cached, tuple) and len(cached) == 3 and cached[0] == token:
                self._memo["figures_at"] = cached[1]
                return cached[2]
            read_at = timezone.now()  # before the query: the figures are at least this fresh
            by_id = {w.pk: w.code for w in self.waves}
            out = {code: (0, None, None, 0) for code in by_id.values()}
            rows = (Response.objects.filter(wave__in=list(by_id), status=ResponseStatus.COMPLETE)
                    .values("wave_id").annotate(n=Count("id"), last=Max("submitted_at"), touched=Max("updated_at"),
                                                weighted=Count("id", filter=~Q(weight=1.0)))
                    .order_by())
            for row in rows:
                out[by_id[row["wave_id"]]] = (row["n"], _iso(row["last"]), _iso(row["touched"]), row["weighted"])
            self._memo["figures_at"] = read_at
            try:
                cache.set(key, (token, read_at, out), VERSIONS_TIMEOUT)
            except Exception:  # noqa: BLE001
                logger.warning("analysis cache unavailable", exc_info=True)
            return out
        return self._once("versions", load)

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
    def frame(self, waves: Sequence[str]) -> pd.DataFrame:
        """Complete responses of ``waves`` (loaded once per request for the widest wave set)."""
        waves = tuple(sorted(waves))
        if waves in self._frames:
            return self._frames[waves]
        for loaded, frame in self._frames.items():
            if set(waves) <= set(loaded):
                sub = frame[frame["wave"].isin(list(waves))].reset_index(drop=True)
                self._frames[waves] = sub
                return sub
        frame = load_frame([w for w in self.waves if w.code in waves], questions=self.needed)
        self._frames[waves] = frame
        return frame

    def preload(self, waves: Sequence[str]) -> None:
        """Load the frame of ``waves`` at once (sub-tables of single waves reuse it)."""
        self.frame(waves)

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
        if name in SPECS:
            return SPECS[name]
        kind, _, code = name.partition(":")
        if kind == "dist":
            return _distribution_spec(self, code)
        if kind == "disttotal":
            return _distribution_total_spec(self, code)
        from .question_blocks import question_spec  # issue 22 hook: choice, number, matrix tables
        found = question_spec(self, kind, code)
        if found is not None:
            return found
        raise KeyError(name)

    def prefetch(self, requests: Iterable[tuple[str, Sequence[str], int, str | None]]) -> None:
        """Fetch several tables from the cache in one round trip (warm pages: one query)."""
        keys = {self.cache_key(n, w, k, wt): (n, tuple(sorted(w)), k, wt) for n, w, k, wt in requests}
        keys = {key: req for key, req in keys.items() if key not in self._memo}
        if not keys:
            return
        try:
            found = cache.get_many(list(keys))
        except Exception:  # noqa: BLE001 - the cache is an optimisation
            logger.warning("analysis cache unavailable", exc_info=True)
            found = {}
        self._memo.update(found)

    def table(self, name: str, waves: Sequence[str], min_cell: int, weight: str | None) -> pd.DataFrame:
        """The table ``name`` over ``waves``, suppressed and linked (see the module docstring)."""
        waves = tuple(sorted(waves))
        key = self.cache_key(name, waves, min_cell, weight)
        if key in self._memo:
            return self._memo[key]
        try:
            table = cache.get(key)
        except Exception:  # noqa: BLE001
            logger.warning("analysis cache unavailable", exc_info=True)
            table = None
        if table is None:
            table = self._compute(name, waves, min_cell, weight)
            try:
                cache.set(key, table, TABLE_TIMEOUT)
            except Exception:  # noqa: BLE001
                logger.warning("analysis cache unavailable", exc_info=True)
        self._memo[key] = table
        return table

    def _compute(self, name: str, waves: tuple[str, ...], min_cell: int, weight: str | None) -> pd.DataFrame:
        spec = self.spec(name)
        frame = self.frame(waves)
        if not len(frame) or not self._computable(name):
            return pd.DataFrame(columns=list(spec.keys) + ["n", "value", "suppressed"])
        raw = spec.compute(self, frame, weight, min_cell)
        base = self.survey.min_cell
        extra: set = set()
        if len(waves) > 1:
            for w in waves:
                extra |= linked.hidden_keys(self.table(name, (w,), base, weight), spec.keys)
        if min_cell > base:
            extra |= linked.hidden_keys(self.table(name, waves, base, weight), spec.keys)
        for parent, line in spec.margin_of:
            parent_table = self.table(parent, waves, min_cell, weight)
            if len(parent_table) and "suppressed" in parent_table.columns:
                pspec = self.spec(parent)
                margins = linked.single_cell_margins(parent_table, pspec.layout["by_rows"], pspec.layout["by_cols"])
                extra |= margins[line]
        if not extra or not spec.keys:
            return raw
        return linked.link(raw, extra, **spec.layout,
                           n_col="n_cell" if "n_cell" in raw.columns else "n")

    def _computable(self, name: str) -> bool:
        if name.startswith("contact_"):
            return self.sat_code is not None
        if name.startswith("question_"):
            return bool(self.channel_questions)
        return True

    def cached(self, name: str, waves: Sequence[str], compute: Callable):
        """Any value computed from the responses of ``waves``, cached under their versions."""
        key = self.cache_key(name, waves, self.survey.min_cell, None)
        try:
            found = cache.get(key)
        except Exception:  # noqa: BLE001
            found = None
        if found is None:
            found = compute()
            try:
                cache.set(key, found, TABLE_TIMEOUT)
            except Exception:  # noqa: BLE001
                logger.warning("analysis cache unavailable", exc_info=True)
        return found

    # -- overview ----------------------------------------------------------------------------
    def overview(self, waves: Sequence[str]) -> dict:
        """Counts, completion and median duration per wave; complete responses per category and
        per channel (counts below the minimum cell size are suppressed like any table)."""
        waves = tuple(sorted(waves))
        key = self.cache_key("overview", waves, self.survey.min_cell, None)
        try:
            found = cache.get(key)
        except Exception:  # noqa: BLE001
            found = None
        if found is not None:
            return found
        wave_objs = [w for w in self.waves if w.code in waves]
        ids = [w.pk for w in wave_objs]
        by_status = {(r["wave_id"], r["status"]): r["n"] for r in Response.objects.filter(wave__in=ids)
                     .values("wave_id", "status").annotate(n=Count("id")).order_by()}
        per_wave = []
        for w in wave_objs:
            complete = by_status.get((w.pk, ResponseStatus.COMPLETE), 0)
            started = complete + by_status.get((w.pk, ResponseStatus.PARTIAL), 0)
            per_wave.append({"code": w.code, "label": w.label or w.code, "complete": complete, "started": started,
                             "completion": (100.0 * complete / started) if started else None,
                             "median_minutes": self._median_minutes(w, complete)})
        base = self.survey.min_cell
        counts = {}
        for dim, field_name in (("category", "category__code"), ("channel", "channel__code")):
            rows = (Response.objects.filter(wave__in=ids, status=ResponseStatus.COMPLETE)
                    .values(field_name).annotate(n=Count("id")).order_by())
            table = pd.DataFrame({dim: [r[field_name] for r in rows], "n": [r["n"] for r in rows]},
                                 columns=[dim, "n"])
            table["n"] = table["n"].astype("int64")
            counts[dim] = disclosure.suppress(table, min_cell=base, n_col="n", by_rows=[dim]) if len(table) \
                else table.assign(suppressed=pd.Series(dtype=bool))
        result = {"waves": per_wave, "counts": counts}
        try:
            cache.set(key, result, TABLE_TIMEOUT)
        except Exception:  # noqa: BLE001
            logger.warning("analysis cache unavailable", exc_info=True)
        return result

    def _median_minutes(self, wave: Wave, complete: int) -> float | None:
        """Median of submitted_at − started_at over complete responses (the database sorts;
        at most two rows come back). Not shown below the minimum cell size."""
        if complete < max(self.survey.min_cell, 1):
            return None
        duration = ExpressionWrapper(F("submitted_at") - F("started_at"), output_field=DurationField())
        qs = (Response.objects.filter(wave=wave, status=ResponseStatus.COMPLETE).annotate(d=duration)
              .order_by("d").values_list("d", flat=True))
        middle = complete // 2
        values = list(qs[middle - 1:middle + 1]) if complete % 2 == 0 else list(qs[middle:middle + 1])
        values = [v for v in values if v is not None]
        if not values:
            return None
        seconds = sum(v.total_seconds() if isinstance(v, timedelta) else float(v) / 1e6 for v in values) / len(values)
        return seconds / 60.0


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------
def load_frame(waves: Sequence[Wave], questions: Sequence[str] | None = None) -> pd.DataFrame:
    """``analysis.frames.load`` for these waves (complete responses; only ``questions`` when
    given), with the wave column as wave codes."""
    from . import frames

    if not waves:
        return pd.DataFrame(columns=["response_id", "wave", "category", "channel", "weight"])
    frame = frames.load(list(waves), questions=list(questions) if questions is not None else None)
    codes = {w.pk: w.code for w in waves}
    if len(frame) and "wave" in frame.columns:
        col = frame["wave"]
        values = set(col.cat.categories) if isinstance(col.dtype, pd.CategoricalDtype) else set(pd.unique(col))
        if values and values <= set(codes):  # ids → codes
            frame["wave"] = pd.Categorical(frame["wave"].astype(object).map(codes),
                                           categories=[w.code for w in waves])
    return frame


def select_rows(table: pd.DataFrame, column: str, codes: Sequence) -> pd.DataFrame:
    """Display filter: the rows of ``table`` whose ``column`` is in ``codes`` (None = not stated)."""
    if not codes or column not in table.columns:
        return table
    wanted = [c for c in codes if c is not None and c != NOT_STATED]
    keep = table[column].isin(wanted).to_numpy().copy()
    if NOT_STATED in codes or None in codes:
        keep |= table[column].isna().to_numpy()
    return table[keep].reset_index(drop=True)


def kind_rows(table: pd.DataFrame, kind: str, question: str | None = None) -> pd.DataFrame:
    """The rows of a long indicator table for one indicator kind (and question)."""
    if not len(table) or "kind" not in table.columns:
        return table.iloc[0:0]
    keep = (table["kind"].astype(object) == kind).to_numpy()
    if question is not None:
        keep &= (table["question"].astype(object) == question).to_numpy()
    return table[keep].reset_index(drop=True)


def n_hidden(table: pd.DataFrame) -> int:
    if not len(table) or "suppressed" not in table.columns:
        return 0
    return int(np.asarray(table["suppressed"].fillna(True), dtype=bool).sum())
