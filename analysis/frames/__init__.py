"""Database → analysis frame: one row per response, one column per question.

    frame = frames.load([wave_2025, wave_2026])            # Wave objects or ids
    meta = frames.questions_meta(survey)                   # which columns are channel questions

The frame is what every pure function of :mod:`analysis.indicators`, :mod:`~analysis.weighting`,
:mod:`~analysis.disclosure` and :mod:`~analysis.waves` reads (see ``methodology.md``, "Data"):

=====================  ====================================================================
``response_id``        the response's UUID, as text (``str`` dtype)
``wave``               wave code (Categorical, waves in the order they were asked for)
``category``           user-category code (Categorical, in the categories' display order)
``channel``            contact-channel code (Categorical; missing when the response has none)
``weight``             float64 (1.0 unless weights were set)
``CODE``               satisfaction / scale / nps: ``float32`` (the scale's integer codes, exactly;
                       NaN = missing); number: ``float64``; single choice: Categorical of choice
                       codes; text: ``str`` (the free text)
``CODE__choice``       multiple choice: one nullable ``boolean`` column per choice (True = ticked;
                       missing when the respondent did not answer the question at all)
``CODE__item``         matrix: one ``float32`` column per item (1–5)
=====================  ====================================================================

A missing answer — skipped, not shown, or "don't know / not applicable" — is missing (``NaN`` /
``<NA>``), never a code, so each indicator counts only the responses that answered. A score
column that holds something other than integers (say an imported 3.5) is ``float64`` rather
than rounded: the dtype is compact only when exact. Row order is unspecified (sort if you need
one). Nothing here computes a statistic.

The rooms, in the order a load goes through them (how they read, and the measurements behind
each choice: ``docs/loader.md``):

* :mod:`.questions` — the questions and their columns; :func:`questions_meta`;
* :mod:`.plan` — what one load reads, and the SQL, written once (bound parameters only);
* :mod:`.loader` — :func:`load`: plans, then picks a reader (``frame.attrs["reader"]``);
* :mod:`.django_reader` — ONE statement through Django's cursor (sees an open transaction);
* :mod:`.sqlite_reader`, :mod:`.postgresql_reader` — the fast ADBC readers, two connections
  in one snapshot (:mod:`.connect` opens them on Django's database);
* :mod:`.workers` — the reading threads and their bounded queue;
* :mod:`.build`, :mod:`.ids`, :mod:`.packed` — the frame built while the answers arrive.
"""

from __future__ import annotations

import sys
import types

from . import (
    build, connect, django_reader, ids, loader, packed, plan, postgresql_reader, questions, sqlite_reader, workers,
)
from .loader import load
from .plan import Labels  # noqa: F401
from .questions import (  # noqa: F401 - the type sets, as analysis.frames has always had them
    BASE_COLUMNS, DEFAULT_THRESHOLD, JSON_TYPES, NUMERIC_TYPES, SCORE_TYPES, TEXT_TYPES, question_columns,
    questions_meta,
)

# Internals the tests reach for by their old names (and may replace: see _Package)
from .build import _Builder  # noqa: F401
from .connect import _adbc_connect  # noqa: F401
from .ids import _uuid_bytes, _uuid_strings  # noqa: F401
from .plan import _answers_sql, _packed_sql  # noqa: F401
from .postgresql_reader import _PG_CHUNK_PAGES  # noqa: F401
from .sqlite_reader import _PARALLEL_MIN_ANSWERS, _SQLITE_PIECE_ROWS  # noqa: F401
from .workers import _Workers  # noqa: F401

__all__ = ["BASE_COLUMNS", "load", "questions_meta", "question_columns"]

_ROOMS = (questions, plan, loader, django_reader, connect, sqlite_reader, postgresql_reader, workers, build, ids,
          packed)


class _Package(types.ModuleType):
    """Setting a name on the package sets it in each of its modules that uses it.

    Why: tests replace a seam or a tunable by its old name on ``analysis.frames``
    (``monkeypatch.setattr(frames, "_PG_CHUNK_PAGES", 2)``, ``_adbc_connect``, ``_answers_sql``)
    without knowing which module reads it; the readers look these names up in their own module.
    """

    def __setattr__(self, name: str, value) -> None:
        super().__setattr__(name, value)
        for room in _ROOMS:
            if name in vars(room):
                setattr(room, name, value)


sys.modules[__name__].__class__ = _Package
