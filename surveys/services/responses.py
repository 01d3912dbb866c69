"""Use cases of the respondent's side: which steps apply, saving a draft, the final submit.

The guarantees ("nothing lost, nothing twice") live here, not in the views:

- a response's id is minted when the questionnaire starts and kept in the session; the draft row
  is inserted with that id by an INSERT that ignores a conflict on the primary key, so concurrent
  first posts create one row (and an invited participant has one response: unique column);
- every valid step upserts its answers (unique response × question) and deletes the answers of
  questions that are now hidden;
- the final submit is one transaction: a compare-and-set UPDATE flips the draft from partial to
  complete (only one concurrent request can win it), then the answers are written; a second
  submit changes nothing and reports `already=True`; side effects run on commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from functools import cached_property

from django.db import IntegrityError, connection, transaction
from django.db.models import Prefetch, Q
from django.dispatch import Signal
from django.utils import timezone

from ..answers import StoredAnswer, answer_for_logic
from ..logic import condition_met
from .data_version import responses_changed
from .privacy import mask_personal_data
from .versions import wave_version_id  # issue 18
from ..models import (
    Answer, Channel, Participant, Question, QuestionType, Response, ResponseStatus, Section, Survey, UserCategory,
    Wave,
    hash_secret,
)


@dataclass
class Run:
    """One respondent's pass through a questionnaire, kept in the session (JSON-serialisable)."""

    survey_id: int
    wave_id: int
    response_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    category: str | None = None
    channel: str | None = None
    participant_id: int | None = None
    category_preset: bool = False
    resume_code: str | None = None  # the raw code: never written to the session (see surveys.resume)
    done: bool = False
    resume_hash: str | None = None

    def to_session(self) -> dict:
        data = asdict(self)
        if data["resume_code"]:
            data["resume_hash"] = data["resume_hash"] or hash_secret(data["resume_code"])
            data["resume_code"] = None
        return data

    @classmethod
    def from_session(cls, data: Mapping | None) -> Run | None:
        if not data:
            return None
        try:
            return cls(**data)
        except TypeError:
            return None


class Structure(list):
    """A survey's sections in order (see :func:`survey_structure`), with what is derived from them
    computed once per cached structure instead of once per call."""

    @cached_property
    def question_types(self) -> dict[str, str]:
        """Question code → type (conditions read answers by type, many times per request)."""
        return {q.code: q.type for s in self for q in section_questions(s)}


_STRUCTURE_CACHE: dict[tuple[int, object], Structure] = {}


def survey_structure(survey: Survey) -> Structure:
    """Sections with their questions, choices and categories (read-only, cached per process).

    The cache key holds the survey's `updated_at`, which every change to a section, question or
    choice bumps (see surveys.signals), so an edited questionnaire is never served stale.
    """
    key = (survey.pk, survey.updated_at)
    cached = _STRUCTURE_CACHE.get(key)
    if cached is not None:
        return cached
    questions = Question.objects.order_by("order", "id").prefetch_related("choices", "categories").select_related(
        "channel")
    structure = Structure(
        survey.sections.order_by("order", "id").prefetch_related("categories", Prefetch("questions", questions))
    )
    if len(_STRUCTURE_CACHE) > 200:
        _STRUCTURE_CACHE.clear()
    _STRUCTURE_CACHE[key] = structure
    return structure


def _code_id(model: type, code: str | None) -> int | None:
    """Id of a category or channel by code, read from the database every time.

    Not cached per process: a row deleted and created again (admin, import in another process,
    restored backup) gets a new id, and a stale cached id made every draft save fail silently and
    every final submit answer 503 until the process restarted (found by tests/browser).
    """
    if not code:
        return None
    return model.objects.filter(code=code).values_list("id", flat=True).first()


def section_questions(section: Section) -> list[Question]:
    """A section's questions, in order (memoised on the cached structure)."""
    questions = section.__dict__.get("_question_list")
    if questions is None:
        questions = section.__dict__["_question_list"] = list(section.questions.all())
    return questions


def _question_types(structure: Iterable[Section]) -> dict[str, str]:
    if isinstance(structure, Structure):
        return structure.question_types
    return {q.code: q.type for s in structure for q in section_questions(s)}


def answers_for_logic(structure: Iterable[Section], answers: Mapping[str, StoredAnswer]) -> dict:
    types = _question_types(structure)
    return {code: answer_for_logic(types.get(code, ""), a) for code, a in answers.items() if code in types}


def visible_questions(section: Section, category: str | None, logic_answers: Mapping) -> list[Question]:
    """The questions of a section a respondent of `category` sees, given the answers so far."""
    return [
        q for q in section_questions(section)
        if q.applies_to(category) and condition_met(q.condition, logic_answers)
    ]


def visible_sections(structure: Iterable[Section], category: str | None, logic_answers: Mapping) -> list[Section]:
    """The steps a respondent of `category` gets: targeted to them, condition met, not empty."""
    return [
        s for s in structure
        if s.applies_to(category) and condition_met(s.condition, logic_answers)
        and visible_questions(s, category, logic_answers)
    ]


def visible_question_codes(structure: Iterable[Section], category: str | None, logic_answers: Mapping) -> set[str]:
    return {
        q.code for s in visible_sections(structure, category, logic_answers)
        for q in visible_questions(s, category, logic_answers)
    }


def response_load_answers(response_id: str | uuid.UUID) -> dict[str, StoredAnswer]:
    """The stored answers of a response, keyed by question code."""
    rows = Answer.objects.filter(response_id=response_id).values_list(
        "question__code", "value", "text", "codes", "dont_know")
    return {code: StoredAnswer(value=v, text=t, codes=c, dont_know=d) for code, v, t, c, d in rows}


def _run_survey(run: Run, survey: Survey | None) -> Survey:
    """The run's survey: ``survey`` when the caller holds it, else read."""
    return survey if survey is not None and survey.pk == run.survey_id else Survey.objects.get(pk=run.survey_id)


def _ensure_draft(run: Run, language: str, survey: Survey | None = None) -> Response:
    """The draft row of this run, inserted unless it exists. Once the draft exists this is one
    SELECT: the common case, every step after the first."""
    survey = _run_survey(run, survey)
    response = _draft_query().filter(pk=run.response_id).first()
    if response is None:
        response = _insert_draft(run, language, survey)
    if response.status == ResponseStatus.PARTIAL and (
        response.category.code != run.category
        or (response.channel.code if response.channel_id else None) != (run.channel or None)
    ):
        _reclassify(response, run)
    if response.survey_id == survey.pk:
        response.survey = survey  # no query for it later
    return response


def _draft_query():
    return Response.objects.select_related("category", "channel")


def _insert_draft(run: Run, language: str, survey: Survey) -> Response:
    """Insert the draft with the run's id; a conflict on the id means another request did it."""
    category_id = _code_id(UserCategory, run.category)
    if category_id is None:
        raise UserCategory.DoesNotExist(run.category)
    draft = Response(
        id=uuid.UUID(run.response_id), survey=survey, wave_id=run.wave_id, category_id=category_id,
        channel_id=_code_id(Channel, run.channel), language=language, participant_id=run.participant_id,
        notice_version=survey.notice_version,
        version_id=wave_version_id(run.wave_id),  # issue 18: the questionnaire version answered
        resume_code_hash=run.resume_hash or (hash_secret(run.resume_code) if run.resume_code else None),
    )
    try:
        with transaction.atomic():
            Response.objects.bulk_create([draft], ignore_conflicts=True)
    except IntegrityError:
        pass  # the participant already has a response (two tabs on one invitation): continue it
    response = _draft_query().filter(pk=draft.id).first()
    if response is None and run.participant_id is not None:
        response = _draft_query().get(participant_id=run.participant_id)
        run.response_id = str(response.id)
    return response


def _reclassify(response: Response, run: Run) -> None:
    """A draft whose respondent changed their category (or channel) follows them."""
    category_id = _code_id(UserCategory, run.category)
    if category_id is None:
        raise UserCategory.DoesNotExist(run.category)
    channel_id = _code_id(Channel, run.channel)
    Response.objects.filter(pk=response.pk, status=ResponseStatus.PARTIAL).update(
        category_id=category_id, channel_id=channel_id)
    response.category_id, response.channel_id = category_id, channel_id


def _write_answers(response_id: uuid.UUID, answers: Mapping[str, StoredAnswer], keep_codes: set[str],
                   survey: Survey) -> None:
    """Upsert `answers` and delete any answer to a question not in `keep_codes` (now hidden)."""
    meta = {q.code: (q.id, q.type) for section in survey_structure(survey) for q in section_questions(section)}
    question_ids = {code: qid for code, (qid, _t) in meta.items()}
    keep_raw = survey.keep_raw_text
    rows = [
        Answer(response_id=response_id, question_id=question_ids[code], value=a.value,
               text=a.text if keep_raw or meta[code][1] != QuestionType.TEXT else mask_personal_data(a.text),
               codes=a.codes, dont_know=a.dont_know)
        for code, a in answers.items() if code in question_ids
    ]
    if rows:
        Answer.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["response", "question"],
            update_fields=["value", "text", "codes", "dont_know"],
        )
    keep_ids = [question_ids[c] for c in keep_codes if c in question_ids]
    _delete_draft_answers(response_id, keep_ids)


def _delete_draft_answers(response_id: uuid.UUID, keep_ids: list[int]) -> None:
    """Delete the draft's answers to questions not in ``keep_ids``, in one statement.

    ``QuerySet.delete()`` would first SELECT the answers, to cascade to their hand codes
    (verbatims), on every step. A draft has none: analysts code complete responses only, and a
    complete response is never written here; were one there anyway, the foreign key would fail the
    transaction rather than leave an orphan.
    """
    table, qn = Answer._meta.db_table, connection.ops.quote_name
    keep = ", ".join(["%s"] * len(keep_ids))
    sql = f"DELETE FROM {qn(table)} WHERE {qn('response_id')} = %s"
    if keep_ids:
        sql += f" AND {qn('question_id')} NOT IN ({keep})"
    with connection.cursor() as cursor:
        cursor.execute(sql, [Answer._meta.get_field("response").get_db_prep_value(response_id, connection), *keep_ids])


def response_save_step(run: Run, step: str, step_answers: Mapping[str, StoredAnswer],
                       step_codes: Iterable[str], keep_codes: set[str], language: str,
                       survey: Survey | None = None) -> bool:
    """Save a valid step to the draft: its answers, minus any answer now hidden by a condition.
    False when the response is complete already (submitted from another tab): nothing is written.

    Questions of the step left empty are cleared too, so the draft is exactly what the respondent
    sees. A completed response is never modified.
    """
    cleared = set(step_codes) - set(step_answers)
    with transaction.atomic():
        if not _touch_draft(run, step):  # the long way: first step, reclassified, or submitted elsewhere
            response = _ensure_draft(run, language, survey)  # may set run.response_id (an invitation's)
            if response.status == ResponseStatus.COMPLETE:
                return False
            _stamp_step(Response.objects.filter(pk=response.pk), step)
        _write_answers(uuid.UUID(str(run.response_id)), step_answers, keep_codes - cleared, _run_survey(run, survey))
    return True


def _stamp_step(drafts, step: str) -> int:
    """Record ``step`` as the last one saved on ``drafts`` (a queryset); the rows updated."""
    return drafts.update(last_step=step[:40], updated_at=timezone.now())


def _touch_draft(run: Run, step: str) -> bool:
    """Stamp the step on the run's draft in one UPDATE, which also locks it; True when it did, i.e.
    the draft exists, is partial and still has the run's category and channel. Otherwise (first
    step, reclassified, submitted elsewhere) the caller takes the long way."""
    if not run.response_id or not run.category:
        return False
    channel = Q(channel__code=run.channel) if run.channel else Q(channel__isnull=True)
    return bool(_stamp_step(Response.objects.filter(channel, pk=run.response_id, status=ResponseStatus.PARTIAL,
                                                    category__code=run.category), step))


@dataclass
class SubmitResult:
    response_id: uuid.UUID
    already: bool


#: sent once a response is complete and committed (webhooks listen: `api.events`); `response=`
response_completed = Signal()


def response_submit(run: Run, answers: Mapping[str, StoredAnswer], keep_codes: set[str], language: str,
                    on_commit: Callable[[Response], None] | None = None, survey: Survey | None = None
                    ) -> SubmitResult:
    """Complete a response once. Idempotent: the second and later calls change nothing.

    Everything happens in one transaction; on any error nothing of it is written and the draft
    stays as it was, so the respondent can simply try again.
    """
    with transaction.atomic():
        response = _ensure_draft(run, language, survey)
        flipped = Response.objects.filter(pk=response.pk, status=ResponseStatus.PARTIAL).update(
            status=ResponseStatus.COMPLETE, submitted_at=timezone.now(), language=language, last_step="",
        )
        if not flipped:
            return SubmitResult(response.id, already=True)
        _write_answers(response.id, answers, keep_codes, response.survey)
        responses_changed(response.survey_id)  # the flip above sent no signal: dashboards must know
        transaction.on_commit(lambda: response_completed.send(Response, response=response))
        if on_commit is not None:
            transaction.on_commit(lambda: on_commit(response))
    return SubmitResult(response.id, already=False)


def participant_by_token(raw_token: str) -> Participant | None:
    """Find an invited participant by the secret in their link (compared through its hash)."""
    if not raw_token or len(raw_token) > 100 or not raw_token.replace("-", "").replace("_", "").isalnum():
        return None
    return Participant.objects.select_related("survey", "wave", "category", "channel").filter(
        token_hash=hash_secret(raw_token)).first()


def response_by_resume_code(code: str) -> Response | None:
    """Find a draft or response by its resume code (compared through its hash)."""
    code = (code or "").strip()
    if not code or len(code) > 100:
        return None
    return Response.objects.select_related("survey", "wave", "category", "channel").filter(
        resume_code_hash=hash_secret(code)).first()


def wave_for_answering(survey: Survey) -> tuple[Wave | None, str]:
    """The wave a new response goes to, and why there is none: "", "not_open_yet", "closed", "none"."""
    wave = survey.current_wave()
    if wave is None:
        return None, "none"
    now = timezone.now()
    if now < wave.opens_at:
        return wave, "not_open_yet"
    if now >= wave.closes_at:
        return wave, "closed"
    return wave, ""
