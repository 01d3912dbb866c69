"""What one ``load`` reads (:class:`_Plan`) and the SQL that reads it, written here once.

Table and column names come from the models; values are never formatted into the text, always
bound parameters (save the id of an exported snapshot, see :mod:`.postgresql_reader`). Why each
statement has the shape it has, with the measurements behind it: ``docs/loader.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from surveys.models import Answer, Channel, Question, Response, UserCategory, Wave

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
Labels = dict[str, dict[int, tuple[str, int]]]


def _answer_names(plan: _Plan) -> list[str]:
    return ["rid", "qid", "value"] + (["text"] if plan.text_ids else []) + (["codes"] if plan.has_json else [])


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

    No filter on the response here, on purpose: the database would check each answer against the
    selected responses (several times the cost of the plain scan), and the builder matches every
    answer to its response row by a hash lookup anyway — answers of other waves or of partial
    responses find no row and are dropped there. ``NOT INDEXED`` keeps SQLite from walking the
    question index (one random row fetch per answer). The filter on the question is a saving only
    (see :meth:`_Plan.question_filter`). The measurements: ``docs/loader.md``.
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

    Why: with plain rows the cost is per row at both ends, the client's the larger (libpq hands
    the driver every row as its own message). Packed, the server does a little more (a string_agg
    step per answer) and the client almost nothing: it reads the records with numpy
    (``docs/loader.md``). No filter on the response here either (see :func:`_answers_sql`).
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
