"""analysis.frames: the database read into one row per response, one column per question.

Expected values are written out by hand from the rows created in each test, never taken from
an earlier output of the loader.
"""

from __future__ import annotations

import random
import sqlite3
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from django.db import connection, connections
from django.utils import timezone

from analysis import frames
from surveys.models import Answer, Channel, Question, Response, Section, UserCategory, Wave
from tests import factories


def respond(survey, wave, category, channel=None, status="complete", weight=1.0, **answers) -> Response:
    """A response with its answers: ``CODE={"value": 4}`` / ``{"text": ...}`` / ``{"codes": ...}``."""
    response = Response.objects.create(
        survey=survey, wave=wave, category=UserCategory.objects.get(code=category),
        channel=Channel.objects.get(code=channel) if channel else None, status=status, weight=weight,
        submitted_at=timezone.now() if status == "complete" else None,
    )
    questions = {q.code: q for q in Question.objects.filter(survey=survey)}
    Answer.objects.bulk_create([Answer(response=response, question=questions[code], **fields)
                                for code, fields in answers.items()])
    return response


@pytest.fixture
def data(survey):
    """Three complete responses and one partial, in wave 2026."""
    wave = survey.waves.get(code="2026")
    r1 = respond(survey, wave, "researchers", "website", weight=1.5,
                 SAT_OVERALL={"value": 5}, NPS={"value": 9}, USED={"codes": ["web", "contact"]},
                 SAT_WEB={"value": 4}, WEB_MATRIX={"codes": {"find": 3, "understand": 5}},
                 MICRO={"text": "yes"}, SAT_MICRO={"value": 8}, SUGG={"text": "Plus de données locales"},
                 VISITS={"value": 12.5})
    r2 = respond(survey, wave, "journalists", "contact_service",
                 SAT_OVERALL={"value": 2}, NPS={"value": 3}, USED={"codes": ["web"]},
                 SAT_WEB={"dont_know": True}, WEB_MATRIX={"codes": {"find": 1}},
                 EMBARGO={"value": 4}, WHY={"text": "Trop lent"})
    r3 = respond(survey, wave, "general_public", None,
                 SAT_OVERALL={"value": 3}, USED={"codes": ["contact"]})
    partial = respond(survey, wave, "general_public", "website", status="partial", SAT_OVERALL={"value": 1})
    return {"wave": wave, "r1": r1, "r2": r2, "r3": r3, "partial": partial}


def by_id(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("response_id")


EXPECTED_COLUMNS = [
    "response_id", "wave", "category", "channel", "weight",
    "SAT_OVERALL", "NPS", "USED__web", "USED__contact", "SAT_WEB", "WEB_MATRIX__find",
    "WEB_MATRIX__understand", "MICRO", "SAT_MICRO", "EMBARGO", "WHY", "SUGG", "VISITS",
]


@pytest.mark.django_db
def test_one_row_per_complete_response_with_exact_values(data):
    frame = frames.load([data["wave"]])
    assert list(frame.columns) == EXPECTED_COLUMNS
    assert len(frame) == 3
    f = by_id(frame)
    r1, r2, r3 = (str(data[k].id) for k in ("r1", "r2", "r3"))
    assert set(f.index) == {r1, r2, r3}
    assert str(data["partial"].id) not in f.index

    assert f.loc[r1, "category"] == "researchers" and f.loc[r1, "channel"] == "website"
    assert f.loc[r1, "wave"] == "2026" and f.loc[r1, "weight"] == 1.5
    assert f.loc[r1, "SAT_OVERALL"] == 5 and f.loc[r1, "NPS"] == 9 and f.loc[r1, "SAT_WEB"] == 4
    assert f.loc[r1, "WEB_MATRIX__find"] == 3 and f.loc[r1, "WEB_MATRIX__understand"] == 5
    assert f.loc[r1, "MICRO"] == "yes" and f.loc[r1, "SAT_MICRO"] == 8
    assert f.loc[r1, "SUGG"] == "Plus de données locales" and f.loc[r1, "VISITS"] == 12.5
    assert bool(f.loc[r1, "USED__web"]) is True and bool(f.loc[r1, "USED__contact"]) is True

    assert f.loc[r2, "category"] == "journalists" and f.loc[r2, "channel"] == "contact_service"
    assert f.loc[r2, "weight"] == 1.0
    assert f.loc[r2, "SAT_OVERALL"] == 2 and f.loc[r2, "EMBARGO"] == 4 and f.loc[r2, "WHY"] == "Trop lent"
    assert bool(f.loc[r2, "USED__web"]) is True and bool(f.loc[r2, "USED__contact"]) is False
    assert f.loc[r2, "WEB_MATRIX__find"] == 1

    assert f.loc[r3, "category"] == "general_public" and pd.isna(f.loc[r3, "channel"])
    assert f.loc[r3, "SAT_OVERALL"] == 3
    assert bool(f.loc[r3, "USED__web"]) is False and bool(f.loc[r3, "USED__contact"]) is True


@pytest.mark.django_db
def test_missing_answers_dont_know_and_unshown_questions_are_missing(data):
    f = by_id(frames.load([data["wave"]]))
    r1, r2, r3 = (str(data[k].id) for k in ("r1", "r2", "r3"))
    assert pd.isna(f.loc[r2, "SAT_WEB"])  # "don't know"
    assert pd.isna(f.loc[r2, "WEB_MATRIX__understand"])  # item left empty
    assert pd.isna(f.loc[r2, "NPS"]) is False and pd.isna(f.loc[r3, "NPS"])  # skipped
    assert pd.isna(f.loc[r2, "MICRO"]) and pd.isna(f.loc[r2, "SAT_MICRO"])  # not shown to journalists
    assert pd.isna(f.loc[r1, "EMBARGO"]) and pd.isna(f.loc[r1, "WHY"])  # not shown
    # a matrix / multiple question nobody on this row answered: missing, not False / 0
    assert pd.isna(f.loc[r3, "WEB_MATRIX__find"])
    assert f["SAT_WEB"].count() == 1  # "don't know" is not counted as an answer


@pytest.mark.django_db
def test_dtypes_are_compact_and_honest(data):
    frame = frames.load([data["wave"]])
    dtypes = frame.dtypes.astype(str).to_dict()
    assert dtypes["response_id"] == "str"
    for col in ("wave", "category", "channel", "MICRO"):
        assert isinstance(frame[col].dtype, pd.CategoricalDtype), col
    assert dtypes["weight"] == "float64"
    for col in ("SAT_OVERALL", "NPS", "SAT_WEB", "SAT_MICRO", "EMBARGO", "WEB_MATRIX__find",
                "WEB_MATRIX__understand"):
        assert dtypes[col] == "float32", col  # the integer codes, exactly
    assert dtypes["USED__web"] == dtypes["USED__contact"] == "boolean"
    assert dtypes["VISITS"] == "float64"  # a number is not a score: no rounding
    assert dtypes["WHY"] == dtypes["SUGG"] == "str"
    assert list(frame["MICRO"].cat.categories) == ["yes", "no"]  # the choices, in their order
    assert list(frame["category"].cat.categories) == ["researchers", "journalists", "general_public"]


@pytest.mark.django_db
def test_partial_responses_only_when_asked(data):
    frame = frames.load([data["wave"]], include_partial=True)
    assert len(frame) == 4
    assert by_id(frame).loc[str(data["partial"].id), "SAT_OVERALL"] == 1


@pytest.mark.django_db
def test_at_most_two_queries_on_the_django_reader(data, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        frame = frames.load([data["wave"].id])
    # inside the test's transaction ADBC could not see the rows: the Django reader is used
    assert frame.attrs["reader"] == "django"
    with django_assert_max_num_queries(2):
        explicit = frames.load([data["wave"].id], reader="django")
    assert explicit.attrs["reader"] == "django" and len(explicit) == 3


@pytest.mark.django_db
def test_adbc_refuses_to_read_past_an_open_transaction(data):
    with pytest.raises(RuntimeError):
        frames.load([data["wave"]], reader="adbc")


@pytest.mark.django_db
def test_questions_restrict_the_columns(data):
    frame = frames.load([data["wave"]], questions=["SAT_OVERALL", "USED"])
    assert list(frame.columns) == frames.BASE_COLUMNS + ["SAT_OVERALL", "USED__web", "USED__contact"]
    assert len(frame) == 3
    with pytest.raises(KeyError, match="NOPE"):
        frames.load([data["wave"]], questions=["NOPE"])
    only_responses = frames.load([data["wave"]], questions=[])
    assert list(only_responses.columns) == frames.BASE_COLUMNS and len(only_responses) == 3


@pytest.mark.django_db
def test_several_waves_in_the_order_asked(survey, data):
    w2025 = factories.WaveFactory(survey=survey, code="2025", opens_at=timezone.now() - timedelta(days=400),
                                  closes_at=timezone.now() - timedelta(days=300))
    old = respond(survey, w2025, "researchers", "website", SAT_OVERALL={"value": 1})
    frame = frames.load([w2025.id, data["wave"].id])
    assert len(frame) == 4
    assert list(frame["wave"].cat.categories) == ["2025", "2026"]
    assert by_id(frame).loc[str(old.id), "wave"] == "2025"
    assert len(frames.load([data["wave"]])) == 3  # one wave: the other's responses stay out


@pytest.mark.django_db
def test_empty_inputs(survey):
    empty = frames.load([])
    assert list(empty.columns) == frames.BASE_COLUMNS and len(empty) == 0
    no_answers = frames.load([survey.waves.get()])
    assert len(no_answers) == 0 and list(no_answers.columns) == EXPECTED_COLUMNS


@pytest.mark.django_db
def test_a_non_integer_score_stays_float(survey, data):
    respond(survey, data["wave"], "researchers", "website", SAT_OVERALL={"value": 3.5})
    frame = frames.load([data["wave"]])
    assert frame["SAT_OVERALL"].dtype == np.float64
    assert sorted(frame["SAT_OVERALL"].dropna().tolist()) == [2.0, 3.0, 3.5, 5.0]
    assert frame["NPS"].dtype == np.float32


@pytest.mark.django_db
def test_the_frame_feeds_the_indicators(data):
    from analysis import indicators

    frame = frames.load([data["wave"]])
    table = indicators.mean_score(frame, "SAT_OVERALL", by="category")
    got = dict(zip(table["category"].astype(str), table["value"]))
    assert got == {"researchers": 5.0, "journalists": 2.0, "general_public": 3.0}


@pytest.mark.django_db
def test_questions_meta(survey):
    meta = frames.questions_meta(survey)
    assert list(meta.columns[:5]) == ["code", "type", "channel", "threshold", "text_fr"]
    assert meta["code"].tolist() == ["SAT_OVERALL", "NPS", "USED", "SAT_WEB", "WEB_MATRIX", "MICRO",
                                     "SAT_MICRO", "EMBARGO", "WHY", "SUGG", "VISITS"]
    row = meta.set_index("code")
    assert row.loc["SAT_WEB", "channel"] == "website" and row.loc["SAT_WEB", "type"] == "satisfaction"
    assert pd.isna(row.loc["SAT_OVERALL", "channel"])
    assert row.loc["SAT_OVERALL", "threshold"] == 4 and pd.isna(row.loc["NPS", "threshold"])
    assert row.loc["USED", "columns"] == ["USED__web", "USED__contact"]
    assert row.loc["SAT_OVERALL", "text_fr"] == "Question SAT_OVERALL"


# ---------------------------------------------------------------------------------------------
# The ADBC reader (its own connection: the rows must be committed, hence transactional_db)
# ---------------------------------------------------------------------------------------------
def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("response_id").reset_index(drop=True)


def _adbc_sees_the_data(tmp_path, monkeypatch) -> None:
    """ADBC cannot open an in-memory SQLite database (the tests' one): point it at a file copy,
    made now, of the same database. Nothing to do on PostgreSQL or a SQLite file."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        import adbc_driver_sqlite.dbapi as adbc_sqlite

        path = tmp_path / "copy.sqlite3"
        connection.ensure_connection()
        with sqlite3.connect(path) as target:
            connection.connection.backup(target)
        monkeypatch.setattr(frames, "_adbc_connect",
                            lambda conn, autocommit=False: adbc_sqlite.connect(str(path), autocommit=autocommit))


@pytest.mark.django_db(transaction=True)
def test_adbc_reader_gives_the_same_frame(tmp_path, monkeypatch):
    survey = factories.build_survey()
    wave = survey.waves.get()
    respond(survey, wave, "researchers", "website", SAT_OVERALL={"value": 5}, USED={"codes": ["web"]},
            WEB_MATRIX={"codes": {"find": 2}}, MICRO={"text": "no"}, SUGG={"text": "API"}, VISITS={"value": 3})
    respond(survey, wave, "journalists", None, SAT_OVERALL={"value": 1}, SAT_WEB={"dont_know": True},
            WHY={"text": "=1+1"})
    respond(survey, wave, "general_public", "website", status="partial", SAT_OVERALL={"value": 2})
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        # ADBC cannot open an in-memory database: "auto" reads through Django, "adbc" refuses...
        assert frames.load([wave]).attrs["reader"] == "django"
        with pytest.raises(RuntimeError):
            frames.load([wave], reader="adbc")
    # ...so the SQLite ADBC reader is checked on a file copy of the same database.
    _adbc_sees_the_data(tmp_path, monkeypatch)
    for partial in (False, True):
        fast = frames.load([wave], include_partial=partial, reader="adbc")
        slow = frames.load([wave], include_partial=partial, reader="django")
        assert fast.attrs["reader"] == "adbc" and slow.attrs["reader"] == "django"
        assert len(fast) == (3 if partial else 2)
        pd.testing.assert_frame_equal(_sorted(fast), _sorted(slow))


@pytest.mark.django_db(transaction=True)
def test_auto_reader_uses_adbc_outside_a_transaction_when_it_can(monkeypatch):
    survey = factories.build_survey()
    wave = survey.waves.get()
    respond(survey, wave, "researchers", "website", SAT_OVERALL={"value": 4})
    frame = frames.load([wave])
    expected = "django" if connection.vendor == "sqlite" and connection.is_in_memory_db() else "adbc"
    assert frame.attrs["reader"] == expected
    assert frame["SAT_OVERALL"].tolist() == [4]

    def broken(conn):
        raise OSError("driver exploded")

    monkeypatch.setattr(frames, "_adbc_connect", broken)
    fallback = frames.load([wave])  # a failing driver falls back to Django's cursor
    assert fallback.attrs["reader"] == "django" and fallback["SAT_OVERALL"].tolist() == [4]


def _many_responses(survey, wave, n: int) -> None:
    """n responses (a tenth partial) with every kind of answer, skipped ones and "don't know",
    written in bulk (the ADBC reader's ranges and threads need a few pages of answers)."""
    rng = random.Random(2026)
    categories = list(UserCategory.objects.filter(code__in=["researchers", "journalists", "general_public"]))
    channels = [*Channel.objects.all(), None]
    questions = {q.code: q for q in Question.objects.filter(survey=survey)}
    responses = []
    for i in range(n):
        partial = i % 10 == 9
        responses.append(Response(survey=survey, wave=wave, category=rng.choice(categories),
                                  channel=rng.choice(channels), status="partial" if partial else "complete",
                                  weight=rng.choice([1.0, 0.5, 2.25]),
                                  submitted_at=None if partial else timezone.now()))
    Response.objects.bulk_create(responses)
    answers = []
    for r in responses:
        def add(code, **fields):
            answers.append(Answer(response=r, question=questions[code], **fields))

        add("SAT_OVERALL", value=rng.randint(1, 5))
        if rng.random() < 0.8:
            add("NPS", value=rng.randint(0, 10))
        add("USED", codes=rng.choice([["web"], ["contact"], ["web", "contact"], []]))
        if rng.random() < 0.2:
            add("SAT_WEB", dont_know=True)
        else:
            add("SAT_WEB", value=rng.randint(1, 5))
        add("WEB_MATRIX", codes={k: rng.randint(1, 5) for k in ("find", "understand") if rng.random() < 0.7})
        if r.category.code == "researchers":
            add("MICRO", text=rng.choice(["yes", "no"]))
            add("SAT_MICRO", value=rng.randint(0, 10))
        if r.category.code == "journalists":
            add("EMBARGO", value=rng.randint(1, 5))
        if rng.random() < 0.3:
            add("SUGG", text=rng.choice(["Plus de données", "API", "=1+1", ""]))
        add("VISITS", value=rng.choice([0, 3, 12.5, 99.75]))
    Answer.objects.bulk_create(answers)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("parallel", [False, True], ids=["one-connection", "parallel"])
def test_adbc_reader_on_many_rows_gives_the_same_frame(tmp_path, monkeypatch, parallel):
    """The ADBC reader against the Django reader on a few hundred responses: in one range and on
    one connection, then (the ranges made tiny) in many ranges read by two connections at once
    (SQLite: rowid ranges, a shared snapshot; PostgreSQL: packed page ranges, an exported
    snapshot). With another survey's answers in the tables, the three question filters: none
    (all the questions), a span of ids, a list."""
    survey = factories.build_survey()
    wave = survey.waves.get()
    _many_responses(survey, wave, 240)
    other = factories.SurveyFactory(slug="other")
    other_wave = factories.WaveFactory(survey=other, code="2026")
    section = Section.objects.create(survey=other, code="s", order=1, title_fr="S", title_en="S")
    factories.question(section, "OTHER", "satisfaction", 1)
    for _ in range(5):
        respond(other, other_wave, "researchers", None, OTHER={"value": 2})
    _adbc_sees_the_data(tmp_path, monkeypatch)
    if parallel:
        monkeypatch.setattr(frames, "_PARALLEL_MIN_ANSWERS", 1)
        monkeypatch.setattr(frames, "_SQLITE_PIECE_ROWS", 150)
        monkeypatch.setattr(frames, "_PG_CHUNK_PAGES", 2)
    threads = []
    workers = frames._Workers.__init__

    def spy(self, cursors, jobs, *args):
        jobs = list(jobs)
        threads.append((len(cursors), len(jobs)))
        workers(self, cursors, jobs, *args)

    monkeypatch.setattr(frames._Workers, "__init__", spy)
    loads = [{}, {"include_partial": True}, {"questions": ["SAT_OVERALL", "USED", "SUGG", "VISITS"]},
             {"questions": ["NPS", "SAT_WEB", "WEB_MATRIX", "MICRO"]}, {"questions": ["USED", "MICRO", "SUGG"]},
             {"questions": ["EMBARGO"]}, {"questions": []}]
    for kwargs in loads:
        fast = frames.load([wave], reader="adbc", **kwargs)
        slow = frames.load([wave], reader="django", **kwargs)
        assert fast.attrs["reader"] == "adbc"
        assert len(fast) == (240 if kwargs.get("include_partial") else 216)
        pd.testing.assert_frame_equal(_sorted(fast), _sorted(slow))
    # the other survey: all of one survey's questions, not all of the database's
    assert frames.load([other_wave], reader="adbc")["OTHER"].tolist() == [2.0] * 5
    if parallel:  # two connections whenever there are ranges to share (PostgreSQL: of scores)
        assert all(count == 2 for count, jobs in threads if jobs > 2), threads
        assert sum(count == 2 for count, _jobs in threads) >= 6, threads
    else:
        assert all(count == 1 for count, _jobs in threads), threads


@pytest.mark.django_db(transaction=True)
def test_adbc_reader_when_every_question_is_a_score(tmp_path, monkeypatch):
    """A database whose questions are all numeric and all read (as in bench/bench_load.py): no
    filter on the question at all, in parallel ranges."""
    factories.UserCategoryFactory(code="researchers", order=1)
    survey = factories.SurveyFactory(slug="scores")
    wave = factories.WaveFactory(survey=survey, code="2026")
    section = Section.objects.create(survey=survey, code="s", order=1, title_fr="S", title_en="S")
    factories.question(section, "A", "satisfaction", 1, allow_dont_know=True)
    factories.question(section, "B", "nps", 2)
    factories.question(section, "C", "number", 3)
    for i in range(150):
        respond(survey, wave, "researchers", None, status="partial" if i % 7 == 0 else "complete",
                A={"dont_know": True} if i % 5 == 0 else {"value": i % 5 + 1}, B={"value": i % 11},
                **({"C": {"value": i / 4}} if i % 3 else {}))
    _adbc_sees_the_data(tmp_path, monkeypatch)
    monkeypatch.setattr(frames, "_PARALLEL_MIN_ANSWERS", 1)
    monkeypatch.setattr(frames, "_SQLITE_PIECE_ROWS", 100)
    monkeypatch.setattr(frames, "_PG_CHUNK_PAGES", 1)
    filters = []
    for name in ("_answers_sql", "_packed_sql"):
        def spy(plan, *args, _original=getattr(frames, name), _name=name, **kwargs):
            if _name == "_packed_sql" or kwargs.get("ranged"):  # the statements that read the scores
                filters.append(plan.question_filter()[0])
            return _original(plan, *args, **kwargs)

        monkeypatch.setattr(frames, name, spy)
    fast = frames.load([wave], reader="adbc")
    assert filters == ["TRUE"]
    slow = frames.load([wave], reader="django")
    assert len(fast) == 128 and fast["A"].isna().sum() == 25 and fast["C"].dtype == np.float64
    pd.testing.assert_frame_equal(_sorted(fast), _sorted(slow))


@pytest.mark.django_db(transaction=True)
def test_sqlite_reads_on_one_connection_when_a_writer_holds_the_lock(tmp_path, monkeypatch):
    """SQLite: the connections that read at once begin while the reader holds the write lock for
    an instant (so that they see the same data); when a writer keeps it, one connection reads."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    survey = factories.build_survey()
    wave = survey.waves.get()
    _many_responses(survey, wave, 60)
    _adbc_sees_the_data(tmp_path, monkeypatch)
    monkeypatch.setattr(frames, "_PARALLEL_MIN_ANSWERS", 1)
    monkeypatch.setattr(frames, "_SQLITE_PIECE_ROWS", 50)
    expected = _sorted(frames.load([wave], reader="django"))
    threads = []
    workers = frames._Workers.__init__

    def spy(self, cursors, jobs, *args):
        threads.append(len(cursors))
        workers(self, cursors, jobs, *args)

    monkeypatch.setattr(frames._Workers, "__init__", spy)
    pd.testing.assert_frame_equal(_sorted(frames.load([wave], reader="adbc")), expected)
    writer = frames._adbc_connect(connection, autocommit=True)
    cur = writer.cursor()
    try:
        cur.execute("BEGIN IMMEDIATE")
        pd.testing.assert_frame_equal(_sorted(frames.load([wave], reader="adbc")), expected)
    finally:
        cur.execute("ROLLBACK")
        cur.close()
        writer.close()
    assert threads == [2, 1]


def test_workers_hand_over_every_item_and_raise_a_job_error():
    class Boom(Exception):
        pass

    def job(items):
        def run(cursor):
            for item in items:
                yield (cursor, item)
        return run

    def failing(cursor):
        yield (cursor, "before")
        raise Boom("driver exploded")

    workers = frames._Workers(["a", "b"], [job(range(50)), job(range(50, 100)), job(range(100, 120))], depth=4)
    try:
        got = list(workers)
    finally:
        workers.close()
    assert sorted(item for _cursor, item in got) == list(range(120))
    assert {cursor for cursor, _item in got} <= {"a", "b"}
    workers = frames._Workers(["a", "b"], [job(range(1000)), failing, job(range(1000))], depth=2)
    try:
        with pytest.raises(Boom):
            list(workers)
    finally:
        workers.close()  # the other thread stops too (it would block on the full queue)


def test_uuid_text_forms_are_decoded_without_a_loop():
    import uuid

    import pyarrow as pa

    ids = [uuid.uuid4() for _ in range(5)]
    expected = [str(u) for u in ids]
    for arr in (pa.array([u.hex for u in ids]), pa.array([str(u) for u in ids]),
                pa.array([u.bytes for u in ids], pa.binary(16)),
                pa.chunked_array([pa.array([u.hex for u in ids[:2]]), pa.array([u.hex for u in ids[2:]])])):
        raw = frames._uuid_bytes(arr)
        assert frames._uuid_strings(raw).tolist() == expected
    assert frames._uuid_bytes(pa.array(["not-a-uuid"])) is None
    responses = pa.table({"rid": pa.array([u.hex for u in ids[:3]]), "wave_id": [1, 1, 1], "category_id": [1, 1, 1],
                          "channel_id": pa.array([None] * 3, pa.int64()), "weight": [1.0] * 3})
    builder = frames._Builder([], responses, {"wave": {1: ("w", 0)}, "category": {1: ("c", 0)}, "channel": {}}, [1])
    answers = pa.array([ids[2].hex, ids[2].hex, ids[4].hex, ids[0].hex, ids[0].hex])
    assert builder._rows(answers).tolist() == [2, 2, -1, 0, 0]  # runs, a stranger, runs
    assert builder._rows(pa.array(["x", ids[1].hex])).tolist() == [-1, 1]  # not all UUIDs: by text


@pytest.mark.django_db(transaction=True)
def test_sqlite_file_is_not_read_by_the_driver_beside_other_threads(tmp_path, monkeypatch):
    """Two copies of SQLite in one process: closing the driver's connection would drop the locks
    of Django connections held by other threads, so with other threads the Django reader is used."""
    import threading

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL has no file locks in this process")
    survey = factories.build_survey()
    wave = survey.waves.get()
    respond(survey, wave, "researchers", "website", SAT_OVERALL={"value": 4})
    _adbc_sees_the_data(tmp_path, monkeypatch)
    monkeypatch.setattr(type(connections["default"]), "is_in_memory_db", lambda self: False)  # as a file database
    done = threading.Event()
    other = threading.Thread(target=done.wait, name="another-request")
    other.start()
    try:
        assert frames.load([wave]).attrs["reader"] == "django"
        with pytest.raises(RuntimeError, match="other threads"):
            frames.load([wave], reader="adbc")
    finally:
        done.set()
        other.join()
    assert connection.connection is not None  # Django's connection was left alone


@pytest.mark.django_db(transaction=True)
def test_postgresql_loads_reuse_their_connections_and_survive_one_the_server_closed(monkeypatch):
    """A load hands its connections back to the process's pool (opening one costs ≈ 45 ms); the
    next load takes them again. A pooled connection the server has closed since (a restart, an
    idle timeout) costs that one load the fast reader, never a wrong frame, and leaves the pool."""
    if connection.vendor != "postgresql":
        pytest.skip("the pool holds PostgreSQL connections only")
    from analysis.frames import connect

    monkeypatch.setattr(frames, "_PG_CHUNK_PAGES", 1)  # several page ranges: two connections read
    survey = factories.build_survey()
    wave = survey.waves.get()
    _many_responses(survey, wave, 240)
    expected = _sorted(frames.load([wave], reader="django"))
    connect.close_pool()

    def pooled() -> list:
        return [conn for key, conns in connect._pool.items() for _at, conn in conns]

    first = frames.load([wave])
    assert first.attrs["reader"] == "adbc"
    held = pooled()
    assert len(held) == 2
    second = frames.load([wave])
    assert second.attrs["reader"] == "adbc" and {id(c) for c in pooled()} == {id(c) for c in held}
    pd.testing.assert_frame_equal(_sorted(second), expected)

    with connection.cursor() as cur:  # the server closes every other connection to this database
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    after = frames.load([wave])
    pd.testing.assert_frame_equal(_sorted(after), expected)
    assert not {id(c) for c in pooled()} & {id(c) for c in held}  # the dead ones were not kept
    again = frames.load([wave])
    assert again.attrs["reader"] == "adbc"
    pd.testing.assert_frame_equal(_sorted(again), expected)
    connect.close_pool()
    assert pooled() == []
