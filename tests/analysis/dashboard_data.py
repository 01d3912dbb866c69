"""Responses for the dashboard and export tests, written with the real models.

``seed`` fills ``factories.build_survey()`` with complete responses whose answers are chosen per
(channel, category) cell, so a test knows which cells are small and what their figures are.
"""

from __future__ import annotations

import sys
import types
from datetime import timedelta
from typing import Iterable, Sequence

import pandas as pd
import pytest
from django.utils import timezone

from surveys.models import Answer, Channel, Question, Response, Survey, UserCategory, Wave


def ensure_frames() -> None:
    """Use ``analysis.frames`` (written separately); until it exists, a minimal loader that follows
    its contract (one row per complete response, one column per question code...)."""
    try:
        import analysis.frames  # noqa: F401
        return
    except ImportError:
        pass
    module = types.ModuleType("analysis.frames")
    module.load = _fallback_load
    sys.modules["analysis.frames"] = module
    import analysis

    analysis.frames = module


def _fallback_load(waves, *, include_partial=False, questions=None):  # pragma: no cover - stand-in
    import numpy as np

    wave_objs = list(waves)
    survey_id = wave_objs[0].survey_id if wave_objs else None
    qs = Question.objects.filter(survey_id=survey_id).prefetch_related("choices").order_by("section__order", "order")
    if questions is not None:
        qs = qs.filter(code__in=list(questions))
    qlist = list(qs)
    statuses = ["complete", "partial"] if include_partial else ["complete"]
    responses = list(Response.objects.filter(wave__in=wave_objs, status__in=statuses).order_by("started_at", "id")
                     .values("id", "wave__code", "category__code", "channel__code", "weight"))
    index = {r["id"]: i for i, r in enumerate(responses)}
    cats = [c.code for c in UserCategory.objects.all()]
    chans = [c.code for c in Channel.objects.all()]
    data = {
        "response_id": [str(r["id"]) for r in responses],
        "wave": pd.Categorical([r["wave__code"] for r in responses], categories=[w.code for w in wave_objs]),
        "category": pd.Categorical([r["category__code"] for r in responses], categories=cats),
        "channel": pd.Categorical([r["channel__code"] for r in responses], categories=chans),
        "weight": np.array([r["weight"] for r in responses], dtype=float),
    }
    n = len(responses)
    cols = {}
    for q in qlist:
        if q.type == "multiple":
            for c in q.choices.all():
                cols[f"{q.code}__{c.code}"] = pd.array([pd.NA] * n, dtype="boolean")
        elif q.type == "matrix":
            for c in q.choices.all():
                cols[f"{q.code}__{c.code}"] = np.full(n, np.nan)
        elif q.type == "single":
            cols[q.code] = [None] * n
        elif q.type == "text":
            cols[q.code] = [None] * n
        else:
            cols[q.code] = np.full(n, np.nan)
    by_id = {q.id: q for q in qlist}
    for a in Answer.objects.filter(response_id__in=list(index), question_id__in=list(by_id)).values(
            "response_id", "question_id", "value", "text", "codes", "dont_know"):
        i, q = index[a["response_id"]], by_id[a["question_id"]]
        if a["dont_know"]:
            continue
        if q.type == "multiple":
            for c in q.choices.all():
                cols[f"{q.code}__{c.code}"][i] = c.code in (a["codes"] or [])
        elif q.type == "matrix":
            for item, v in (a["codes"] or {}).items():
                if f"{q.code}__{item}" in cols:
                    cols[f"{q.code}__{item}"][i] = float(v)
        elif q.type in ("single", "text"):
            cols[q.code][i] = a["text"] or None
        elif a["value"] is not None:
            cols[q.code][i] = a["value"]
    for q in qlist:
        if q.type == "single":
            cols[q.code] = pd.Categorical(cols[q.code], categories=[c.code for c in q.choices.all()])
        elif q.type == "text":
            cols[q.code] = pd.array(cols[q.code], dtype="object")
    data.update(cols)
    return pd.DataFrame(data)


def respond(survey: Survey, wave: Wave, category: str, channel: str | None, answers: dict, *,
            status: str = "complete", minutes: float = 7.0, weight: float = 1.0) -> Response:
    """One response with its answers: {code: number | text | [codes] | {item: score}}."""
    now = timezone.now()
    response = Response.objects.create(
        survey=survey, wave=wave, category=UserCategory.objects.get(code=category),
        channel=Channel.objects.get(code=channel) if channel else None, status=status, weight=weight,
        started_at=now - timedelta(minutes=minutes), submitted_at=now if status == "complete" else None)
    questions = {q.code: q for q in Question.objects.filter(survey=survey)}
    rows = []
    for code, value in answers.items():
        q = questions[code]
        if isinstance(value, (list, dict)):
            rows.append(Answer(response=response, question=q, codes=value))
        elif isinstance(value, str):
            rows.append(Answer(response=response, question=q, text=value))
        elif value is None:
            rows.append(Answer(response=response, question=q, dont_know=True))
        else:
            rows.append(Answer(response=response, question=q, value=float(value)))
    Answer.objects.bulk_create(rows)
    return response


#: the distinctive figures of the small cell: 3 journalists via the website, SAT_OVERALL 1, 1, 2
SMALL_CELL = ("website", "journalists")
SMALL_SCORES = (1, 1, 2)
SMALL_MEAN = 4 / 3  # 1.3333333333333333 — no other cell has it
SMALL_MEAN_STRINGS = ("1.3333333", "1,33", "1.33", "1,3333")


def big_cell_scores(seed: int, size: int) -> list[int]:
    """Scores 3–5 (never a mean of 1.33…), varied per cell."""
    return [3 + ((seed + 2 * i) % 3) for i in range(size)]


def seed(survey: Survey, wave: Wave | None = None, *, size: int = 12, small: bool = True,
         cells: Iterable[tuple[str, str]] | None = None, texts: Sequence[str] = ()) -> Wave:
    """Complete responses: ``size`` per (channel, category) cell of the big cells, plus the small
    cell of 3 journalists via the website (``small``). Returns the wave."""
    wave = wave or survey.waves.get(code="2026")
    cells = list(cells or [("website", "researchers"), ("website", "general_public"),
                           ("contact_service", "researchers"), ("contact_service", "general_public"),
                           ("contact_service", "journalists")])
    k = 0
    for j, (channel, category) in enumerate(cells):
        for score in big_cell_scores(j, size):
            answers = {"SAT_OVERALL": score, "NPS": 5 + score, "USED": ["web"], "SAT_WEB": score}
            if texts:
                answers["SUGG"] = texts[k % len(texts)]
            k += 1
            respond(survey, wave, category, channel, answers)
    if small:
        for score in SMALL_SCORES:
            respond(survey, wave, SMALL_CELL[1], SMALL_CELL[0],
                    {"SAT_OVERALL": score, "NPS": 3, "USED": ["web"], "SAT_WEB": score})
    return wave


def add_wave(survey: Survey, code: str = "2025", days_ago: int = 400) -> Wave:
    opens = timezone.now() - timedelta(days=days_ago)
    return Wave.objects.create(survey=survey, code=code, label=f"Vague {code}", opens_at=opens,
                               closes_at=opens + timedelta(days=60))


@pytest.fixture
def locmem_cache(settings):
    """A real cache (the DB cache table is not created in the test database)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "dashboards"}}
    from django.core.cache import cache

    cache.clear()
    yield cache
    cache.clear()
