"""Where respondents said "don't know / not applicable": the cells an export writes as a reserved code.

The analysis frame (analysis.frames) reads a don't-know as missing, as the indicators need it
(methodology.md: excluded from denominators). Exports must not lose it, so this lists the cells:
(response id, frame column) — the question code, or ``CODE__item`` for a matrix item.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..answers import DONT_KNOW
from ..models import Answer, QuestionType, ResponseStatus


def dont_know_cells(wave_ids: Iterable[int], *, include_partial: bool = False) -> list[tuple[str, str]]:
    """(response id, column) of every don't-know answer of these waves' complete (or all) responses."""
    statuses = [ResponseStatus.COMPLETE] + ([ResponseStatus.PARTIAL] if include_partial else [])
    base = Answer.objects.filter(response__wave_id__in=list(wave_ids), response__status__in=statuses)
    cells = [(str(rid), code) for rid, code in base.filter(dont_know=True).exclude(
        question__type=QuestionType.MATRIX).values_list("response_id", "question__code")]
    for rid, code, items in base.filter(question__type=QuestionType.MATRIX).values_list(
            "response_id", "question__code", "codes"):
        if isinstance(items, dict):
            cells += [(str(rid), f"{code}__{item}") for item, score in items.items() if score == DONT_KNOW]
    return cells
