"""ADBC connections to the database Django uses, and what the two fast readers share.

An ADBC connection is opened on the **same** database as Django's connection (a URI built from
``settings_dict`` on PostgreSQL, the database file on SQLite), never on another one.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from urllib.parse import quote

logger = logging.getLogger("analysis.frames")

#: PostgreSQL: idle ADBC connections kept per process and database for the next load (opening one
#: costs ≈ 45 ms, a tenth of a cold dashboard at 100,000 responses); dropped after this many seconds
POOL_IDLE_SECONDS = 300
POOL_SIZE = 2  # the readers of one load (.workers._READERS)
_pool: dict[tuple[int, str], list[tuple[float, object]]] = {}
_pool_lock = threading.Lock()
_pool_keys: dict[int, tuple[int, str]] = {}  # id(connection) → its pool (connections of the pool only)


def _pooled_postgresql(uri: str):
    """An idle connection of this process to ``uri`` (rolled back when it was returned), else a new one."""
    import adbc_driver_postgresql.dbapi as adbc_pg

    key, now = (os.getpid(), uri), time.monotonic()
    stale = []
    with _pool_lock:
        idle = _pool.get(key, [])
        conn = None
        while idle and conn is None:
            at, candidate = idle.pop()
            if now - at < POOL_IDLE_SECONDS:
                conn = candidate
            else:
                stale.append(candidate)
    for old in stale:
        _close_quietly(old)
    if conn is None:
        conn = adbc_pg.connect(uri, autocommit=False)
    _pool_keys[id(conn)] = key
    return conn


def _give_back(conn) -> bool:
    """Return a rolled-back pooled connection to its pool; False when it is not one or the pool is full."""
    key = _pool_keys.pop(id(conn), None)
    if key is None or key[0] != os.getpid():
        return False
    with _pool_lock:
        idle = _pool.setdefault(key, [])
        if len(idle) >= POOL_SIZE:
            return False
        idle.append((time.monotonic(), conn))
    return True


def _flush(key: tuple[int, str]) -> None:
    with _pool_lock:
        idle = _pool.pop(key, [])
    for _at, conn in idle:
        _close_quietly(conn)


def close_pool() -> None:
    """Close this process's idle connections (before a database is dropped: the test teardown)."""
    with _pool_lock:
        mine = [key for key in _pool if key[0] == os.getpid()]
    for key in mine:
        _flush(key)


def _close_quietly(conn) -> None:
    try:
        conn.close()
    except Exception:  # noqa: BLE001 - an idle connection the server may have closed already
        logger.debug("frames.load: closing an idle connection failed", exc_info=True)


def _adbc_connect(connection, autocommit: bool = False):
    """An ADBC connection to the very database ``connection`` uses, or None when there is none.
    Not in autocommit mode unless asked: its statements then share one transaction."""
    vendor = connection.vendor
    settings = connection.settings_dict
    if vendor == "sqlite":
        if connection.is_in_memory_db() or not os.path.isfile(str(settings["NAME"])):
            return None  # a second connection would see another (or a new, empty) database
        import adbc_driver_sqlite.dbapi as adbc_sqlite

        return adbc_sqlite.connect(str(settings["NAME"]), autocommit=autocommit)
    if vendor == "postgresql":
        uri = _postgresql_uri(settings)
        if not autocommit:
            return _pooled_postgresql(uri)
        import adbc_driver_postgresql.dbapi as adbc_pg

        return adbc_pg.connect(uri, autocommit=True)
    return None


def _postgresql_uri(settings: dict) -> str:
    """The libpq URI of Django's ``settings_dict`` (user, password, host or socket, port, name,
    and the TLS and client options Django passes on), every part quoted."""
    user = quote(settings.get("USER") or "", safe="")
    password = quote(str(settings.get("PASSWORD") or ""), safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings.get("HOST") or ""
    if host.startswith("/"):  # a Unix socket directory goes in the query string
        netloc, query = "", {"host": host}
    else:
        netloc = f"[{host}]" if ":" in host else host
        query = {}
    if settings.get("PORT"):
        netloc += f":{settings['PORT']}"
    options = settings.get("OPTIONS") or {}
    for key in ("sslmode", "sslrootcert", "sslcert", "sslkey", "application_name", "connect_timeout"):
        if options.get(key) is not None:
            query[key] = str(options[key])
    qs = "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())
    return f"postgresql://{auth}{netloc}/{quote(settings['NAME'], safe='')}" + (f"?{qs}" if qs else "")


_PARAM = re.compile(r"%(s|%)")


def _paramstyle(sql: str, style: str) -> str:
    """Django-style ``%s`` placeholders to the driver's (``?`` or ``$1``); ``%%`` to ``%``."""
    counter = iter(range(1, 1_000_000))
    if style == "qmark":
        return _PARAM.sub(lambda m: "?" if m.group(1) == "s" else "%", sql)
    return _PARAM.sub(lambda m: f"${next(counter)}" if m.group(1) == "s" else "%", sql)


def _question_scope(cur, names: dict, question_ids: list[int], style: str) -> tuple[tuple[int, int] | None, bool]:
    """(span, every): the span of ``question_ids`` when the questions with ids in it are these and
    no other, and whether they are all the database's questions (see :meth:`_Plan.question_filter`)."""
    span = (min(question_ids), max(question_ids))
    cur.execute(_paramstyle(f"SELECT count(*), sum(CASE WHEN id BETWEEN %s AND %s THEN 1 ELSE 0 END) "
                            f"FROM {names['question']}", style), list(span))
    total, within = cur.fetchone()
    wanted = len(set(question_ids))
    return (span if within == wanted else None), total == wanted


def _release(workers, cursors: list, conns: list) -> None:
    """Stop the threads, then close the cursors and end the read transactions; a pooled connection
    whose rollback succeeded (so it is alive, outside any transaction) goes back to its pool."""
    if workers is not None:
        workers.close()
    for cur in cursors:
        try:
            cur.close()
        except Exception:  # noqa: BLE001 - closing: the first error is the one that matters
            logger.debug("frames.load: closing a cursor failed", exc_info=True)
    for conn in conns:
        try:
            conn.rollback()
        except Exception:  # noqa: BLE001
            logger.debug("frames.load: rollback failed", exc_info=True)
            key = _pool_keys.pop(id(conn), None)
            _close_quietly(conn)
            if key is not None:  # the server dropped it: a restart dropped its idle siblings too
                _flush(key)
            continue
        if not _give_back(conn):
            _close_quietly(conn)
