"""The load benchmark's data (:mod:`bench.bench_load`): the bench survey, and ``n`` synthetic complete
responses × 10 questions written by the engine's fast path — raw ``executemany`` on SQLite,
``COPY ... FROM STDIN`` on PostgreSQL, not the ORM — with the big tables' secondary indexes
dropped for the load and rebuilt after it.
"""

from __future__ import annotations

import secrets
import time

import numpy as np

from bench.bench_indicators_core import CATEGORIES, CHANNEL_QUESTIONS, CHANNELS, WAVES

SURVEY_SLUG = "bench"
QUESTIONS = ["SAT_OVERALL", "SAT_TRUST", "NPS", *CHANNEL_QUESTIONS.values()]
CHUNK = 100_000  # responses written per batch

# Who answers, and how satisfied (differences by channel, category and wave, as in real data).
CAT_P = np.array([0.25, 0.05, 0.30, 0.03, 0.15, 0.02, 0.15, 0.05])
CH_P = np.array([0.40, 0.15, 0.12, 0.18, 0.03, 0.07, 0.05])
CAT_EFFECT = np.array([0.3, 0.1, -0.3, 0.2, 0.0, -0.1, 0.1, -0.2])
CH_EFFECT = np.array([-0.3, 0.2, 0.3, 0.0, 0.1, -0.2, 0.1])
WAVE_EFFECT = np.array([-0.1, 0.0, 0.15])


def _survey_setup() -> dict:
    """The bench survey (ORM: a handful of rows). Returns the ids the raw inserts need."""
    from datetime import datetime, timezone as tz

    from surveys.models import Channel, Question, Section, Survey, UserCategory, Wave

    cats = [UserCategory.objects.get_or_create(code=c, defaults={"label_fr": c, "order": i})[0]
            for i, c in enumerate(CATEGORIES)]
    chans = [Channel.objects.get_or_create(code=c, defaults={"label_fr": c, "order": i})[0]
             for i, c in enumerate(CHANNELS)]
    survey, _ = Survey.objects.get_or_create(slug=SURVEY_SLUG, defaults={"title_fr": "Bench"})
    survey.categories.set(cats)
    waves = []
    for w in WAVES:
        year = int(w)
        waves.append(Wave.objects.get_or_create(survey=survey, code=w, defaults={
            "opens_at": datetime(year, 1, 1, tzinfo=tz.utc), "closes_at": datetime(year, 12, 31, tzinfo=tz.utc)})[0])
    section, _ = Section.objects.get_or_create(survey=survey, code="main", defaults={"title_fr": "Main"})
    by_channel = {code: ch for code, ch in CHANNEL_QUESTIONS.items()}
    channel_obj = {c.code: c for c in chans}
    qids = []
    for i, code in enumerate(QUESTIONS):
        channel = next((channel_obj[ch] for ch, qc in by_channel.items() if qc == code), None)
        q, _ = Question.objects.get_or_create(survey=survey, code=code, defaults={
            "section": section, "order": i, "type": "nps" if code == "NPS" else "satisfaction",
            "text_fr": code, "channel": channel, "allow_dont_know": channel is not None})
        qids.append(q.id)
    return {"survey": survey.id, "waves": [w.id for w in waves], "categories": [c.id for c in cats],
            "channels": [c.id for c in chans], "questions": qids}


def _random_uuid_hex(n: int) -> np.ndarray:
    """n random version-4 UUIDs as 32 lowercase hex digits (how Django stores a UUID on SQLite;
    PostgreSQL reads the same text)."""
    raw = np.frombuffer(secrets.token_bytes(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    out = np.empty((n, 32), dtype=np.uint8)
    out[:, 0::2] = digits[raw >> 4]
    out[:, 1::2] = digits[raw & 0x0F]
    return out.view("S32").ravel().astype(str)


def _chunk(rng: np.random.Generator, n: int, ids: dict) -> tuple[dict, dict]:
    """n synthetic responses and their 10 × n answers, as numpy columns."""
    rid = _random_uuid_hex(n)
    wave = rng.integers(0, len(WAVES), n)
    cat = rng.choice(len(CATEGORIES), n, p=CAT_P)
    chan = rng.choice(len(CHANNELS), n, p=CH_P)
    mu = 3.6 + CAT_EFFECT[cat] + CH_EFFECT[chan] + WAVE_EFFECT[wave]
    q = len(QUESTIONS)
    scores = np.empty((n, q))
    for j, code in enumerate(QUESTIONS):
        if code == "NPS":
            scores[:, j] = np.clip(np.rint(7.0 + 2.0 * (mu - 3.6) + rng.normal(0, 2, n)), 0, 10)
        else:
            scores[:, j] = np.clip(np.rint(mu + rng.normal(0, 1.0, n)), 1, 5)
    dont_know = np.zeros((n, q), dtype=bool)
    dont_know[:, 3:] = rng.random((n, q - 3)) < 0.03  # channel questions offer "don't know"
    scores[dont_know] = np.nan
    responses = {
        "id": rid,
        "wave_id": np.asarray(ids["waves"])[wave],
        "category_id": np.asarray(ids["categories"])[cat],
        "channel_id": np.asarray(ids["channels"])[chan],
        "submitted_at": np.array([f"{w}-06-15 10:00:00" for w in WAVES])[wave],
    }
    answers = {
        "scores": scores,
        "response_id": np.repeat(rid, q),
        "question_id": np.tile(np.asarray(ids["questions"]), n),
        "value": scores.ravel(),
        "dont_know": dont_know.ravel(),
    }
    return responses, answers


_RESPONSE_COLS = ("id, survey_id, wave_id, category_id, channel_id, language, status, notice_version, "
                  "last_step, page_url, weight, is_demo, started_at, updated_at, submitted_at")


def _insert_sqlite(raw, survey_id: int, question_ids: list[int], responses: dict, scores: np.ndarray) -> None:
    """executemany for the responses; the answers go through a one-row-per-response staging
    table fanned out by one INSERT ... SELECT (ten times fewer Python → SQLite round trips)."""
    from surveys.models import Answer, Response

    ts = responses["submitted_at"].tolist()
    rows = zip(responses["id"].tolist(), responses["wave_id"].tolist(), responses["category_id"].tolist(),
               responses["channel_id"].tolist(), ts, ts, ts)
    raw.executemany(
        f"INSERT INTO {Response._meta.db_table} ({_RESPONSE_COLS}) "
        f"VALUES (?, {survey_id}, ?, ?, ?, 'fr', 'complete', 1, '', '', 1.0, 1, ?, ?, ?)",
        rows,
    )
    q = len(question_ids)
    raw.execute(f"CREATE TEMP TABLE IF NOT EXISTS bench_stage (rid TEXT, {', '.join(f'v{j} REAL' for j in range(q))})")
    values = np.where(np.isnan(scores), None, scores).tolist()  # NaN -> NULL
    raw.executemany(f"INSERT INTO bench_stage VALUES ({', '.join(['?'] * (q + 1))})",
                    [(r, *v) for r, v in zip(responses["id"].tolist(), values)])
    questions = " UNION ALL ".join(f"SELECT {j} AS j, {qid} AS qid" for j, qid in enumerate(question_ids))
    value = "CASE q.j " + " ".join(f"WHEN {j} THEN s.v{j}" for j in range(q)) + " END"
    raw.execute(
        f"INSERT INTO {Answer._meta.db_table} (response_id, question_id, value, text, codes, dont_know) "
        f"SELECT s.rid, q.qid, {value}, '', NULL, ({value}) IS NULL FROM bench_stage s CROSS JOIN ({questions}) q"
    )
    raw.execute("DELETE FROM bench_stage")


def _insert_postgres(cursor, survey_id: int, responses: dict, answers: dict) -> None:
    import io

    import pyarrow as pa
    import pyarrow.csv as pacsv

    from surveys.models import Answer, Response

    n = len(responses["id"])
    ts = np.char.add(responses["submitted_at"].astype(str), "+00")
    table = pa.table({
        "id": responses["id"], "survey_id": np.full(n, survey_id), "wave_id": responses["wave_id"],
        "category_id": responses["category_id"], "channel_id": responses["channel_id"],
        "language": np.full(n, "fr"), "status": np.full(n, "complete"), "notice_version": np.ones(n, np.int32),
        "last_step": np.full(n, "x"), "page_url": np.full(n, "x"), "weight": np.ones(n),
        "is_demo": np.ones(n, bool), "started_at": ts, "updated_at": ts, "submitted_at": ts,
    })

    def copy(table_name: str, cols: str, t: pa.Table, options: str = "") -> None:
        buf = io.BytesIO()
        pacsv.write_csv(t, buf, pacsv.WriteOptions(include_header=False))
        with cursor.copy(f"COPY {table_name} ({cols}) FROM STDIN (FORMAT csv{options})") as cp:
            cp.write(buf.getbuffer())

    copy(Response._meta.db_table, _RESPONSE_COLS, table)
    # empty text: COPY reads the unquoted empty field as '' thanks to FORCE_NOT_NULL
    m = len(answers["response_id"])
    value = pa.array(answers["value"], mask=np.isnan(answers["value"]))
    atable = pa.table({"response_id": answers["response_id"], "question_id": answers["question_id"],
                       "value": value, "text": pa.nulls(m, pa.string()), "dont_know": answers["dont_know"]})
    copy(Answer._meta.db_table, "response_id, question_id, value, text, dont_know", atable,
         ", FORCE_NOT_NULL (text)")


def generate(n: int, seed: int = 2026) -> dict:
    """Write n responses × 10 answers with the fast path of the engine in use.

    The secondary indexes and foreign keys of the two big tables are dropped for the load and
    rebuilt after it (one sorted build each instead of millions of random B-tree inserts), then
    the tables are analysed (PostgreSQL: vacuumed too, else autovacuum would do it during the
    timings); the schema ends exactly as the migrations left it.
    """
    from django.db import connection, transaction

    ids = _survey_setup()
    rng = np.random.default_rng(seed)
    vendor = connection.vendor
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        if vendor == "sqlite":  # bulk load: the bench database may be lost on a crash
            cur.execute("PRAGMA foreign_keys=OFF")
            cur.execute("PRAGMA synchronous=OFF")
            cur.execute("PRAGMA cache_size=-1000000")
        else:
            cur.execute("SET synchronous_commit = off")
            cur.execute("SET maintenance_work_mem = '512MB'")
        recreate = _drop_secondary_indexes(cur, vendor)
    done = 0
    while done < n:
        size = min(CHUNK, n - done)
        responses, answers = _chunk(rng, size, ids)
        with transaction.atomic():
            if vendor == "sqlite":
                _insert_sqlite(connection.connection, ids["survey"], ids["questions"], responses,
                               answers["scores"])
            else:
                with connection.cursor() as cur:
                    _insert_postgres(cur.cursor, ids["survey"], responses, answers)
        done += size
    t_rows = time.perf_counter()
    with connection.cursor() as cur:
        for sql in recreate:
            cur.execute(sql)
        t_index = time.perf_counter()
        if vendor == "sqlite":
            cur.execute("PRAGMA analysis_limit=1000")
            cur.execute("ANALYZE")
        else:
            # as autovacuum would soon do (and would, during the timings): set the hint bits and
            # the visibility map of the new rows, and the planner's statistics
            cur.execute("VACUUM ANALYZE")
        if vendor == "sqlite":
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
    end = time.perf_counter()
    return {"seconds": end - t0, "rows_s": t_rows - t0, "index_s": t_index - t_rows, "analyze_s": end - t_index,
            "responses": n, "answers": n * len(QUESTIONS)}


def _drop_secondary_indexes(cur, vendor: str) -> list[str]:
    """Drop the secondary indexes of the response and answer tables (and their foreign keys and
    unique constraints on PostgreSQL) for the bulk load; return the statements that put them back."""
    from surveys.models import Answer, Response

    tables = [Response._meta.db_table, Answer._meta.db_table]
    if vendor == "sqlite":
        cur.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                    f"AND tbl_name IN ({', '.join(['%s'] * len(tables))})", tables)
        rows = cur.fetchall()
        for name, _sql in rows:
            cur.execute(f'DROP INDEX "{name}"')
        return [sql for _name, sql in rows]
    indexes, constraints = [], []
    for table in tables:
        cur.execute("SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype IN ('f', 'u')", [table])
        found = cur.fetchall()
        for name, _def, _type in found:
            cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        constraints += [(table, name, d, t) for name, d, t in found]
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
                    "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)", [table, table])
        found = cur.fetchall()
        for name, _def in found:
            cur.execute(f'DROP INDEX "{name}"')
        indexes += [d for _n, d in found]
    constraints.sort(key=lambda c: c[3] == "f")  # unique ones first, foreign keys last
    return indexes + [f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {d}' for t, n, d, _type in constraints]
