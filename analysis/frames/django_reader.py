"""The Django reader: the whole frame in ONE statement through Django's own cursor.

Used in-memory SQLite, inside ``atomic()`` (as in the tests: another connection would not see
the open transaction's rows), or when no ADBC driver can be used. Slow and big at scale (a
million responses take over a minute and gigabytes), but it sees exactly what Django sees and
``assertNumQueries`` counts it. Also :func:`_read_labels`, the small ORM query every reader uses.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import pandas as pd
import pyarrow as pa
from django.db.models import F

from surveys.models import Channel, UserCategory, Wave

from .plan import Labels, _answer_names, _joined_sql, _names, _Plan

def _read_django(plan: _Plan, connection, build: Callable) -> pd.DataFrame:
    """ONE query through Django's cursor (counted by assertNumQueries, sees the open transaction)."""
    sql, params = _joined_sql(plan, _names(connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    responses, answers, labels = _split_rows(rows)
    return build(labels, [responses, *_answers_table(plan, answers).to_batches()])


def _split_rows(rows: list[tuple]) -> tuple[pa.Table, list[tuple], Labels]:
    """The joined rows as the responses (one row each, in order of appearance), the answers
    (response id first) and the labels they carry."""
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
    return responses, answers, labels


def _answers_table(plan: _Plan, answers: list[tuple]) -> pa.Table:
    """The answers as the Arrow table the builder takes (the columns of :func:`_answer_names`)."""
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
    return pa.table(data)


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
