"""ADBC connections to the database Django uses, and what the two fast readers share.

An ADBC connection is opened on the **same** database as Django's connection (a URI built from
``settings_dict`` on PostgreSQL, the database file on SQLite), never on another one.
"""

from __future__ import annotations

import logging
import os
import re
from urllib.parse import quote


logger = logging.getLogger("analysis.frames")

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
        import adbc_driver_postgresql.dbapi as adbc_pg

        uri = _postgresql_uri(settings)
        return adbc_pg.connect(uri, autocommit=autocommit)
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
    """Stop the threads, then close the cursors and end the read transactions."""
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
        finally:
            conn.close()
