"""Where respondents said "don't know / not applicable": the cells an export writes as a reserved code.

The analysis frame (analysis.frames) reads a don't-know as missing, as the indicators need it
(methodology.md: excluded from denominators). Exports must not lose it, so this lists the cells:
(response id, frame column) — the question code, or ``CODE__item`` for a matrix item.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F

from ..answers import DONT_KNOW
from ..models import Answer, Question, QuestionType, ResponseStatus


def dont_know_cells(wave_ids: Iterable[int], *, include_partial: bool = False,
                    codes: Iterable[str] | None = None,
                    matrix_codes: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """(response id, column) of every don't-know answer of these waves' complete (or all) responses.

    The flagged answers, then the matrix answers whose items may hold one; ``codes`` restricts it
    to these question codes (the dashboards read only their page's questions), ``matrix_codes``
    says which of them are matrices when the caller knows (else one small query asks).
    """
    wave_ids = list(wave_ids)
    statuses = [ResponseStatus.COMPLETE] + ([ResponseStatus.PARTIAL] if include_partial else [])
    # ``wave_id + 0``: no index on the responses for the planner to start from. Started from the
    # responses (SQLite without statistics does), it probes every answer of every response:
    # 1.8 s at 100,000 responses instead of 0.25 s from the few answers of the index below.
    base = (Answer.objects.alias(wave_of=F("response__wave_id") + 0)
            .filter(wave_of__in=wave_ids, response__status__in=statuses))
    if codes is not None:
        codes = list(codes)
        base = base.filter(question__code__in=codes)
    if matrix_codes is None:
        matrix = Question.objects.filter(survey__waves__in=wave_ids, type=QuestionType.MATRIX)
        matrix_codes = matrix.filter(code__in=codes) if codes is not None else matrix
        matrix_codes = matrix_codes.values_list("code", flat=True)
    matrix_codes = list(matrix_codes)
    # Two statements, not one with an OR: the flagged answers are a few percent of the table and
    # the partial index ``answer_dont_know`` finds them without reading the rest (a single OR
    # with the matrix answers made the server scan every answer: 0.35 s at 100,000 responses).
    flagged = base.filter(dont_know=True).exclude(question__code__in=matrix_codes)
    cells = [(str(rid), code) for rid, code in flagged.values_list("response_id", "question__code")]
    if matrix_codes:
        items_of = base.filter(question__code__in=matrix_codes).values_list("response_id", "question__code", "codes")
        for rid, code, items in items_of:
            if isinstance(items, dict):
                cells += [(str(rid), f"{code}__{item}") for item, score in items.items() if score == DONT_KNOW]
    return cells
