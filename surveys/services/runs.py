"""A respondent's run through a questionnaire, across requests: where it is kept (the session, and a
signed copy in the page), which stored steps still hold, which answers a submission keeps.

Why a service: the wizard view (:mod:`surveys.wizard`) only wires django-formtools to these steps;
the rules (a step's answers re-validated only when its inputs change, answers to questions a
condition now hides dropped) are plain functions a reader finds, and tests call, without a view.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.core import signing

from ..answers import StoredAnswer
from ..models import Question, Section, Survey
from .responses import Run, answers_for_logic, visible_question_codes, visible_questions

RUN_SIGNER_SALT = "ecoute.run"
RUN_SIGNED_MAX_AGE = 7 * 24 * 3600  # seconds a signed run posted back from a page stays valid


def run_session_key(slug: str) -> str:
    return f"ecoute_run_{slug}"


def storage_prefix(survey: Survey) -> str:
    return f"ecoute_wizard_{survey.slug}"


def answers_memo_key(slug: str) -> str:
    return f"ecoute_answers_{slug}"


def session_set(session: Any, key: str, value: Any) -> bool:
    """``session[key] = value`` unless it already holds an equal value; True when it wrote
    (no session save when nothing changed)."""
    if key in session and session[key] == value:
        return False
    session[key] = value
    return True


def get_run(request: Any, survey: Survey) -> Run | None:
    """The run this session holds for ``survey`` (None: none, or another survey's)."""
    run = Run.from_session(request.session.get(run_session_key(survey.slug)))
    if run is not None and run.survey_id != survey.pk:
        return None
    return run


def save_run(request: Any, survey: Survey, run: Run) -> None:
    session_set(request.session, run_session_key(survey.slug), run.to_session())


def sign_run(run: Run) -> str:
    """A signed copy of the run for the page: lets an expired session be recovered from a post."""
    return signing.dumps(run.to_session(), salt=RUN_SIGNER_SALT, compress=True)


def unsign_run(value: str) -> Run | None:
    try:
        return Run.from_session(signing.loads(value, salt=RUN_SIGNER_SALT, max_age=RUN_SIGNED_MAX_AGE))
    except signing.BadSignature:
        return None


def step_digest(questions: list, data: Any) -> str:
    """What a step's validation depends on (besides the questionnaire's version): the questions
    shown and the posted data."""
    payload = json.dumps([[q.id for q in questions], sorted(data.lists())], separators=(",", ":"))
    return hashlib.blake2b(payload.encode(), digest_size=16).hexdigest()


Validate = Callable[[Section, list[Question], Any], dict[str, StoredAnswer]]


def stored_steps_answers(structure: Iterable[Section], category: str | None, step_data: Callable[[str], Any],
                         memo: Mapping[str, Any], version: str, validate: Validate
                         ) -> tuple[dict[str, StoredAnswer], dict[str, Any] | None]:
    """Answers of every stored step, each validated by its own form (``validate``), and the memo to
    store back (None when unchanged).

    A step's cleaned answers are memoised with a digest of what they were validated from (the
    questionnaire ``version``, the questions shown, the posted data), so a request re-validates
    only a step whose inputs changed instead of every stored step.
    """
    structure = list(structure)
    known = memo.get("steps", {}) if memo.get("v") == version else {}
    answers: dict[str, StoredAnswer] = {}
    fresh: dict[str, list] = {}
    for section in structure:
        data = step_data(section.code)
        if data is None:
            continue
        questions = visible_questions(section, category, answers_for_logic(structure, answers))
        digest = step_digest(questions, data)
        hit = known.get(section.code)
        if hit is not None and hit[0] == digest:
            step_answers = {code: StoredAnswer(*fields) for code, fields in hit[1].items()}
        else:
            step_answers = validate(section, questions, data)
        fresh[section.code] = [digest, {code: [a.value, a.text, a.codes, a.dont_know]
                                        for code, a in step_answers.items()}]
        answers.update(step_answers)
    return answers, ({"v": version, "steps": fresh} if fresh != known else None)


def answers_after_step(answers: Mapping[str, StoredAnswer], step_questions: Iterable[Question],
                       step_answers: Mapping[str, StoredAnswer]) -> dict[str, StoredAnswer]:
    """The answers once a step is posted: the step's questions answered anew, the others kept."""
    out = dict(answers)
    for q in step_questions:
        out.pop(q.code, None)
    out.update(step_answers)
    return out


def kept_codes(structure: list[Section], category: str | None, answers: Mapping[str, StoredAnswer]) -> set[str]:
    """The question codes still shown to this respondent given these answers (the others' answers
    are dropped: a condition now hides them)."""
    return visible_question_codes(structure, category, answers_for_logic(structure, answers))
