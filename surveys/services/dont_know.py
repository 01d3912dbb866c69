"""Where respondents said "don't know / not applicable": the cells an export writes as a reserved code.

The analysis frame (analysis.frames) reads a don't-know as missing, as the indicators need it
(methodology.md: excluded from denominators). Exports must not lose it, so this lists the cells:
(response id, frame column) — the question code, or ``CODE__item`` for a matrix item.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from ..answers import DONT_KNOW
from ..models import Answer, QuestionType, ResponseStatus


def dont_know_cells(wave_ids: Iterable[int], *, include_partial: bool = False,
                    codes: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """(response id, column) of every don't-know answer of these waves' complete (or all) responses.

    The flagged answers, then the matrix answers whose items may hold one; ``codes``
    restricts it to these question codes (the dashboards read only their page's questions).
    """
    statuses = [ResponseStatus.COMPLETE] + ([ResponseStatus.PARTIAL] if include_partial else [])
    base = Answer.objects.filter(response__wave_id__in=list(wave_ids), response__status__in=statuses)
    if codes is not None:
        base = base.filter(question__code__in=list(codes))
    matrix = Q(question__type=QuestionType.MATRIX)
    # Two statements, not one with an OR: the flagged answers are a few percent of the table and
    # the partial index ``answer_dont_know`` finds them without reading the rest (a single OR
    # with the matrix answers made the server scan every answer: 0.35 s at 100,000 responses).
    cells = [(str(rid), code) for rid, code in
             base.filter(dont_know=True).exclude(matrix).values_list("response_id", "question__code")]
    if base.filter(matrix).exists():
        for rid, code, items in base.filter(matrix).values_list("response_id", "question__code", "codes"):
            if isinstance(items, dict):
                cells += [(str(rid), f"{code}__{item}") for item, score in items.items() if score == DONT_KNOW]
    return cells
