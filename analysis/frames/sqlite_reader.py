"""The SQLite fast reader: Arrow record batches through ``adbc_driver_sqlite``.

The responses, then the answers rowid range by rowid range, the ranges shared by two
connections that read in one snapshot (their read transactions begin while a third connection
holds the write lock for an instant). The driver's cost is per value, so the only lever is the
second core. The driver links its own copy of SQLite: hence the guard of :func:`_read_sqlite`.
Measurements and reasons: ``docs/loader.md``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

import pandas as pd
import pyarrow.compute as pc

from .connect import _adbc_connect, _paramstyle, _question_scope, _release
from .django_reader import _read_labels
from .plan import _RESPONSE_COLUMNS, _answer_names, _answers_sql, _names, _Plan, _responses_sql
from .workers import _READERS, _other_threads, _Workers

logger = logging.getLogger("analysis.frames")

_PARALLEL_MIN_ANSWERS = 300_000  # SQLite: a smaller answer table (by rowid span) is read by one connection
_SQLITE_PIECE_ROWS = 500_000  # SQLite: answers (by rowid span) per statement when several connections read
_ROWID_ALL = (-(2**63), 2**63 - 1)


def _read_sqlite(plan: _Plan, connection, using: str, build: Callable) -> pd.DataFrame | None:
    """SQLite through the driver, guarded against its second copy of SQLite in this process.

    Closing a driver connection drops every POSIX lock this process holds on the database file,
    those of Django's connections included (``docs/loader.md``): a write of Django's in flight
    could be lost and another process could take the WAL for its own. So the driver is used only
    when no other thread of the process may hold a Django connection (a gunicorn sync worker, a
    command, the bench; not the threaded development server), after everything Django has to
    read and with Django's own connection of this thread closed (it reopens at its next query).
    Otherwise None: the Django reader, slower but safe.
    """
    in_memory = connection.is_in_memory_db()
    others = [] if in_memory else _other_threads()  # no file: no file locks
    if others:
        logger.info("frames.load: SQLite read through Django: other threads in this process (%s)",
                    ", ".join(others[:3]))
        return None
    labels = _read_labels(using, plan.wave_ids)
    first = _adbc_connect(connection)
    if first is None:
        return None
    if not in_memory:  # (an in-memory database would be gone with it)
        connection.close()
    names = _names(connection)
    conns, cursors, workers = [first], [], None
    try:
        jobs, ranges = _sqlite_jobs(plan, names, first)
        if len(ranges) > 1:
            conns += _sqlite_snapshot(connection, names, first, _READERS - 1)
        for conn in conns:
            # A DB-API connection is not in autocommit mode: its statements share one read transaction.
            cursors.append(conn.cursor())
            cursors[-1].adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": "65536"})
        workers = _Workers(cursors, jobs)
        return build(labels, workers)
    finally:
        _release(workers, cursors, conns)


def _sqlite_jobs(plan: _Plan, names: dict, first) -> tuple[list[Callable], list[tuple[int, int]]]:
    """The reading jobs — the responses, then the answers range by range — and the rowid ranges
    (:func:`_sqlite_layout`, asked of ``first``). Every statement puts a typed first row, rid
    '', before its rows (:func:`_sqlite_typed`; dropped by :func:`_drop_sentinel`)."""
    rsql, rparams = _responses_sql(plan, names, True)
    rsql = _paramstyle(_sqlite_typed(rsql, _RESPONSE_COLUMNS, ["''", "0", "0", "0", "0.5"]), "qmark")
    (span, every), ranges = _sqlite_layout(first, names, plan.question_ids)
    asql, aparams = _answers_sql(replace(plan, question_span=span, every_question=every), names, True,
                                 ranged=True)
    asql = _paramstyle(_sqlite_typed(asql, _answer_names(plan),
                                     ["''", "-1", "0.5"] + ["''"] * (bool(plan.text_ids) + plan.has_json)),
                       "qmark")

    def responses(cur):
        cur.execute(rsql, rparams)
        yield _drop_sentinel(cur.fetch_arrow_table().rename_columns(_RESPONSE_COLUMNS))

    def answers(low: int, high: int):
        def job(cur):
            cur.execute(asql, [*aparams, low, high])
            first_batch = True
            for batch in cur.fetch_record_batch():
                # the typed row comes first (and a stray one would be dropped: no question -1)
                yield _drop_sentinel(batch) if first_batch else batch
                first_batch = False
        return job

    return [responses, *(answers(lo, hi) for lo, hi in ranges)], ranges


def _sqlite_typed(sql: str, names: list[str], sentinel: list[str]) -> str:
    """Put one typed row first: ADBC's SQLite driver infers each column's type from the first
    batch, and a column that starts with NULLs would be taken for an integer."""
    first = ", ".join(f"{value} AS {name}" for value, name in zip(sentinel, names))
    return f"SELECT {first} UNION ALL {sql}"


def _sqlite_layout(conn, names: dict, question_ids: list[int]) -> tuple[tuple[tuple[int, int] | None, bool], list]:
    """How to read the answers: the scope of the questions (:func:`_question_scope`), and rowid
    ranges that split the answer table for several connections (one range when it is small;
    none without questions). The outer ends are open, so rows written since are in a range all
    the same."""
    if not question_ids:
        return (None, False), []
    cur = conn.cursor()
    try:
        scope = _question_scope(cur, names, question_ids, "qmark")
        # one aggregate per query: SQLite then reads one end of the table, not all of it
        bounds = f"SELECT (SELECT min(rowid) FROM {names['answer']}), (SELECT max(rowid) FROM {names['answer']})"
        cur.execute(bounds)  # table name from the model, no value in the text
        low, high = cur.fetchone()
    finally:
        cur.close()
        conn.rollback()  # the snapshot the data is read in begins later
    if low is None or high - low + 1 < _PARALLEL_MIN_ANSWERS:
        return scope, [_ROWID_ALL]
    count = max(_READERS, -(-(high - low + 1) // _SQLITE_PIECE_ROWS))
    edges = [low + (high - low + 1) * i // count for i in range(count + 1)]
    edges[0], edges[-1] = _ROWID_ALL[0], _ROWID_ALL[1] + 1
    return scope, [(edges[i], edges[i + 1] - 1) for i in range(count)]


def _sqlite_snapshot(connection, names: dict, first, extra: int) -> list:
    """``extra`` more connections that read the database as ``first`` does.

    A SQLite read transaction sees the database as it was when the transaction first read it,
    so all of them begin their read while a third connection holds the write lock (``BEGIN
    IMMEDIATE``, for a millisecond): no write can commit in between. When the lock is not to be
    had within 0.2 s (a long write, a read-only file), [] — ``first`` then reads everything.
    (Only writers using the driver's own copy of SQLite, or other processes, are held off — a
    write by Django's connection in this same process is not: see ``docs/loader.md``.)
    """
    gate = _adbc_connect(connection, autocommit=True)
    opened = []
    try:
        lock = gate.cursor()
        try:
            lock.execute("PRAGMA busy_timeout = 200")
            lock.fetchall()
            lock.execute("BEGIN IMMEDIATE")
            lock.fetchall()
        except Exception:  # noqa: BLE001 - no lock: one connection reads it all
            logger.debug("frames.load: no write lock for a shared snapshot; one connection reads", exc_info=True)
            lock.close()
            return []
        try:
            opened = [_adbc_connect(connection) for _ in range(extra)]
            for conn in (first, *opened):
                cur = conn.cursor()
                begin = f"SELECT 1 FROM {names['answer']} LIMIT 1"
                cur.execute(begin)  # the read transaction begins
                cur.fetchall()
                cur.close()
        finally:
            lock.execute("ROLLBACK")
            lock.fetchall()
            lock.close()
        return opened
    except BaseException:
        _release(None, [], opened)
        raise
    finally:
        gate.close()


def _drop_sentinel(table):
    """The table or batch without the typed first row (rid '') of :func:`_sqlite_typed`."""
    rid = table.column("rid")
    if len(rid) == 0:
        return table
    if rid[0].as_py() == "":
        return table.slice(1)
    return table.filter(pc.not_equal(rid, "")) if table.num_rows and pc.any(pc.equal(rid, "")).as_py() else table
