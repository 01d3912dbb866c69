"""The questions a frame is made of: their types, their columns, and :func:`questions_meta`.

One small ORM query gives the questions (with their choice codes) in questionnaire order; the
type decides where an answer is read from (``Answer.value``, ``.text`` or ``.codes``) and which
frame columns it becomes (see the table in :mod:`analysis.frames`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from surveys.models import SCORED_TYPES, Question, QuestionType, Survey, Wave

BASE_COLUMNS = ["response_id", "wave", "category", "channel", "weight"]
SCORE_TYPES = frozenset(SCORED_TYPES)  # the one definition is in surveys.models
NUMERIC_TYPES = SCORE_TYPES | {QuestionType.NUMBER}
TEXT_TYPES = {QuestionType.TEXT, QuestionType.SINGLE}  # read from Answer.text
JSON_TYPES = {QuestionType.MULTIPLE, QuestionType.MATRIX}  # read from Answer.codes
DEFAULT_THRESHOLD = 4  # "satisfied" = 4 or 5 on the 1–5 scale (methodology)


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
