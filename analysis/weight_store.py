"""Bulk writes of weights: a run's weights into ``RunWeight``, the active run's into ``Response``.

A million weights is a million rows: never one statement per row. On PostgreSQL the run's
weights go in by one ``COPY`` (in key order) and reach ``Response.weight`` by one
``UPDATE … FROM`` the run's rows (only the rows whose weight changes are rewritten; the table
keeps half of each page free, ``surveys`` migration 0010, so the rewrite is HOT: no index entry);
on SQLite by ``executemany`` and the same ``UPDATE … FROM`` (SQLite ≥ 3.33). Responses of the wave
that the run does not cover (partial ones, or submitted after the run) are set back to 1.

The writes bypass the ORM's signals, so the caller bumps the dashboards' cache
(:func:`analysis.selectors.bump_survey`).
"""

from __future__ import annotations

import uuid
from typing import Sequence

import numpy as np
from django.db import connections

from surveys.models import Response

from .models import RunWeight

_SQLITE_CHUNK = 50_000
# Why: with the default 4 MB the hash joins of a million rows spill into 16 batches, whose output
# comes back in hash order, so the UPDATE visits the heap at random: at 1 M rows each page was
# read and dirtied ~13 times (0.5 M reads, 0.5 M writes of 8 kB past a 128 MB cache). In one
# batch the rows come out in the table's physical order and each page is rewritten once. Set for
# that one statement only (``SET LOCAL``, then back to the session's value); ~80 MB per hash at
# 1 M responses.
_PG_WORK_MEM = "256MB"


def _tables(connection) -> tuple[str, str]:
    q = connection.ops.quote_name
    return q(RunWeight._meta.db_table), q(Response._meta.db_table)


def _key_order(response_ids: Sequence[str]) -> list[int]:
    """Positions of ``response_ids`` in key order (lower-case UUID text sorts as the UUIDs do).

    Why: rows COPYed in the order of the ``(run_id, response_id)`` key and of the
    ``response_id`` index fill both b-trees leaf after leaf instead of one random leaf per row
    (fewer pages dirtied, less WAL: the COPY of 1 M rows 7.0–9.1 s instead of 10.0–11.0 s, measured
    under load).
    """
    keys = np.asarray([str(r).lower() for r in response_ids])
    return np.argsort(keys, kind="stable").tolist()


def run_weights_store(run_id: int, response_ids: Sequence[str], weights: np.ndarray, *,
                      using: str = "default") -> None:
    """Insert one ``RunWeight`` row per response (``response_ids`` as UUID text)."""
    connection = connections[using]
    table, _ = _tables(connection)
    values = np.asarray(weights, dtype=np.float64).tolist()
    if len(values) != len(response_ids):
        raise ValueError("one weight per response id")
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            run = str(int(run_id))
            order = _key_order(response_ids)
            ids = [response_ids[i] for i in order]
            data = "".join([f"{run}\t{rid}\t{values[i]!r}\n" for rid, i in zip(ids, order)])
            copy_sql, analyze_sql = f"COPY {table} (run_id, response_id, weight) FROM STDIN", f"ANALYZE {table}"
            with cur.copy(copy_sql) as copy:
                copy.write(data)
            cur.execute(analyze_sql)  # so the UPDATE … FROM plans a hash join, not a million lookups
            return
        sql = f"INSERT INTO {table} (run_id, response_id, weight) VALUES (%s, %s, %s)"
        hexes = [uuid.UUID(r).hex for r in response_ids] if connection.vendor == "sqlite" else list(response_ids)
        for start in range(0, len(values), _SQLITE_CHUNK):
            stop = start + _SQLITE_CHUNK
            cur.executemany(sql, [(run_id, h, w) for h, w in zip(hexes[start:stop], values[start:stop])])


def wave_weights_apply(run_id: int, wave_id: int, *, using: str = "default") -> int:
    """``Response.weight`` ← the run's weights for the wave; 1 for its responses not in the run.

    One statement: the wave's responses left-joined to the run's weights (hash joins), and only
    the rows whose weight changes are rewritten. Returns the number of rows changed.
    """
    connection = connections[using]
    weights, responses = _tables(connection)
    distinct = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    # SQL text from the models' table names only; values are bound parameters
    sql = (f"UPDATE {responses} SET weight = s.weight FROM ("
           f"SELECT r.id, coalesce(t.weight, 1.0) AS weight FROM {responses} AS r "
           f"LEFT JOIN {weights} AS t ON t.run_id = %s AND t.response_id = r.id WHERE r.wave_id = %s"
           f") AS s WHERE {responses}.id = s.id AND {responses}.weight {distinct} s.weight")
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT set_config('work_mem', %s, true)", [_PG_WORK_MEM])  # SET LOCAL
        cur.execute(sql, [run_id, wave_id])
        changed = cur.rowcount
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL work_mem = DEFAULT")
        return changed


def wave_weights_reset(wave_id: int, *, using: str = "default") -> int:
    """Every response of the wave back to weight 1 (no active run)."""
    connection = connections[using]
    _, responses = _tables(connection)
    sql = f"UPDATE {responses} SET weight = 1.0 WHERE wave_id = %s AND weight <> 1.0"
    with connection.cursor() as cur:
        cur.execute(sql, [wave_id])
        return cur.rowcount
