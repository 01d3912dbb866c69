"""The PostgreSQL fast reader: scores packed by the server, read with numpy.

Per range of pages of the answer table (TID range scans), one ``bytea`` per question of (16
bytes of response id, float8) records, the responses likewise; text, choice and matrix answers
as rows by binary COPY. The connections share the first one's exported snapshot. Measurements
and reasons: ``docs/loader.md``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import replace

import pandas as pd

from .connect import _adbc_connect, _paramstyle, _question_scope, _release
from .django_reader import _read_labels
from .packed import _unpack, _unpack_responses
from .plan import _answers_sql, _names, _packed_responses_sql, _packed_sql, _Plan
from .workers import _READERS, _Workers

logger = logging.getLogger("analysis.frames")

# PostgreSQL: the values of the big statements, in a temporary table of this connection
_KEYS_TABLE = "ecoute_frames_keys"
_KEYS_CREATE = ("CREATE TEMPORARY TABLE ecoute_frames_keys (kind text NOT NULL, id bigint, code text) "
                "ON COMMIT DROP")
_KEYS_INSERT = "INSERT INTO ecoute_frames_keys (kind, id, code) VALUES ($1, $2, $3)"
_KEYS_ANALYZE = "ANALYZE ecoute_frames_keys"
_PG_CHUNK_PAGES = 2048  # PostgreSQL: pages of the answer table per packed statement (16 MB, ~5 MB packed)
_TID_END = "(4294967295,65535)"  # past the last possible row
_SNAPSHOT_ID = re.compile(r"[0-9A-Fa-f]+(-[0-9A-Fa-f]+)*")


def _read_postgresql(plan: _Plan, connection, using: str, build: Callable) -> pd.DataFrame | None:
    """PostgreSQL through the driver: the packed scores by page ranges and the other answers as
    rows, read by up to :data:`.workers._READERS` connections in one (exported) snapshot."""
    first = _adbc_connect(connection)
    if first is None:
        return None
    names = _names(connection)
    numeric = set(plan.numeric_ids)
    # The text, choice and matrix answers come as rows, by a statement without bound parameters,
    # so that the driver streams it with binary COPY (a prepared statement's row-by-row results
    # are slower): its values sit in a temporary table of each connection, filled by a
    # parameterised INSERT. The packed statements return a few rows: parameters as usual.
    streamed = replace(plan, question_ids=[q for q in plan.question_ids if q not in numeric], keys_table=_KEYS_TABLE)
    conns, cursors, workers = [first], [first.cursor()], None
    try:
        cursors[0].execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        packed = _packed_statement(cursors[0], plan, names)
        pages = _answer_pages(cursors[0], names)
        chunks = _pg_chunks(pages) if plan.numeric_ids else []
        if len(chunks) > 1:
            conns += _pg_snapshot(connection, cursors[0], _READERS - 1)
            cursors += [conn.cursor() for conn in conns[1:]]
        if streamed.question_ids:
            _fill_keys(cursors, streamed)
        labels = _read_labels(using, plan.wave_ids)
        workers = _Workers(cursors, _pg_jobs(plan, streamed, names, packed, chunks))
        return build(labels, workers)
    finally:
        _release(workers, cursors, conns)


def _packed_statement(cur, plan: _Plan, names: dict) -> tuple[str, list]:
    """The packed statement of the numeric questions, its question filter asked of the database."""
    scope = _question_scope(cur, names, plan.numeric_ids, "numeric") if plan.numeric_ids else (None, False)
    span, every = scope
    psql, pparams = _packed_sql(replace(plan, question_ids=plan.numeric_ids, question_span=span,
                                        every_question=every), names)
    return _paramstyle(psql, "numeric"), pparams


def _answer_pages(cur, names: dict) -> int:
    """The answer table's size in pages (what :func:`_pg_chunks` splits)."""
    cur.execute(_paramstyle("SELECT pg_relation_size(%s::regclass) / current_setting('block_size')::int8",
                            "numeric"), [names["answer"]])
    (pages,) = cur.fetchone()
    return int(pages or 0)


def _fill_keys(cursors: list, streamed: _Plan) -> None:
    """The keys table of each connection (the values of the statement without parameters)."""
    for cur in cursors:
        cur.execute(_KEYS_CREATE)
        cur.executemany(_KEYS_INSERT, streamed.key_rows())
        cur.execute(_KEYS_ANALYZE)


def _pg_jobs(plan: _Plan, streamed: _Plan, names: dict, packed: tuple[str, list],
             chunks: list[tuple[str, str]]) -> list[Callable]:
    """The reading jobs: the packed responses, the streamed answers (text, single, multiple and
    matrix: rows as they are), then the packed scores page range by page range."""
    rsql, rparams = _packed_responses_sql(plan, names)
    rsql = _paramstyle(rsql, "numeric")
    osql, _ = _answers_sql(streamed, names, False)
    psql, pparams = packed

    def responses(cur):
        cur.execute(rsql, rparams)
        yield _unpack_responses(cur.fetch_arrow_table())

    def others(cur):
        cur.execute(osql)
        yield from cur.fetch_record_batch()

    def scores(low: str, high: str):
        def job(cur):
            cur.execute(psql, [low, high, *pparams])
            yield _unpack(cur.fetch_arrow_table())
        return job

    return [responses, *([others] if streamed.question_ids else []), *(scores(lo, hi) for lo, hi in chunks)]


def _pg_chunks(pages: int) -> list[tuple[str, str]]:
    """``tid`` bounds that split the answer table's pages into ranges of :data:`_PG_CHUNK_PAGES`
    (read by TID range scans; the last range is open: pages added since are in it)."""
    count = max(1, -(-pages // _PG_CHUNK_PAGES))
    edges = [pages * i // count for i in range(count + 1)]
    return [(f"({edges[i]},0)", f"({edges[i + 1]},0)" if i < count - 1 else _TID_END) for i in range(count)]


def _pg_snapshot(connection, cur, extra: int) -> list:
    """``extra`` more connections in the snapshot of ``cur``'s transaction (exported, imported);
    [] when the server will not export it — ``cur`` then reads everything."""
    try:
        cur.execute("SELECT pg_export_snapshot()")
        (snapshot,) = cur.fetchone()
    except Exception:  # noqa: BLE001 - e.g. a server that cannot: one connection reads it all
        logger.debug("frames.load: no exported snapshot; one connection reads", exc_info=True)
        cur.connection.rollback()  # the failed statement ended the transaction: a new one, alone
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        return []
    if not _SNAPSHOT_ID.fullmatch(str(snapshot)):
        return []
    opened = []
    try:
        for _ in range(extra):
            conn = _adbc_connect(connection)
            opened.append(conn)
            other = conn.cursor()
            other.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            # SET TRANSACTION SNAPSHOT takes no parameter; the id is the server's own (checked above)
            adopt = "SET TRANSACTION SNAPSHOT '" + str(snapshot) + "'"
            other.execute(adopt)
            other.close()
        return opened
    except BaseException:
        _release(None, [], opened)
        raise
