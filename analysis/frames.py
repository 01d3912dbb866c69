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
``<NA>``), never a code, so each indicator counts only the responses that answered.

Why ``float32`` for scores rather than ``Int8``: both hold the codes 0–10 exactly, but the
indicators compute in float64 with NaN for missing, and reading a masked ``Int8`` column costs
them more than a cast (the channel × category table at a million responses, in
``bench/bench_indicators_core.py``: 0.18 s from ``Int8`` against 0.16 s from floats on a quiet
machine, 0.37 s against 0.22 s on a busy one); ``float32`` is still half of float64. A score column that holds something other than integers (say an imported 3.5)
is given as ``float64`` rather than rounded to float32: the dtype is compact only when exact.

How it reads (the expensive part is ten million answer rows at a million responses):

* one small ORM query for the questions and their choices (Django's connection);
* the data, by one of two readers, chosen per call and recorded in ``frame.attrs["reader"]``:

  - ``"adbc"`` — when an Arrow-native driver can open the **same** database Django uses
    (``adbc_driver_postgresql`` with a URI built from ``settings_dict``, ``adbc_driver_sqlite``
    on the database file) and Django's connection holds no open transaction (its uncommitted
    writes would be invisible to other connections): no Python object per row, and two ADBC
    connections reading at once, in ONE snapshot, while the caller's thread builds the frame
    (:func:`_read_adbc`); plus one tiny ORM query for the codes and display order of the waves,
    categories and channels. Per engine, the cheapest way found (measurements below):

    * SQLite — the responses, then the answers as Arrow record batches, rowid range by rowid
      range, the ranges shared by the two connections. The driver's cost is per value (about
      0.1 µs: 3.7 s of one core for 10 M answers × 3 columns), so the only lever is the second
      core. SQLite has no shared snapshot: both read transactions begin while the write lock is
      held for an instant (``BEGIN IMMEDIATE`` on a third connection); if a writer keeps it, one
      connection reads everything. The question filter is ``BETWEEN`` or none when that says the
      same as the list (an ``IN`` list costs a seventh of the read);
    * PostgreSQL — the scores packed by the server: per range of pages of the answer table (TID
      range scans), one ``bytea`` per question of (16 bytes of response id, float8) records built
      by ``string_agg``, the responses likewise, read with numpy. Plain rows cost per row at both
      ends — the server's COPY (2.4 s for 10 M rows) and, larger, the client's (2.6 s: libpq hands
      the driver each row as a message) —, packed ones a little more on the server (2.9 s) and
      almost nothing on the client, and with both cores busy the sum decides. The connections
      share the first one's exported snapshot. Text, choice and matrix answers come as rows by
      binary COPY (that statement carries no bound parameter: its values sit in a temporary
      table, filled by a parameterised INSERT);
  - ``"django"`` — otherwise (in-memory SQLite, inside ``atomic()`` as in the tests, or when the
    driver is missing or fails): ONE statement through Django's cursor, the responses with their
    labels LEFT JOIN their answers. A ``load`` is then two queries on Django's connection. (Slow
    and big at scale: a million responses take over a minute and gigabytes.)

  The SQL is written here once (table and column names from the models; values never formatted
  into the text, always bound parameters — save the id of an exported snapshot, which ``SET
  TRANSACTION SNAPSHOT`` takes only as a literal: the server's own, checked).
* the frame is built while the answers arrive, from a bounded queue the reading threads fill:
  every answer on its response's row by a hash lookup of the response ids (on the raw id
  bytes; SQLite: once per run of answers of one response; PostgreSQL: once per id of a packed
  range, all in one call), scores into a dense numpy block (question × response) by vectorised
  assignments: no pandas pivot, no loop per answer, no copy of the ten million rows held at
  once. Choice and matrix answers (JSON) are parsed once per *distinct* JSON text, not per row.

At a million responses × 10 questions (``bench/bench_load.py``, 2 cores, best of two): SQLite
2.40 s and 744 MiB at the peak, PostgreSQL 2.52 s and 600 MiB (the same machine the same day,
one connection and plain rows: 4.5 s and 4.1–4.5 s), where the ORM ``values_list`` + ``pivot``
way takes minutes. Where the time goes, in CPU seconds — SQLite: 3.7 reading the answers (two
threads), 0.65 the responses, 1 building; PostgreSQL: 3.5 on the server (about a quarter of it
copying the 730 MB answer table through its default 128 MB of shared buffers), 1.3 in this
process. Both cores stay busy: a faster load needs less work, not more threads.

The SQLite driver links its own copy of SQLite, so its locks do not see those of Django's
connection in this process: a write by that connection is not held off by the instant's write
lock above (another process's is), and closing a driver connection drops the POSIX locks this
process holds on the file (sqlite.org/howtocorrupt.html, "multiple copies of SQLite"). Hence the
guard of :func:`_read_sqlite`: the driver reads only in a process with no other thread that may
hold a Django connection, after Django's own connection of this thread is closed.

Row order is unspecified (sort if you need one). Nothing here computes a statistic.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import quote

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from django.db import connections
from django.db.models import F

from surveys.models import (
    SCORED_TYPES, Answer, Channel, Question, QuestionType, Response, ResponseStatus, Survey, UserCategory, Wave,
)

__all__ = ["BASE_COLUMNS", "load", "questions_meta", "question_columns"]

logger = logging.getLogger(__name__)

BASE_COLUMNS = ["response_id", "wave", "category", "channel", "weight"]

SCORE_TYPES = frozenset(SCORED_TYPES)  # the one definition is in surveys.models
NUMERIC_TYPES = SCORE_TYPES | {QuestionType.NUMBER}
TEXT_TYPES = {QuestionType.TEXT, QuestionType.SINGLE}  # read from Answer.text
JSON_TYPES = {QuestionType.MULTIPLE, QuestionType.MATRIX}  # read from Answer.codes
DEFAULT_THRESHOLD = 4  # "satisfied" = 4 or 5 on the 1–5 scale (methodology)


# ---------------------------------------------------------------------------------------------
# Questions
# ---------------------------------------------------------------------------------------------
@dataclass
class _Question:
    id: int
    code: str
    type: str
    channel: str | None
    threshold: int | None
    text_fr: str
    choices: list[str] = field(default_factory=list)


def question_columns(code: str, qtype: str, choices: Sequence[str]) -> list[str]:
    """The frame columns of one question: ``CODE``, or ``CODE__choice`` / ``CODE__item``."""
    if qtype in JSON_TYPES:
        return [f"{code}__{c}" for c in choices]
    return [code]


def _read_questions(*, using: str, survey_ids: Iterable[int] | None = None, wave_ids: Iterable[int] | None = None,
                    codes: Iterable[str] | None = None) -> list[_Question]:
    """The questions (with their choice codes) in questionnaire order, in ONE query."""
    qs = Question.objects.using(using)
    if survey_ids is not None:
        qs = qs.filter(survey_id__in=list(survey_ids))
    if wave_ids is not None:
        qs = qs.filter(survey_id__in=Wave.objects.using(using).filter(pk__in=list(wave_ids)).values("survey_id"))
    if codes is not None:
        qs = qs.filter(code__in=list(codes))
    rows = qs.order_by("survey_id", "section__order", "section_id", "order", "id", "choices__order",
                       "choices__id").values_list(
        "survey_id", "id", "code", "type", "channel__code", "threshold", "text_fr", "choices__code")
    out: dict[int, _Question] = {}
    surveys = set()
    for survey_id, qid, code, qtype, channel, threshold, text_fr, choice in rows:
        surveys.add(survey_id)
        q = out.get(qid)
        if q is None:
            q = out[qid] = _Question(qid, code, qtype, channel, threshold, text_fr)
        if choice is not None:
            q.choices.append(choice)
    if len(surveys) > 1:
        raise ValueError("the waves belong to several surveys; load one survey's waves at a time")
    return list(out.values())


def questions_meta(survey: Survey | int) -> pd.DataFrame:
    """One row per question of ``survey`` in questionnaire order (one query).

    Columns: ``code``, ``type``, ``channel`` (code of the channel the question is about, or
    missing), ``threshold`` (the "satisfied" threshold in force: the question's own, else 4 for
    satisfaction and matrix questions, else missing), ``text_fr``, and ``columns`` (the frame
    columns the question becomes, see :func:`question_columns`).
    """
    survey_id = survey.pk if isinstance(survey, Survey) else int(survey)
    using = survey._state.db if isinstance(survey, Survey) and survey._state.db else "default"
    questions = _read_questions(using=using, survey_ids=[survey_id])
    thresholds = [
        q.threshold if q.threshold is not None
        else (DEFAULT_THRESHOLD if q.type in (QuestionType.SATISFACTION, QuestionType.MATRIX) else None)
        for q in questions
    ]
    return pd.DataFrame({
        "code": pd.array([q.code for q in questions], dtype="str"),
        "type": pd.array([str(q.type) for q in questions], dtype="str"),
        "channel": pd.array([q.channel for q in questions], dtype="str"),
        "threshold": pd.array(thresholds, dtype="Int8"),
        "text_fr": pd.array([q.text_fr for q in questions], dtype="str"),
        "columns": pd.Series([question_columns(q.code, q.type, q.choices) for q in questions], dtype=object),
    })


# ---------------------------------------------------------------------------------------------
# SQL (hand-written once; names from the models, values only as bound parameters)
# ---------------------------------------------------------------------------------------------
def _names(connection) -> dict[str, str]:
    qn = connection.ops.quote_name
    return {
        "response": qn(Response._meta.db_table), "answer": qn(Answer._meta.db_table),
        "wave": qn(Wave._meta.db_table), "category": qn(UserCategory._meta.db_table),
        "channel": qn(Channel._meta.db_table), "question": qn(Question._meta.db_table), "order": qn("order"),
    }


def _in(values: Sequence) -> str:
    return ", ".join(["%s"] * len(values))


@dataclass
class _Plan:
    wave_ids: list[int]
    statuses: list[str]
    question_ids: list[int]
    text_ids: list[int]  # questions read from Answer.text
    has_json: bool  # some questions read from Answer.codes
    numeric_ids: list[int] = field(default_factory=list)  # questions read from Answer.value
    question_span: tuple[int, int] | None = None  # the questions are all those with ids in this span
    every_question: bool = False  # the questions are all the database's: no filter needed
    keys_table: str | None = None  # when set, the lists above are read from this (temporary) table

    def members(self, kind: str) -> tuple[str, list]:
        """The inside of ``IN (...)`` for one list: placeholders and their values, or a subquery on
        the keys table (whose rows were inserted with bound parameters)."""
        values = {"wave": self.wave_ids, "status": self.statuses, "question": self.question_ids,
                  "text": self.text_ids}[kind]
        if self.keys_table:
            return f"SELECT {'code' if kind == 'status' else 'id'} FROM {self.keys_table} WHERE kind = '{kind}'", []
        return _in(values), list(values)

    def key_rows(self) -> list[tuple[str, int | None, str | None]]:
        return ([("wave", i, None) for i in self.wave_ids] + [("status", None, s) for s in self.statuses]
                + [("question", i, None) for i in self.question_ids] + [("text", i, None) for i in self.text_ids])

    def question_filter(self) -> tuple[str, list]:
        """The condition on ``a.question_id`` (no more than a saving: the builder drops the
        answers to other questions anyway): none when every question is read; ``BETWEEN`` when
        they are all the questions with ids in a span; else the list."""
        if self.every_question:
            return "TRUE", []
        if self.question_span:
            return "a.question_id BETWEEN %s AND %s", list(self.question_span)
        questions, params = self.members("question")
        return f"a.question_id IN ({questions})", params

    def response_filter(self) -> tuple[str, list]:
        waves, wparams = self.members("wave")
        statuses, sparams = self.members("status")
        return f"r.wave_id IN ({waves}) AND r.status IN ({statuses})", [*wparams, *sparams]

    def answer_columns(self) -> tuple[str, list]:
        """value, text and codes of an answer, each missing when "don't know" (and text when empty,
        or when the question's text is not an answer: only text and single questions use it)."""
        cols = ["CASE WHEN a.dont_know THEN NULL ELSE a.value END AS value"]
        params: list = []
        if self.text_ids:
            texts, params = self.members("text")
            cols.append(f"CASE WHEN a.dont_know OR a.text = '' OR a.question_id NOT IN ({texts}) "
                        "THEN NULL ELSE a.text END AS text")
        if self.has_json:
            cols.append("CASE WHEN a.dont_know THEN NULL ELSE a.codes END AS codes")
        return ", ".join(cols), params


_RESPONSE_COLUMNS = ["rid", "wave_id", "category_id", "channel_id", "weight"]
_NO_ID = -(2**63)  # no channel, in a packed response


def _responses_sql(plan: _Plan, names: dict, sqlite: bool) -> tuple[str, list]:
    where, params = plan.response_filter()
    return (f"SELECT r.id AS rid, r.wave_id, r.category_id, r.channel_id, r.weight "
            f"FROM {names['response']} r WHERE {where}", params)


def _packed_responses_sql(plan: _Plan, names: dict) -> tuple[str, list]:
    """PostgreSQL: the selected responses packed by the server into ONE ``bytea`` of 48-byte
    records (id, wave, category, channel — :data:`_NO_ID` when none — as big-endian int8, weight
    as float8): a tenth of the client's work of reading rows, for a little more on the server
    (see :func:`_packed_sql`). One value holds at most 1 GB: 22 million responses."""
    where, params = plan.response_filter()
    return (f"SELECT string_agg(uuid_send(r.id) || int8send(r.wave_id) || int8send(r.category_id) || "
            f"int8send(coalesce(r.channel_id, '{_NO_ID}'::int8)) || float8send(coalesce(r.weight, 'NaN'::float8)), "
            f"''::bytea) AS packed FROM {names['response']} r WHERE {where}", params)


def _answers_sql(plan: _Plan, names: dict, sqlite: bool, ranged: bool = False) -> tuple[str, list]:
    """The answers to the plan's questions, in one sequential pass over the answer table (or, when
    ``ranged``, over the rows whose rowid lies between two more parameters: SQLite only).

    No filter on the response here, on purpose: the database would check each of ten million
    answers against the selected responses (PostgreSQL: a hash semi-join, 2.7× the time of the
    plain scan on the bench; SQLite: a B-tree probe per answer, 4× the whole read), and the
    builder matches every answer to its response row by a hash lookup anyway — answers of other
    waves or of partial responses simply find no row and are dropped there. ``NOT INDEXED`` keeps
    SQLite from walking the question index (one random row fetch per answer). The filter on the
    question is a saving only (see :meth:`_Plan.question_filter`): SQLite checks each row against
    an ``IN`` list in a B-tree, a seventh of the cost of the whole read, where ``BETWEEN`` or no
    filter at all costs little.
    """
    cols, col_params = plan.answer_columns()
    where, qparams = plan.question_filter()
    sql = (f"SELECT a.response_id AS rid, a.question_id AS qid, {cols} FROM {names['answer']} a"
           f"{' NOT INDEXED' if sqlite else ''} WHERE {where}")
    if ranged:
        sql += " AND a.rowid BETWEEN %s AND %s"
    return sql, [*col_params, *qparams]


def _packed_sql(plan: _Plan, names: dict) -> tuple[str, list]:
    """PostgreSQL: the answers to ``plan.question_ids`` (numeric questions) among the rows of a
    range of pages of the answer table (two more parameters, first, as ``tid`` text), packed by
    the server — one row per question, its answers as ONE ``bytea`` of 24-byte records: the 16
    bytes of the response id, then the value as a big-endian float8 (NaN when missing or "don't
    know").

    Why: with plain rows the cost is per row at both ends — the server's COPY and, three times
    larger, the client's (libpq hands the driver every row as its own message). Packed, the
    server does a little more (a string_agg step per answer) and the client almost nothing: it
    reads the records with numpy. No filter on the response here either (see :func:`_answers_sql`).
    """
    value = "CASE WHEN a.dont_know OR a.value IS NULL THEN 'NaN'::float8 ELSE a.value END"
    where, params = plan.question_filter()  # plan.question_ids: the numeric questions
    sql = (f"SELECT a.question_id AS qid, string_agg(uuid_send(a.response_id) || float8send({value}), ''::bytea) "
           f"AS packed FROM {names['answer']} a WHERE a.ctid >= %s::tid AND a.ctid < %s::tid AND {where} "
           f"GROUP BY a.question_id")
    return sql, params


def _joined_sql(plan: _Plan, names: dict) -> tuple[str, list]:
    """Responses with their labels, LEFT JOIN their answers: the frame in one statement (the
    Django reader)."""
    where, params = plan.response_filter()
    select = (f"r.id AS rid, r.wave_id, r.category_id, r.channel_id, r.weight, w.code, c.code, "
              f"c.{names['order']}, ch.code, ch.{names['order']}")
    from_ = (f"{names['response']} r "
             f"INNER JOIN {names['wave']} w ON w.id = r.wave_id "
             f"INNER JOIN {names['category']} c ON c.id = r.category_id "
             f"LEFT JOIN {names['channel']} ch ON ch.id = r.channel_id")
    if not plan.question_ids:
        return f"SELECT {select} FROM {from_} WHERE {where}", params
    cols, col_params = plan.answer_columns()
    return (
        f"SELECT {select}, a.question_id AS qid, {cols} FROM {from_} "
        f"LEFT JOIN {names['answer']} a ON a.response_id = r.id AND a.question_id IN ({_in(plan.question_ids)}) "
        f"WHERE {where}",
        [*col_params, *plan.question_ids, *params],
    )


# ---------------------------------------------------------------------------------------------
# Readers: each returns (responses, answers, labels); responses and answers as Arrow tables,
# labels as {"wave" | "category" | "channel": {id: (code, order)}}
# ---------------------------------------------------------------------------------------------
Labels = dict[str, dict[int, tuple[str, int]]]


def _answer_names(plan: _Plan) -> list[str]:
    return ["rid", "qid", "value"] + (["text"] if plan.text_ids else []) + (["codes"] if plan.has_json else [])


def _read_django(plan: _Plan, connection, build: Callable) -> pd.DataFrame:
    """ONE query through Django's cursor (counted by assertNumQueries, sees the open transaction)."""
    sql, params = _joined_sql(plan, _names(connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    first: dict = {}
    answers: list = []
    labels: Labels = {"wave": {}, "category": {}, "channel": {}}
    for row in rows:
        rid = row[0]
        if rid not in first:
            first[rid] = row[:5]
            _, wave_id, category_id, channel_id, _w, wave_code, cat_code, cat_order, ch_code, ch_order = row[:10]
            labels["wave"][wave_id] = (wave_code, 0)
            labels["category"][category_id] = (cat_code, cat_order)
            if channel_id is not None:
                labels["channel"][channel_id] = (ch_code, ch_order)
        if len(row) > 10 and row[10] is not None:
            answers.append((rid, *row[10:]))
    resp = list(zip(*first.values())) if first else [()] * 5
    responses = pa.table({
        "rid": pa.array([_uuid_text(v) for v in resp[0]], pa.string()),
        "wave_id": pa.array(resp[1], pa.int64()),
        "category_id": pa.array(resp[2], pa.int64()),
        "channel_id": pa.array(resp[3], pa.int64()),
        "weight": pa.array(resp[4], pa.float64()),
    })
    names = _answer_names(plan)
    cols = list(zip(*answers)) if answers else [()] * len(names)
    data = {
        "rid": pa.array([_uuid_text(v) for v in cols[0]], pa.string()),
        "qid": pa.array(cols[1], pa.int64()),
        "value": pa.array(cols[2], pa.float64()),
    }
    if plan.text_ids:
        data["text"] = pa.array(cols[names.index("text")], pa.string())
    if plan.has_json:  # a jsonb may come back parsed: back to JSON text
        data["codes"] = pa.array([v if v is None or isinstance(v, str) else json.dumps(v)
                                  for v in cols[names.index("codes")]], pa.string())
    return build(labels, [responses, *pa.table(data).to_batches()])


def _read_labels(using: str, wave_ids: list[int]) -> Labels:
    """Codes and display order of the waves, categories and channels: ONE small ORM query."""
    from django.db.models import IntegerField, Value

    def part(qs, kind: int, order):
        return qs.order_by().annotate(_kind=Value(kind, output_field=IntegerField()), _order=order).values_list(
            "_kind", "id", "code", "_order")

    zero = Value(0, output_field=IntegerField())
    rows = part(Wave.objects.using(using).filter(pk__in=wave_ids), 0, zero).union(
        part(UserCategory.objects.using(using), 1, F("order")),
        part(Channel.objects.using(using), 2, F("order")), all=True).order_by()
    labels: Labels = {"wave": {}, "category": {}, "channel": {}}
    kinds = ["wave", "category", "channel"]
    for kind, pk, code, order in rows:
        labels[kinds[kind]][pk] = (code, order)
    return labels


def _uuid_text(value) -> str:
    return str(value) if isinstance(value, uuid.UUID) else str(uuid.UUID(str(value)))


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
        uri = f"postgresql://{auth}{netloc}/{quote(settings['NAME'], safe='')}" + (f"?{qs}" if qs else "")
        return adbc_pg.connect(uri, autocommit=autocommit)
    return None


_PARAM = re.compile(r"%(s|%)")


def _paramstyle(sql: str, style: str) -> str:
    """Django-style ``%s`` placeholders to the driver's (``?`` or ``$1``); ``%%`` to ``%``."""
    counter = iter(range(1, 1_000_000))
    if style == "qmark":
        return _PARAM.sub(lambda m: "?" if m.group(1) == "s" else "%", sql)
    return _PARAM.sub(lambda m: f"${next(counter)}" if m.group(1) == "s" else "%", sql)


def _sqlite_typed(sql: str, names: list[str], sentinel: list[str]) -> str:
    """Put one typed row first: ADBC's SQLite driver infers each column's type from the first
    batch, and a column that starts with NULLs would be taken for an integer."""
    first = ", ".join(f"{value} AS {name}" for value, name in zip(sentinel, names))
    return f"SELECT {first} UNION ALL {sql}"


# PostgreSQL: the values of the big statements, in a temporary table of this connection
_KEYS_TABLE = "ecoute_frames_keys"
_KEYS_CREATE = ("CREATE TEMPORARY TABLE ecoute_frames_keys (kind text NOT NULL, id bigint, code text) "
                "ON COMMIT DROP")
_KEYS_INSERT = "INSERT INTO ecoute_frames_keys (kind, id, code) VALUES ($1, $2, $3)"
_KEYS_ANALYZE = "ANALYZE ecoute_frames_keys"


# How the ADBC reader shares its work (see _read_adbc); the tests make these small.
_READERS = 2  # connections reading at once (the machine has two cores or more; the builder runs on the caller's)
_PARALLEL_MIN_ANSWERS = 300_000  # SQLite: a smaller answer table (by rowid span) is read by one connection
_SQLITE_PIECE_ROWS = 500_000  # SQLite: answers (by rowid span) per statement when several connections read
_PG_CHUNK_PAGES = 2048  # PostgreSQL: pages of the answer table per packed statement (16 MB, ~5 MB packed)
_QUEUE_DEPTH = 64  # items read ahead of the builder
_ROWID_ALL = (-(2**63), 2**63 - 1)
_TID_END = "(4294967295,65535)"  # past the last possible row
_SNAPSHOT_ID = re.compile(r"[0-9A-Fa-f]+(-[0-9A-Fa-f]+)*")


def _read_adbc(plan: _Plan, connection, using: str, build: Callable) -> pd.DataFrame | None:
    """The data through ADBC connections to the same database, all in one snapshot; None when
    no ADBC driver can open it (in-memory SQLite).

    The work is a list of jobs — the responses, then the answers range by range of the answer
    table — run by :data:`_READERS` threads, one connection each, while the caller's thread
    builds the frame from what they hand over (:class:`_Workers`): the drivers read and convert
    in C without the GIL, so on two cores reading and building overlap. One snapshot for all the
    connections: PostgreSQL exports the first transaction's snapshot to the others; SQLite has no
    such thing, so the read transactions all begin while a write lock is held (see
    :func:`_sqlite_snapshot`). Small tables are read by one connection.
    """
    if connection.vendor == "sqlite":
        return _read_sqlite(plan, connection, using, build)
    return _read_postgresql(plan, connection, using, build)


def _other_threads() -> list[str]:
    """Threads of this process besides the caller's and this module's readers."""
    me = threading.current_thread()
    return [t.name for t in threading.enumerate() if t is not me and not t.name.startswith("frames-read-")]


def _read_sqlite(plan: _Plan, connection, using: str, build: Callable) -> pd.DataFrame | None:
    """SQLite through the driver, guarded against its second copy of SQLite in this process.

    Closing a driver connection drops every POSIX lock this process holds on the database file,
    those of Django's connections included (module docstring): a write of Django's in flight
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
        # rid '' marks a typed first row in every statement (dropped by _drop_sentinel)
        rsql, rparams = _responses_sql(plan, names, True)
        rsql = _paramstyle(_sqlite_typed(rsql, _RESPONSE_COLUMNS, ["''", "0", "0", "0", "0.5"]), "qmark")
        (span, every), ranges = _sqlite_layout(first, names, plan.question_ids)
        asql, aparams = _answers_sql(replace(plan, question_span=span, every_question=every), names, True,
                                     ranged=True)
        asql = _paramstyle(_sqlite_typed(asql, _answer_names(plan),
                                         ["''", "-1", "0.5"] + ["''"] * (bool(plan.text_ids) + plan.has_json)),
                           "qmark")
        if len(ranges) > 1:
            conns += _sqlite_snapshot(connection, names, first, _READERS - 1)

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

        for conn in conns:
            # A DB-API connection is not in autocommit mode: its statements share one read transaction.
            cursors.append(conn.cursor())
            cursors[-1].adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": "65536"})
        workers = _Workers(cursors, [responses, *(answers(lo, hi) for lo, hi in ranges)])
        return build(labels, workers)
    finally:
        _release(workers, cursors, conns)


def _question_scope(cur, names: dict, question_ids: list[int], style: str) -> tuple[tuple[int, int] | None, bool]:
    """(span, every): the span of ``question_ids`` when the questions with ids in it are these and
    no other, and whether they are all the database's questions (see :meth:`_Plan.question_filter`)."""
    span = (min(question_ids), max(question_ids))
    cur.execute(_paramstyle(f"SELECT count(*), sum(CASE WHEN id BETWEEN %s AND %s THEN 1 ELSE 0 END) "
                            f"FROM {names['question']}", style), list(span))
    total, within = cur.fetchone()
    wanted = len(set(question_ids))
    return (span if within == wanted else None), total == wanted


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
    write by Django's connection in this same process is not: see the module docstring.)
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


def _read_postgresql(plan: _Plan, connection, using: str, build: Callable) -> pd.DataFrame | None:
    first = _adbc_connect(connection)
    if first is None:
        return None
    names = _names(connection)
    numeric = set(plan.numeric_ids)
    # The text, choice and matrix answers come as rows, by a statement without bound parameters,
    # so that the driver streams it with binary COPY (a prepared statement's row-by-row results
    # are a third slower): its values sit in a temporary table of each connection, filled by a
    # parameterised INSERT. The packed statements return a few rows: parameters as usual.
    streamed = replace(plan, question_ids=[q for q in plan.question_ids if q not in numeric], keys_table=_KEYS_TABLE)
    rsql, rparams = _packed_responses_sql(plan, names)
    rsql = _paramstyle(rsql, "numeric")
    osql, _ = _answers_sql(streamed, names, False)
    conns, cursors, workers = [first], [first.cursor()], None
    try:
        cursors[0].execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        span, every = _question_scope(cursors[0], names, plan.numeric_ids, "numeric") if numeric else (None, False)
        psql, pparams = _packed_sql(replace(plan, question_ids=plan.numeric_ids, question_span=span,
                                            every_question=every), names)
        psql = _paramstyle(psql, "numeric")
        cursors[0].execute(_paramstyle("SELECT pg_relation_size(%s::regclass) / current_setting('block_size')::int8",
                                       "numeric"), [names["answer"]])
        (pages,) = cursors[0].fetchone()
        chunks = _pg_chunks(int(pages or 0)) if plan.numeric_ids else []
        if len(chunks) > 1:
            conns += _pg_snapshot(connection, cursors[0], _READERS - 1)
            cursors += [conn.cursor() for conn in conns[1:]]
        for cur in cursors if streamed.question_ids else []:
            cur.execute(_KEYS_CREATE)
            cur.executemany(_KEYS_INSERT, streamed.key_rows())
            cur.execute(_KEYS_ANALYZE)
        labels = _read_labels(using, plan.wave_ids)

        def responses(cur):
            cur.execute(rsql, rparams)
            yield _unpack_responses(cur.fetch_arrow_table())

        def others(cur):  # text, single, multiple and matrix answers: rows as they are
            cur.execute(osql)
            yield from cur.fetch_record_batch()

        def packed(low: str, high: str):
            def job(cur):
                cur.execute(psql, [low, high, *pparams])
                yield _unpack(cur.fetch_arrow_table())
            return job

        jobs = [responses, *([others] if streamed.question_ids else []), *(packed(lo, hi) for lo, hi in chunks)]
        workers = _Workers(cursors, jobs)
        return build(labels, workers)
    finally:
        _release(workers, cursors, conns)


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


class _Workers:
    """Jobs run by threads — one thread per cursor, each job on whichever thread is free — whose
    items come out of one bounded queue as they are ready. A job is ``job(cursor)`` yielding
    items. The drivers fetch and convert in C without the GIL, so the threads overlap each other
    and the caller's work. An error in a job is raised to the caller; ``close()`` stops the
    threads (idempotent)."""

    _DONE = object()

    def __init__(self, cursors: Sequence, jobs: Iterable[Callable], depth: int = _QUEUE_DEPTH) -> None:
        self._jobs = iter(list(jobs))
        self._lock = threading.Lock()
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(cur,), name=f"frames-read-{i}", daemon=True)
                         for i, cur in enumerate(cursors)]
        for thread in self._threads:
            thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, cursor) -> None:
        try:
            while not self._stop.is_set():
                with self._lock:
                    job = next(self._jobs, None)
                if job is None:
                    break
                for item in job(cursor):
                    if not self._put(item):
                        return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            self._put(exc)
            return
        self._put(self._DONE)

    def __iter__(self) -> Iterator:
        running = len(self._threads)
        while running:
            item = self._queue.get()
            if item is self._DONE:
                running -= 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield item

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()


def _drop_sentinel(table):
    """The table or batch without the typed first row (rid '') of :func:`_sqlite_typed`."""
    rid = table.column("rid")
    if len(rid) == 0:
        return table
    if rid[0].as_py() == "":
        return table.slice(1)
    return table.filter(pc.not_equal(rid, "")) if table.num_rows and pc.any(pc.equal(rid, "")).as_py() else table


# ---------------------------------------------------------------------------------------------
# Building the frame
# ---------------------------------------------------------------------------------------------
def _plain(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    """One contiguous array, extension types (uuid, json) reduced to their storage."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    if isinstance(col.type, pa.BaseExtensionType):
        col = col.storage
    return col


def _as(col, typ: pa.DataType) -> pa.Array:
    col = _plain(col)
    return col if col.type == typ else col.cast(typ)


_NIBBLE = np.full(256, 255, dtype=np.uint8)  # ASCII hex digit -> its value (255: not a digit)
_NIBBLE[np.frombuffer(b"0123456789", np.uint8)] = np.arange(10)
_NIBBLE[np.frombuffer(b"abcdef", np.uint8)] = np.arange(10, 16)
_NIBBLE[np.frombuffer(b"ABCDEF", np.uint8)] = np.arange(10, 16)
_HEX_GROUPS = [(0, 8), (9, 13), (14, 18), (19, 23), (24, 36)]  # the hex digits of 8-4-4-4-12
_HEX2 = np.array([int.from_bytes(f"{i:02x}".encode(), "little") for i in range(256)], dtype="<u2")  # byte -> 2 digits
_LOWER_HEX = np.zeros(256, dtype=bool)
_LOWER_HEX[np.frombuffer(b"0123456789abcdef", np.uint8)] = True


def _uuid_chunk_bytes(arr: pa.Array) -> np.ndarray | None:
    """(n, 16) uint8 from one Arrow array of UUIDs: 16 bytes (PostgreSQL), or text of 32 hex digits
    (how Django stores a UUID on SQLite) or 36 (canonical); None for anything else."""
    if isinstance(arr.type, pa.BaseExtensionType):
        arr = arr.storage
    n = len(arr)
    if arr.null_count:
        return None
    if n == 0:
        return np.zeros((0, 16), dtype=np.uint8)
    if pa.types.is_fixed_size_binary(arr.type) and arr.type.byte_width == 16:
        data = np.frombuffer(arr.buffers()[1], dtype=np.uint8)
        return data[16 * arr.offset:16 * (arr.offset + n)].reshape(n, 16)
    if not pa.types.is_string(arr.type):
        return None
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset:arr.offset + n + 1]
    width = int(offsets[1] - offsets[0])
    if width not in (32, 36) or offsets[-1] - offsets[0] != width * n or np.any(np.diff(offsets) != width):
        return None
    text = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]].reshape(n, width)
    if width == 36:
        if np.any(text[:, [8, 13, 18, 23]] != ord("-")):
            return None
        text = np.concatenate([text[:, a:b] for a, b in _HEX_GROUPS], axis=1)
    nibbles = _NIBBLE[text]
    if np.any(nibbles == 255):
        return None
    return (nibbles[:, 0::2] << 4) | nibbles[:, 1::2]


def _uuid_bytes(col: pa.ChunkedArray | pa.Array) -> np.ndarray | None:
    """All the UUIDs of a column as one (n, 16) uint8 array, or None if they are not all UUIDs."""
    chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
    parts = []
    for chunk in chunks:
        part = _uuid_chunk_bytes(chunk)
        if part is None:
            return None
        parts.append(part)
    return np.concatenate(parts) if parts else np.zeros((0, 16), dtype=np.uint8)


def _uuid_strings(raw: np.ndarray) -> pd.Series:
    """Canonical UUID text (8-4-4-4-12, lowercase) of (n, 16) bytes, without a Python loop."""
    return _dashed(_HEX2[raw].view(np.uint8).reshape(len(raw), 32))


def _dashed(digits: np.ndarray) -> pd.Series:
    """(n, 32) lowercase hex digits (ASCII) as canonical UUID text: a ``str`` Series."""
    n = len(digits)
    out = np.full((n, 36), ord("-"), dtype=np.uint8)
    start = 0
    for a, b in _HEX_GROUPS:
        out[:, a:b] = digits[:, start:start + b - a]
        start += b - a
    offsets = pa.py_buffer(np.arange(0, 36 * (n + 1), 36, dtype=np.int32))
    return pa.Array.from_buffers(pa.string(), n, [None, offsets, pa.py_buffer(out)]).to_pandas()


def _uuid_column(col: pa.ChunkedArray | pa.Array) -> pd.Series | None:
    """The ``response_id`` column: canonical UUID text of every id of ``col``, or None if they
    are not all UUIDs. Text of 32 lowercase hex digits (how Django stores a UUID on SQLite) only
    gets its dashes; any other form goes through the bytes."""
    parts = []
    for arr in (col.chunks if isinstance(col, pa.ChunkedArray) else [col]):
        arr = arr.storage if isinstance(arr.type, pa.BaseExtensionType) else arr
        n = len(arr)
        if n and not arr.null_count and pa.types.is_string(arr.type):
            offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset:arr.offset + n + 1]
            if offsets[-1] - offsets[0] == 32 * n and not np.any(np.diff(offsets) != 32):
                text = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]].reshape(n, 32)
                if _LOWER_HEX[text].all():
                    parts.append(text)
                    continue
        raw = _uuid_chunk_bytes(arr)
        if raw is None:
            return None
        parts.append(_HEX2[raw].view(np.uint8).reshape(n, 32))
    return _dashed(parts[0] if len(parts) == 1 else np.concatenate(parts or [np.zeros((0, 32), np.uint8)]))


def _key_words(col: pa.ChunkedArray | pa.Array) -> list[np.ndarray] | None:
    """The raw bytes of each UUID as unsigned 64-bit words, one (m, W) array per chunk: W = 2 for
    16 bytes (PostgreSQL), 4 for 32 hex digits (SQLite). Nothing is decoded: the reader gives both
    tables in the same form, so equal words are equal ids. None for any other form."""
    out = []
    for arr in (col.chunks if isinstance(col, pa.ChunkedArray) else [col]):
        if isinstance(arr.type, pa.BaseExtensionType):
            arr = arr.storage
        m = len(arr)
        if arr.null_count:
            return None
        if m == 0:
            continue
        if pa.types.is_fixed_size_binary(arr.type) and arr.type.byte_width == 16:
            raw = np.frombuffer(arr.buffers()[1], dtype=np.uint8)[16 * arr.offset:16 * (arr.offset + m)]
        elif pa.types.is_string(arr.type):
            offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset:arr.offset + m + 1]
            if offsets[-1] - offsets[0] != 32 * m or np.any(np.diff(offsets) != 32):
                return None
            raw = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
        else:
            return None
        out.append(raw.view(np.uint64).reshape(m, -1))
    return out


_MIX = np.array([1, 0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9], dtype=np.uint64)


def _hash_words(words: np.ndarray) -> np.ndarray:
    h = words[:, 0].copy()
    for k in range(1, words.shape[1]):
        h ^= words[:, k] * _MIX[k]
    return h


def _categorical(ids: pa.ChunkedArray | pa.Array, labels: dict[int, tuple[str, int]]) -> pd.Categorical:
    """Foreign-key ids as a Categorical of codes, categories (the observed ones) in display order."""
    arr = _as(ids, pa.int64())
    valid = ~np.asarray(arr.is_null()) if arr.null_count else None
    values = arr.fill_null(0).to_numpy(zero_copy_only=False) if arr.null_count else arr.to_numpy()
    present = values if valid is None else values[valid]
    small = bool(values.size) and values.min() >= 0 and values.max() < 1 << 20  # ids: by a table, no sort
    seen = np.flatnonzero(np.bincount(present)) if small else np.unique(present)
    observed = [int(i) for i in seen if int(i) in labels]
    ordered = sorted(observed, key=lambda i: (labels[i][1] is None, labels[i][1] or 0, labels[i][0]))
    categories = pd.Index([labels[i][0] for i in ordered], dtype="str")
    if not ordered:
        return pd.Categorical.from_codes(np.full(len(values), -1, dtype=np.int8), categories=categories)
    if small:
        table = np.full(int(values.max()) + 1, -1, dtype=np.int8 if len(ordered) < 127 else np.int64)
        table[ordered] = np.arange(len(ordered))
        codes = table[values]
        if valid is not None:
            codes[~valid] = -1
        return pd.Categorical.from_codes(codes, categories=categories)
    valid = np.ones(len(values), dtype=bool) if valid is None else valid
    keys = np.array(sorted(observed), dtype=np.int64)
    rank = np.empty(len(keys), dtype=np.int64)
    rank[np.searchsorted(keys, ordered)] = np.arange(len(ordered))
    pos = np.clip(np.searchsorted(keys, values), 0, len(keys) - 1)
    found = valid & (keys[pos] == values)
    codes = np.where(found, rank[pos], -1)
    return pd.Categorical.from_codes(codes, categories=categories)


def _score_column(values: np.ndarray, integral_scale: bool) -> np.ndarray:
    """float32 when every answer is an integer of a scale (exact in float32); float64 otherwise."""
    present = values[~np.isnan(values)]
    if integral_scale and not (present.size and (np.any(present != np.rint(present))
                                                 or np.abs(present).max() > 2**24)):
        return values.astype(np.float32)
    return values.copy()  # not a view: the dense block it comes from can be freed


def _spread(positions: np.ndarray, n: int, values: pa.Array) -> pa.Array:
    """A length-n array: ``values[k]`` at row ``positions[k]``, null elsewhere."""
    take = np.full(n, -1, dtype=np.int64)
    take[positions] = np.arange(len(positions))
    return values.take(pa.array(take, mask=take < 0))


class _Builder:
    """The frame, built as the data comes: the responses first, then the answers batch by batch."""

    def __init__(self, questions: list[_Question], responses: pa.Table, labels: Labels, wave_ids: list[int]):
        self.questions = questions
        self.n = n = responses.num_rows
        weight = _as(responses.column("weight"), pa.float64()).to_numpy(zero_copy_only=False)
        waves = {pk: (code, wave_ids.index(pk) if pk in wave_ids else len(wave_ids))
                 for pk, (code, _order) in labels["wave"].items()}  # in the order asked for
        response_id = _uuid_column(responses.column("rid"))
        self.columns: dict[str, object] = {
            "response_id": (response_id if response_id is not None  # else not UUIDs: as they are
                            else _as(responses.column("rid"), pa.string()).to_pandas()),
            "wave": _categorical(responses.column("wave_id"), waves),
            "category": _categorical(responses.column("category_id"), labels["category"]),
            "channel": _categorical(responses.column("channel_id"), labels["channel"]),
            "weight": np.where(np.isnan(weight), 1.0, weight) if np.isnan(weight).any() else weight,
        }
        # the responses' ids, as the reader gives them, in a hash table (see _rows)
        self.r_rid = _plain(responses.column("rid"))
        words = _key_words(self.r_rid)
        self.r_words = self.index = None
        self.r_columns: list[np.ndarray] = []
        if words is not None:
            self.r_words = np.concatenate(words) if words else np.zeros((0, 2), dtype=np.uint64)
            index = pd.Index(_hash_words(self.r_words))
            if index.is_unique:  # else two ids share their 64-bit mix (astronomically rare): texts
                self.index = index
                self.r_columns = [np.ascontiguousarray(self.r_words[:, k]) for k in range(self.r_words.shape[1] - 1)]
        # question id -> position; numeric answers go to a dense block (question x response)
        ids = np.array([q.id for q in questions], dtype=np.int64)
        self.lookup = np.full(int(ids.max(initial=0)) + 2, -1, dtype=np.int64)
        self.lookup[ids] = np.arange(len(questions))
        numeric = [j for j, q in enumerate(questions) if q.type in NUMERIC_TYPES]
        self.slot = np.full(len(questions), -1, dtype=np.int64)
        self.slot[numeric] = np.arange(len(numeric))
        self.dense = np.full((len(numeric), n), np.nan)  # each question's column is contiguous
        self.parts: dict[int, list[tuple[np.ndarray, pa.Array]]] = {
            j: [] for j, q in enumerate(questions) if q.type not in NUMERIC_TYPES}

    def _rows(self, rid: pa.Array) -> np.ndarray:
        """The response row of each answer (-1: a response not loaded: other wave, partial...).

        Answers come in runs that share a response (its answers are written together), so only
        the first answer of each run is looked up — by a 64-bit mix of the id's raw words in the
        hash table of the responses — then checked (:meth:`_same`): exact, whatever the mix."""
        words = _key_words(rid) if self.index is not None else None
        if words is None or (words and words[0].shape[1] != self.r_words.shape[1]):
            return self._rows_by_value(rid)
        if not words:
            return np.zeros(0, dtype=np.int64)
        return self._rows_of_words(words[0] if len(words) == 1 else np.concatenate(words))

    def _rows_by_value(self, rid: pa.Array) -> np.ndarray:
        found = pc.index_in(rid, value_set=self.r_rid)
        return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)

    def _rows_of_words(self, w: np.ndarray) -> np.ndarray:
        """Rows of ids given as raw words (m, W), looking up only the first of each run."""
        starts, heads = None, w
        if len(w) > 1:
            new = np.empty(len(w), dtype=bool)
            new[0] = True
            np.not_equal(w[1:, 0], w[:-1, 0], out=new[1:])
            for k in range(1, w.shape[1]):
                new[1:] |= w[1:, k] != w[:-1, k]
            starts = np.flatnonzero(new)
            heads = w[starts]
        pos = self.index.get_indexer(_hash_words(heads))
        pos[~self._same(pos, heads)] = -1
        if starts is None or len(starts) == len(w):
            return pos
        return np.repeat(pos, np.diff(np.append(starts, len(w))))

    def _same(self, pos: np.ndarray, words: np.ndarray) -> np.ndarray:
        """Whether each id found by its mix at ``pos`` (-1: not found) is the id of ``words``.
        Exact: equal mixes and all the words but the last equal are equal ids (the mix multiplies
        the last word by an odd constant, one-to-one), so the last word need not be compared."""
        hit = pos >= 0
        at = np.where(hit, pos, 0)
        for k, column in enumerate(self.r_columns):
            hit &= column[at] == words[:, k]
        return hit

    def add(self, item: pa.RecordBatch | _Packed) -> None:
        if isinstance(item, _Packed):
            self._place(item)
        elif item.num_rows:
            self._add_batch(item)

    def _place(self, packed: _Packed) -> None:
        """Packed numeric answers: all their ids looked up at once (one call: cheaper per id),
        then each question's values scattered into its row of the dense block."""
        fast = self.index is not None and self.r_words.shape[1] == 2
        found = self.index.get_indexer(packed.mixes) if fast else None
        start = 0
        for qid, words, values in packed.pieces:
            j = self.lookup[qid] if 0 <= qid < len(self.lookup) else -1
            stop = start + len(words)
            if fast:
                rows = found[start:stop]
                hit = self._same(rows, words)
            else:
                rid = pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), len(words),
                                                           [None, pa.py_buffer(np.ascontiguousarray(words))])
                rows = self._rows_by_value(rid)
                hit = rows >= 0
            start = stop
            if j < 0 or self.slot[j] < 0:
                continue
            if not hit.all():
                rows, values = rows[hit], values[hit]
            self.dense[self.slot[j]][rows] = values

    def _add_batch(self, batch: pa.RecordBatch) -> None:
        row = self._rows(_plain(batch.column("rid")))
        qid = _as(batch.column("qid"), pa.int64()).to_numpy(zero_copy_only=False)
        col = self.lookup.take(qid, mode="clip")  # -1 (other questions) at both ends
        keep = (row >= 0) & (col >= 0)
        if not keep.all():
            row, col = row[keep], col[keep]
            batch = batch.filter(pa.array(keep))
        target = self.slot[col]
        numeric = target >= 0
        value = _as(batch.column("value"), pa.float64()).to_numpy(zero_copy_only=False)
        if not numeric.all():
            value, where, target = value[numeric], row[numeric], target[numeric]
        else:
            where = row
        target *= self.n
        target += where
        self.dense.ravel()[target] = value  # the scatter: one vectorised assignment per batch
        for j, parts in self.parts.items():
            take = np.flatnonzero(col == j)
            if take.size:
                name = "text" if self.questions[j].type in TEXT_TYPES else "codes"
                parts.append((row[take], _plain(batch.column(name)).take(pa.array(take))))

    def frame(self) -> pd.DataFrame:
        n, columns = self.n, self.columns
        for j, q in enumerate(self.questions):
            if q.type in NUMERIC_TYPES:
                columns[q.code] = _score_column(self.dense[self.slot[j]], q.type in SCORE_TYPES)
                continue
            parts = self.parts[j]
            rows_q = np.concatenate([r for r, _v in parts]) if parts else np.zeros(0, dtype=np.int64)
            values = (pa.concat_arrays([_as(v, pa.string()) for _r, v in parts]) if parts
                      else pa.array([], pa.string()))
            if q.type in TEXT_TYPES:
                texts = _spread(rows_q, n, values)
                if q.type == QuestionType.SINGLE:
                    cat = pd.Categorical(texts.to_pandas())
                    extra = [c for c in cat.categories if c not in q.choices]
                    columns[q.code] = cat.set_categories(pd.Index(q.choices + extra, dtype="str"))
                else:
                    columns[q.code] = texts.to_pandas()
                continue
            # multiple / matrix: parse each distinct JSON text once
            encoded = pc.dictionary_encode(values)
            parsed = [_parse_json(t) for t in encoded.dictionary.to_pylist()]
            idx = encoded.indices.to_numpy(zero_copy_only=False)
            has = ~pd.isna(idx)
            idx = np.where(has, idx, 0).astype(np.int64)[has]
            ok = rows_q[has]
            for choice in q.choices:
                name = f"{q.code}__{choice}"
                if q.type == QuestionType.MULTIPLE:
                    per = np.array([isinstance(p, list) and choice in p for p in parsed] or [False], dtype=bool)
                    data, na = np.zeros(n, dtype=bool), np.ones(n, dtype=bool)
                    data[ok] = per[idx]
                    na[ok] = False
                    columns[name] = pd.arrays.BooleanArray(data, na)
                else:
                    per = np.array([_item_score(p, choice) for p in parsed] or [np.nan], dtype=np.float64)
                    scores = np.full(n, np.nan)
                    scores[ok] = per[idx]
                    columns[name] = _score_column(scores, True)
        return pd.DataFrame(columns, copy=False)


def _build(questions: list[_Question], wave_ids: list[int]) -> Callable:
    """The callback a reader calls with (labels, items) to get the frame. ``items`` gives the
    responses (one ``pa.Table``) and the answers (``pa.RecordBatch`` or :class:`_Packed`) in any
    order: answers that come before the responses wait for them."""
    def build(labels: Labels, items: Iterable[pa.Table | pa.RecordBatch | _Packed]) -> pd.DataFrame:
        builder, early = None, []
        for item in items:
            if isinstance(item, pa.Table):
                builder = _Builder(questions, item, labels, wave_ids)
                for piece in early:
                    builder.add(piece)
                early = []
            elif builder is None:
                early.append(item)
            else:
                builder.add(item)
            del item
        if builder is None:
            raise RuntimeError("the reader gave no responses")
        return builder.frame()

    return build


@dataclass
class _Packed:
    """Numeric answers as the server packed them (:func:`_packed_sql`): per question, the raw 16
    bytes of each answer's response id as two uint64 words (shape (m, 2)) and the values (big-
    endian), both views of the server's bytes; and the mixes (:func:`_hash_words`) of all the ids,
    the questions one after the other."""
    pieces: list[tuple[int, np.ndarray, np.ndarray]]
    mixes: np.ndarray


_PACKED = np.dtype([("rid", np.uint64, (2,)), ("value", ">f8")])


_PACKED_RESPONSE = np.dtype([("rid", "V16"), ("wave_id", ">i8"), ("category_id", ">i8"), ("channel_id", ">i8"),
                             ("weight", ">f8")])


def _unpack_responses(table: pa.Table) -> pa.Table:
    """The result of :func:`_packed_responses_sql` as the responses table the builder takes."""
    packed = _plain(table.column(0))
    data = packed[0].as_buffer() if len(packed) and packed[0].is_valid else b""
    records = np.frombuffer(data, dtype=_PACKED_RESPONSE)
    n = len(records)
    channel = records["channel_id"].astype(np.int64)
    none = channel == _NO_ID
    return pa.table({
        "rid": pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), n, [None, pa.py_buffer(records["rid"].copy())]),
        "wave_id": pa.array(records["wave_id"].astype(np.int64)),
        "category_id": pa.array(records["category_id"].astype(np.int64)),
        "channel_id": pa.array(channel, mask=none) if none.any() else pa.array(channel),
        "weight": pa.array(records["weight"].astype(np.float64)),
    })


def _unpack(table: pa.Table) -> _Packed:
    """The result of :func:`_packed_sql` (question id, bytea) as numpy arrays (in the reading
    thread: the ids' mixes too, so that the builder only looks them up)."""
    qids = table.column(0).to_pylist()
    packed = _plain(table.column(1))
    pieces = []
    for i, qid in enumerate(qids):
        if qid is not None and packed[i].is_valid:
            records = np.frombuffer(packed[i].as_buffer(), dtype=_PACKED)
            pieces.append((int(qid), records["rid"], records["value"]))
    mixes = [_hash_words(words) for _qid, words, _values in pieces]
    return _Packed(pieces, np.concatenate(mixes) if mixes else np.zeros(0, dtype=np.uint64))


def _parse_json(text: str | None):
    if text is None:
        return None
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return None


def _item_score(parsed, item: str) -> float:
    v = parsed.get(item) if isinstance(parsed, dict) else None
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        return np.nan
    try:
        return float(v)
    except ValueError:
        return np.nan


def _empty_frame(questions: list[_Question]) -> pd.DataFrame:
    responses = pa.table({"rid": pa.array([], pa.string()), "wave_id": pa.array([], pa.int64()),
                          "category_id": pa.array([], pa.int64()), "channel_id": pa.array([], pa.int64()),
                          "weight": pa.array([], pa.float64())})
    return _build(questions, [])({"wave": {}, "category": {}, "channel": {}}, [responses])


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------
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
    codes = None
    if questions is not None:
        codes = [q.code if isinstance(q, Question) else str(q) for q in questions]
    if not wave_ids:
        frame = _empty_frame([])
        frame.attrs["reader"] = "none"
        return frame
    qlist = _read_questions(using=using, wave_ids=wave_ids, codes=codes)
    if codes is not None:
        missing = sorted(set(codes) - {q.code for q in qlist})
        if missing:
            raise KeyError(f"no such question in this survey: {', '.join(missing)}")
    plan = _Plan(
        wave_ids=wave_ids,
        statuses=[ResponseStatus.COMPLETE.value] + ([ResponseStatus.PARTIAL.value] if include_partial else []),
        question_ids=[q.id for q in qlist],
        text_ids=[q.id for q in qlist if q.type in TEXT_TYPES],
        has_json=any(q.type in JSON_TYPES for q in qlist),
        numeric_ids=[q.id for q in qlist if q.type in NUMERIC_TYPES],
    )
    connection = connections[using]
    build = _build(qlist, wave_ids)
    frame, used = None, "django"
    if reader != "django" and not connection.in_atomic_block:
        try:
            frame = _read_adbc(plan, connection, using, build)
            used = "adbc"
        except ImportError:
            if reader == "adbc":
                raise
        except Exception:
            if reader == "adbc":
                raise
            logger.warning("frames.load: the ADBC reader failed, reading through Django instead", exc_info=True)
    elif reader == "adbc":
        raise RuntimeError("the ADBC reader cannot see the data of an open transaction")
    if frame is None:
        if reader == "adbc":
            raise RuntimeError(f"the ADBC reader cannot be used for the database {using!r} (in-memory SQLite, or "
                               "SQLite in a process with other threads: see frames._read_sqlite)")
        frame, used = _read_django(plan, connection, build), "django"
    frame.attrs["reader"] = used
    return frame
