"""Backup and restore, checked: a backup is only a backup once it has been restored and compared.

SQLite: `VACUUM INTO` a file (a consistent snapshot while the server runs), restored by opening it.
PostgreSQL: `pg_dump --format=custom`, restored with `pg_restore` into an empty database.
Both sides are compared table by table: row count and an order-independent checksum of the rows.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from datetime import UTC, datetime
import subprocess
from pathlib import Path

from django.db import connection

TABLES = ["surveys_survey", "surveys_wave", "surveys_section", "surveys_question", "surveys_choice",
          "surveys_response", "surveys_answer", "surveys_participant", "surveys_auditlog"]


def _canonical(value: object) -> str:
    """One text per value whatever the driver returned (JSON as text or parsed, datetimes, UUIDs)."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.replace(tzinfo=UTC).isoformat()
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, str) and len(value) == 36 and value.count("-") == 4:
        try:
            return uuid.UUID(value).hex
        except ValueError:
            return value
    return str(value)


def _digest(rows) -> tuple[int, str]:
    total = 0
    acc = 0
    for row in rows:
        total += 1
        h = hashlib.sha256(repr(tuple(_canonical(v) for v in row)).encode()).digest()
        acc ^= int.from_bytes(h[:16], "big")
    return total, f"{acc:032x}"


def table_fingerprints(cursor, tables: list[str] = TABLES) -> dict[str, tuple[int, str]]:
    """Row count and XOR of row hashes per table (table names come from the constant list above)."""
    out = {}
    for table in tables:
        cursor.execute("SELECT * FROM " + connection.ops.quote_name(table))  # noqa: S608 - constant names
        out[table] = _digest(cursor.fetchall())
    return out


def sqlite_backup(target: Path) -> None:
    with connection.cursor() as cursor:
        cursor.execute("VACUUM INTO %s", [str(target)])


def sqlite_fingerprints(path: Path) -> dict[str, tuple[int, str]]:
    con = sqlite3.connect(path, detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES)
    try:
        return table_fingerprints(con.cursor())
    finally:
        con.close()


def postgres_backup_and_restore(dump: Path, scratch_db: str) -> dict[str, tuple[int, str]]:
    """Dump the current database, restore it into `scratch_db`, return the restored fingerprints."""
    import psycopg

    s = connection.settings_dict
    base = ["-h", s["HOST"] or "127.0.0.1", "-p", str(s["PORT"] or 5432), "-U", s["USER"] or "postgres"]
    subprocess.run(["pg_dump", *base, "--format=custom", "-f", str(dump), s["NAME"]], check=True)
    subprocess.run(["dropdb", *base, "--if-exists", scratch_db], check=True)
    subprocess.run(["createdb", *base, scratch_db], check=True)
    try:
        subprocess.run(["pg_restore", *base, "--no-owner", "-d", scratch_db, str(dump)], check=True)
        with psycopg.connect(host=base[1], port=base[3], user=base[5], dbname=scratch_db) as con:
            return table_fingerprints(con.cursor())
    finally:
        subprocess.run(["dropdb", *base, "--if-exists", scratch_db], check=False)
