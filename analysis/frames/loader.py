"""``load``: the entry point, which plans the read and picks the reader.

``"adbc"`` when an Arrow-native driver can open the same database Django uses and Django's
connection holds no open transaction; ``"django"`` otherwise. The reader used is recorded in
``frame.attrs["reader"]``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

import pandas as pd
from django.db import connections

from surveys.models import Question, ResponseStatus, Wave

from .build import _build, _empty_frame
from .django_reader import _read_django
from .plan import _Plan
from .postgresql_reader import _read_postgresql
from .questions import JSON_TYPES, NUMERIC_TYPES, TEXT_TYPES, _Question, _read_questions
from .sqlite_reader import _read_sqlite

logger = logging.getLogger("analysis.frames")


def _read_adbc(plan: _Plan, connection, using: str, build: Callable) -> pd.DataFrame | None:
    """The data through ADBC connections to the same database, all in one snapshot; None when
    no ADBC driver can open it (in-memory SQLite).

    The work is a list of jobs — the responses, then the answers range by range of the answer
    table — run by :data:`.workers._READERS` threads, one connection each, while the caller's thread
    builds the frame from what they hand over (:class:`.workers._Workers`): the drivers read and convert
    in C without the GIL, so on two cores reading and building overlap. One snapshot for all the
    connections: PostgreSQL exports the first transaction's snapshot to the others; SQLite has no
    such thing, so the read transactions all begin while a write lock is held (see
    :func:`.sqlite_reader._sqlite_snapshot`). Small tables are read by one connection.
    """
    if connection.vendor == "sqlite":
        return _read_sqlite(plan, connection, using, build)
    return _read_postgresql(plan, connection, using, build)


def _wave_ids(waves: Iterable[Wave | int] | Wave | int) -> list[int]:
    if isinstance(waves, (Wave, int)):
        waves = [waves]
    ids = []
    for w in waves:
        ids.append(int(w.pk if isinstance(w, Wave) else w))
    return list(dict.fromkeys(ids))


def load(
    waves: Iterable[Wave | int],
    *,
    include_partial: bool = False,
    questions: Iterable[str | Question] | None = None,
    using: str = "default",
    reader: str = "auto",
) -> pd.DataFrame:
    """The analysis frame of ``waves`` (Wave objects or ids, all of one survey).

    One row per complete response (``include_partial=True`` adds the partial ones), columns
    :data:`BASE_COLUMNS` then the questions' columns in questionnaire order (see the module
    docstring for dtypes). ``questions``: codes (or Question objects) to restrict the columns to.
    ``reader``: ``"auto"`` (ADBC when it can see what Django sees, else Django's cursor),
    ``"adbc"`` (fail if it cannot be used) or ``"django"``. The reader used is in
    ``frame.attrs["reader"]``.
    """
    if reader not in ("auto", "adbc", "django"):
        raise ValueError(f"unknown reader {reader!r}; expected auto, adbc or django")
    wave_ids = _wave_ids(waves)
    codes = None if questions is None else [q.code if isinstance(q, Question) else str(q) for q in questions]
    if not wave_ids:
        frame = _empty_frame([])
        frame.attrs["reader"] = "none"
        return frame
    qlist = _read_questions(using=using, wave_ids=wave_ids, codes=codes)
    if codes is not None:
        missing = sorted(set(codes) - {q.code for q in qlist})
        if missing:
            raise KeyError(f"no such question in this survey: {', '.join(missing)}")
    plan = _plan(wave_ids, qlist, include_partial)
    connection = connections[using]
    build = _build(qlist, wave_ids)
    frame, used = _read_fast(plan, connection, using, build, reader), "adbc"
    if frame is None:
        if reader == "adbc":
            raise RuntimeError(f"the ADBC reader cannot be used for the database {using!r} (in-memory SQLite, or "
                               "SQLite in a process with other threads: see analysis/frames/sqlite_reader.py)")
        frame, used = _read_django(plan, connection, build), "django"
    frame.attrs["reader"] = used
    return frame


def _plan(wave_ids: list[int], qlist: list[_Question], include_partial: bool) -> _Plan:
    """What to read: the waves, the statuses, and the questions by where their answers are."""
    return _Plan(
        wave_ids=wave_ids,
        statuses=[ResponseStatus.COMPLETE.value] + ([ResponseStatus.PARTIAL.value] if include_partial else []),
        question_ids=[q.id for q in qlist],
        text_ids=[q.id for q in qlist if q.type in TEXT_TYPES],
        has_json=any(q.type in JSON_TYPES for q in qlist),
        numeric_ids=[q.id for q in qlist if q.type in NUMERIC_TYPES],
    )


def _read_fast(plan: _Plan, connection, using: str, build: Callable, reader: str) -> pd.DataFrame | None:
    """The frame by the ADBC reader, or None when it is not to be used (``reader="django"``, an
    open transaction) or cannot be (no driver, or it failed: logged). With ``reader="adbc"``
    every such case but the driver's "cannot open" raises instead."""
    if reader == "django":
        return None
    if connection.in_atomic_block:
        if reader == "adbc":
            raise RuntimeError("the ADBC reader cannot see the data of an open transaction")
        return None
    try:
        return _read_adbc(plan, connection, using, build)
    except ImportError:
        if reader == "adbc":
            raise
    except Exception:
        if reader == "adbc":
            raise
        logger.warning("frames.load: the ADBC reader failed, reading through Django instead", exc_info=True)
    return None
