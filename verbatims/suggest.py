"""Suggestions for the codebook page: the pure-core model trained on a survey's hand codes."""

from __future__ import annotations

from analysis.suggest import Suggester, train

from .models import Code, HandCode

__all__ = ["Suggester", "survey_suggester"]


def survey_suggester(survey) -> Suggester | None:
    """Train on every hand code of ``survey`` (the codebook's own examples)."""
    rows: dict[int, tuple[str, str, set[int]]] = {}
    for answer_id, text, lang, code_id in HandCode.objects.filter(code__survey=survey).values_list(
            "answer_id", "answer__text", "answer__response__language", "code_id").order_by("answer_id"):
        rows.setdefault(answer_id, (text, lang, set()))[2].add(code_id)
    if not Code.objects.filter(survey=survey).exists():
        return None
    return train(list(rows.values()))
